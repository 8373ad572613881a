package api

// HashToken is hashToken, for tests that plant invitations.
var HashToken = hashToken
