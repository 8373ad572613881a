// Package phone is the SIP side of the product: the softphone's user agent
// and, in a sub-package, the switchboard's registrar, router and B2BUA.
//
// It starts with what both sides share: how a refused call is told apart
// (a 402 for credit, a 403 for permission, busy, declined) and the RFC 3326
// Reason header that carries the cause of a refusal or of a hang-up.
package phone
