// Package ledger defines the double-entry ledger every movement of money
// and of bundle allowance goes through: accounts, transfers, two-phase
// reservations, and the Store interface that keeps them (SQLite today,
// PostgreSQL later).
//
// The model follows TigerBeetle's: a transfer moves an amount from one
// account to another of the same unit, so the balances of each unit always
// sum to zero; its ID is an idempotency key derived from business identity
// (a call and chunk number, a payment ID), so replaying it is a no-op and
// reusing it for something else is an error. A reservation holds an amount
// on an account (reserve), then is settled for at most that amount, voided,
// or expires. An account with a floor never has posted < 0 or
// posted - reserved < 0, and the store, not only Go code, enforces it.
package ledger
