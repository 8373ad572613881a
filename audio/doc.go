// Package audio owns sound: devices, codecs, the jitter buffer,
// resampling, tones and WAV files. It does no SIP and imports no Fyne.
//
// It starts with WAV files, which phonectl plays into calls and records
// them to, and which the tests analyse to prove audio flowed.
package audio
