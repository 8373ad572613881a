// Package dtmf carries telephone keypad digits in RTP as RFC 4733
// telephone-events: the 4-byte event payload, the packet sequence a sender
// emits for one key press, and a receiver that reports each press once
// however many of its packets arrive.
package dtmf

import (
	"errors"
	"fmt"
	"strings"
)

// ErrPayload means an RTP payload is not a telephone-event.
var ErrPayload = errors.New("dtmf: malformed telephone-event payload")

// PayloadLen is the size of one event payload (RFC 4733 section 2.3).
const PayloadLen = 4

// Event is one telephone-event payload.
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|     event     |E|R| volume    |          duration             |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
type Event struct {
	Code     uint8  // 0-9, 10 '*', 11 '#', 12-15 'A'-'D', 16 flash
	End      bool   // the last packets of the event carry E
	Volume   uint8  // dBm0 below zero, 0-63
	Duration uint16 // in timestamp units since the event began
}

// Marshal appends the event's payload to b.
func (e Event) Marshal(b []byte) []byte {
	flags := e.Volume & 0x3f
	if e.End {
		flags |= 0x80
	}
	return append(b, e.Code, flags, byte(e.Duration>>8), byte(e.Duration))
}

// Parse reads an event payload. Extra bytes (a redundant block) are
// ignored; the reserved bit is ignored, as the RFC asks of receivers.
func Parse(b []byte) (Event, error) {
	if len(b) < PayloadLen {
		return Event{}, fmt.Errorf("%w: %d bytes", ErrPayload, len(b))
	}
	return Event{Code: b[0], End: b[1]&0x80 != 0, Volume: b[1] & 0x3f, Duration: uint16(b[2])<<8 | uint16(b[3])}, nil
}

const digits = "0123456789*#ABCD"

// Code returns the event code of a keypad digit ('0'-'9', '*', '#',
// 'A'-'D', lower case accepted).
func Code(digit rune) (uint8, bool) {
	i := strings.IndexRune(digits, toUpper(digit))
	if i < 0 {
		return 0, false
	}
	return uint8(i), true
}

// Digit returns the keypad digit of an event code.
func Digit(code uint8) (rune, bool) {
	if int(code) >= len(digits) {
		return 0, false
	}
	return rune(digits[code]), true
}

func toUpper(r rune) rune {
	if r >= 'a' && r <= 'd' {
		return r - 'a' + 'A'
	}
	return r
}

// ValidDigits reports whether every rune of s is a keypad digit, so a
// command line or dial string can be checked before a call.
func ValidDigits(s string) bool {
	for _, r := range s {
		if _, ok := Code(r); !ok {
			return false
		}
	}
	return s != ""
}

// Packet is one RTP packet of a key press: all of a press's packets share
// the timestamp of its start; the first carries the marker bit.
type Packet struct {
	Event  Event
	Marker bool
}

// Press returns the packets that send one key press lasting length
// timestamp units, one packet every step units, then the end packet three
// times (RFC 4733 section 2.5.1.4: the end is retransmitted for loss).
// Typical values at 8 kHz: length 800 (100 ms), step 160 (20 ms).
func Press(digit rune, length, step uint16, volume uint8) ([]Packet, error) {
	code, ok := Code(digit)
	if !ok {
		return nil, fmt.Errorf("dtmf: %q is not a keypad digit", digit)
	}
	if step == 0 || length < step {
		return nil, fmt.Errorf("dtmf: a press of %d units in steps of %d", length, step)
	}
	var ps []Packet
	for d := step; d < length; d += step {
		ps = append(ps, Packet{Event: Event{Code: code, Volume: volume, Duration: d}, Marker: len(ps) == 0})
	}
	for range 3 {
		ps = append(ps, Packet{Event: Event{Code: code, End: true, Volume: volume, Duration: length}, Marker: len(ps) == 0})
	}
	return ps, nil
}

// Receiver turns the packets of a telephone-event stream into key presses,
// each reported once: retransmitted end packets and the continuation
// packets of a press already reported are ignored.
type Receiver struct {
	started  bool
	lastTS   uint32
	lastCode uint8
}

// Packet takes one received event and its RTP timestamp; it returns the
// digit when this packet is the first seen of a new press.
func (r *Receiver) Packet(timestamp uint32, e Event) (rune, bool) {
	if r.started && timestamp == r.lastTS && e.Code == r.lastCode {
		return 0, false
	}
	digit, ok := Digit(e.Code)
	if !ok {
		return 0, false // flash and other events are not key presses
	}
	r.started, r.lastTS, r.lastCode = true, timestamp, e.Code
	return digit, true
}
