// Package rating turns a call or a message into a price: it classifies phone
// numbers (libphonenumber metadata through nyaruka/phonenumbers), matches
// destinations in a rate deck by longest prefix, applies billing increments
// and connection fees, and decides which usage type an item is and whether a
// plan's bundle may cover it. It does no I/O and keeps no state.
//
// The pricing rule, stated once: a call of d seconds under increments I/S
// bills b = 0 if d = 0, I if d <= I, else I + ceil((d-I)/S)*S seconds; its
// cost is connection fee + rate*b/60, computed exactly and then rounded once,
// half-up, to 0.0001 (money.RoundCharge).
package rating
