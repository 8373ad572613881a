package rating

import "errors"

var (
	// ErrNumber means a text is not a valid phone number.
	ErrNumber = errors.New("rating: invalid phone number")
	// ErrNoRate means no rate deck entry matches a destination. Credit-billed
	// routes fail closed: an unrated destination is refused, never free.
	ErrNoRate = errors.New("rating: no rate for destination")
	// ErrDeck means a rate deck file is malformed.
	ErrDeck = errors.New("rating: bad rate deck")
	// ErrIncrement means a billing increment is not of the form I/S.
	ErrIncrement = errors.New("rating: bad billing increment")
	// ErrBlocked means a destination may not be called or texted at all.
	ErrBlocked = errors.New("rating: destination blocked")
)
