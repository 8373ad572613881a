// Package audio is the phone's signal processing, pure and device-free:
// Opus and G.711 codecs, resampling, tones and tone analysis (Goertzel,
// DTMF), packet loss concealment, key feedback mixed into the speaker, and
// WAV files. The jitter buffer is audio/jitter; the sound card is
// audio/device, the one package that links a sound library, so the
// switchboard, which imports this package, links none. It does no SIP and
// imports no Fyne.
package audio
