// Package phone is the softphone's SIP user agent, on sipgo: registration
// and calls as explicit state machines (regStep, callStep), SDP offer and
// answer through phone/sdp, media through phone/media or, for WebRTC,
// phone/webrtcgw; hold, transfer, call waiting, key presses, texts, typed
// refusals (a 402 for credit, a 403 for permission, busy, declined) and
// the RFC 3326 Reason header; an injectable clock.
//
// The switchboard's SIP side is phone/switchboard: it shares sdp, media,
// dtmf and webrtcgw with this package and nothing else. What the desktop
// app and phonectl do around a call (sign-in, call progress tones) is
// phone/softphone.
package phone
