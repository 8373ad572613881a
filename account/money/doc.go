// Package money owns the rules for amounts of money: how charges are rounded,
// how amounts are stored, parsed and shown.
//
// The rules, in one place:
//
//   - Money is a shopspring/decimal.Decimal, never a float.
//   - A charge is computed exactly and rounded once, half-up to 4 decimal
//     places (0.0001), by [RoundCharge]. Sums of rounded charges are exact.
//   - The ledger stores amounts as integers of 10^-6 of the currency unit
//     ([Scale]); an amount with more decimals is refused, never truncated.
//   - Balances are shown to the cent, rounded down ([Display]), so the screen
//     never promises credit the account does not hold.
//
// Nothing here depends on decimal.DivisionPrecision, a mutable package-level
// setting: every division in this project states its own precision.
package money
