// Package switchboard is the phone system's SIP side: a registrar with
// digest authentication and a location service, and a back-to-back user
// agent that routes calls between users, numbers (by team.Number.Route:
// members, menus, forwarding, voicemail) and the trunk, rings every phone
// of a callee at once (fork.go), bridges the first to answer through its
// media relay (bridge.go), ends calls either way (teardown.go), and asks
// the billing engine before it connects anything. It reaches account/
// through the Directory and Billing interfaces it defines. It serves UDP,
// TCP, TLS and WebSocket through sipgo, and bridges WebRTC phones to plain
// RTP.
package switchboard
