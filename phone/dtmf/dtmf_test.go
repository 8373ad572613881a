package dtmf_test

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/tetherphone/tether/phone/dtmf"
)

func TestMarshalParse(t *testing.T) {
	// RFC 4733 figure: digit 5, end, volume 10, duration 800.
	e := dtmf.Event{Code: 5, End: true, Volume: 10, Duration: 800}
	b := e.Marshal(nil)
	if want := []byte{5, 0x8a, 0x03, 0x20}; string(b) != string(want) {
		t.Fatalf("Marshal = % x, want % x", b, want)
	}
	got, err := dtmf.Parse(b)
	if err != nil || got != e {
		t.Fatalf("Parse = %+v %v", got, err)
	}
	// The reserved bit is ignored.
	if got, _ := dtmf.Parse([]byte{11, 0x40 | 7, 0, 160}); got.Code != 11 || got.End || got.Volume != 7 || got.Duration != 160 {
		t.Fatalf("reserved bit: %+v", got)
	}
	if _, err := dtmf.Parse([]byte{1, 2, 3}); !errors.Is(err, dtmf.ErrPayload) {
		t.Fatalf("short payload: %v", err)
	}
}

func TestDigits(t *testing.T) {
	for i, r := range "0123456789*#ABCD" {
		c, ok := dtmf.Code(r)
		if !ok || int(c) != i {
			t.Errorf("Code(%q) = %d %v", r, c, ok)
		}
		d, ok := dtmf.Digit(uint8(i))
		if !ok || d != r {
			t.Errorf("Digit(%d) = %q", i, d)
		}
	}
	if c, ok := dtmf.Code('b'); !ok || c != 13 {
		t.Errorf("lower case b = %d %v", c, ok)
	}
	for _, r := range "xE+ #" {
		if _, ok := dtmf.Code(r); ok && r != '#' {
			t.Errorf("Code(%q) accepted", r)
		}
	}
	if _, ok := dtmf.Digit(16); ok {
		t.Error("flash is not a digit")
	}
	if !dtmf.ValidDigits("123*#a") || dtmf.ValidDigits("12 3") || dtmf.ValidDigits("") {
		t.Error("ValidDigits")
	}
}

func TestPress(t *testing.T) {
	ps, err := dtmf.Press('7', 800, 160, 10)
	if err != nil {
		t.Fatal(err)
	}
	// 160, 320, 480, 640, then the end at 800 three times.
	if len(ps) != 7 {
		t.Fatalf("%d packets", len(ps))
	}
	for i, p := range ps {
		if p.Marker != (i == 0) || p.Event.Code != 7 {
			t.Errorf("packet %d: %+v", i, p)
		}
		if end := i >= 4; p.Event.End != end {
			t.Errorf("packet %d end = %v", i, p.Event.End)
		}
	}
	if ps[3].Event.Duration != 640 || ps[6].Event.Duration != 800 {
		t.Errorf("durations %d %d", ps[3].Event.Duration, ps[6].Event.Duration)
	}
	if _, err := dtmf.Press('x', 800, 160, 10); err == nil {
		t.Error("Press('x') accepted")
	}
	if _, err := dtmf.Press('1', 100, 160, 10); err == nil {
		t.Error("a press shorter than a step accepted")
	}
}

// TestReceiverUnderLoss sends presses through a lossy, duplicating path:
// every press whose packets are not all lost is reported exactly once.
func TestReceiverUnderLoss(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var rx dtmf.Receiver
	var got []rune
	want := []rune("1234567890*#ABCD11")
	ts := uint32(1000)
	for _, d := range want {
		ps, _ := dtmf.Press(d, 800, 160, 10)
		for _, p := range ps {
			if r.IntN(100) < 30 {
				continue // 30% loss
			}
			for range 1 + r.IntN(2) { // sometimes duplicated
				if digit, ok := rx.Packet(ts, p.Event); ok {
					got = append(got, digit)
				}
			}
		}
		ts += 1600
	}
	if string(got) != string(want) {
		t.Fatalf("received %q, want %q", string(got), string(want))
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte{5, 0x8a, 0x03, 0x20})
	f.Add([]byte{16, 0, 0, 0, 9, 9})
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := dtmf.Parse(b)
		if err != nil {
			if len(b) >= dtmf.PayloadLen || !errors.Is(err, dtmf.ErrPayload) {
				t.Fatalf("err %v for %d bytes", err, len(b))
			}
			return
		}
		back := e.Marshal(nil)
		if back[0] != b[0] || back[2] != b[2] || back[3] != b[3] || back[1] != b[1]&^0x40 {
			t.Fatalf("% x -> %+v -> % x", b[:4], e, back)
		}
	})
}
