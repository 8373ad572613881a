// Package account is the business side of the phone system: money, the
// ledger, rating, bundles, the credit gate and top-ups live in its
// sub-packages (money, rating, ledger, sqlite, payment, billing).
package account
