// Package switchboard is the phone system's SIP side: a registrar with
// digest authentication and a location service, and a back-to-back user
// agent that routes calls between users (and, later, numbers and trunks),
// relays their media, and asks the billing engine before it connects
// anything. It serves UDP, TCP and TLS through sipgo.
package switchboard
