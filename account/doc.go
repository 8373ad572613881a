// Package account is the business side of the phone system, in its
// sub-packages: money and the ledger, rating, bundles, the credit gate and
// top-ups (billing), payments, numbers (catalog), people, roles, numbers'
// settings and routing (team), records, storage (sqlite), the HTTP API and
// its client (api), the assembly of a running system from explicit parts
// (system), and the demo account seeded on top of it (demo).
package account
