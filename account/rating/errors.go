package rating

import "errors"

var (
	// ErrNumber means a text is not a valid phone number.
	ErrNumber = errors.New("rating: invalid phone number")
	// ErrNoRate means no rate deck entry matches a destination. Credit-billed
	// routes fail closed: an unrated destination is refused, never free.
	ErrNoRate = errors.New("rating: no rate for destination")
	// ErrNoDeck means the rater has no deck for the kind of price asked:
	// the operator has not imported one (switchboard rates import). Like
	// ErrNoRate it fails closed.
	ErrNoDeck = errors.New("rating: no rate deck imported")
	// ErrDeck means a rate deck file is malformed.
	ErrDeck = errors.New("rating: bad rate deck")
	// ErrIncrement means a billing increment is not of the form I/S.
	ErrIncrement = errors.New("rating: bad billing increment")
	// ErrBlocked means a destination may not be called or texted at all.
	ErrBlocked = errors.New("rating: destination blocked")
)
