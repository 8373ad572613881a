// Package sqlite keeps the ledger and the billing state in one SQLite file
// (modernc.org/sqlite, pure Go), in WAL mode with synchronous=FULL.
//
// Writes go through one writer goroutine that commits them in groups: every
// operation that arrives while a commit is in flight joins the next
// transaction, so one fsync covers many operations and nobody's write is
// acknowledged before its transaction has committed. An operation that
// fails cleanly (it checked and refused before writing) does not disturb its
// group; one that fails half-way makes the group roll back and run again one
// operation per transaction.
//
// The invariants live in the schema, not only in Go: balances move only
// through triggers on transfers and reservations, CHECK constraints keep a
// floored account from going below zero, and transfers cannot be changed or
// deleted.
package sqlite
