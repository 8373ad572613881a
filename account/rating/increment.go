package rating

import (
	"fmt"
	"strconv"
	"strings"
)

// maxIncrement bounds either part of a billing increment, in seconds.
const maxIncrement = 3600

// Increment is a billing increment I/S: a first block of Initial seconds,
// then blocks of Step seconds. 60/60 bills whole minutes, 1/1 bills seconds,
// 30/6 bills at least 30 seconds and then by 6.
type Increment struct {
	Initial int64
	Step    int64
}

// ParseIncrement reads "I/S", as rate decks write it.
func ParseIncrement(s string) (Increment, error) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Increment{}, fmt.Errorf("%w: %q is not I/S", ErrIncrement, s)
	}
	i, err1 := strconv.ParseInt(a, 10, 64)
	st, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil || i < 1 || st < 1 || i > maxIncrement || st > maxIncrement {
		return Increment{}, fmt.Errorf("%w: %q needs two whole numbers from 1 to %d", ErrIncrement, s, maxIncrement)
	}
	return Increment{Initial: i, Step: st}, nil
}

// String writes the increment as "I/S".
func (in Increment) String() string { return fmt.Sprintf("%d/%d", in.Initial, in.Step) }

// Billed returns the seconds billed for a call of d seconds.
func (in Increment) Billed(d int64) int64 {
	switch {
	case d <= 0:
		return 0
	case d <= in.Initial:
		return in.Initial
	default:
		return in.Initial + (d-in.Initial+in.Step-1)/in.Step*in.Step
	}
}

// Floor returns the largest billing boundary at or below d seconds (0 below
// the first block): the longest call that paying for d seconds allows.
func (in Increment) Floor(d int64) int64 {
	if d < in.Initial {
		return 0
	}
	return in.Initial + (d-in.Initial)/in.Step*in.Step
}
