package sqlite

import "testing"

// TestWritesTeam: the statements that write to users or devices are told
// apart from the rest (the team cache empties on the first kind only).
func TestWritesTeam(t *testing.T) {
	for q, want := range map[string]bool{
		`INSERT INTO users (email) VALUES (?)`:                        true,
		`insert into devices(username) values (?)`:                    true,
		`UPDATE users SET role = ? WHERE email = ?`:                   true,
		`DELETE FROM devices WHERE email = ?`:                         true,
		"DELETE\n  FROM users WHERE email = ?":                        true,
		`SELECT email FROM users WHERE email = ?`:                     false,
		`INSERT INTO registrations (device) VALUES (?)`:               false,
		`UPDATE numbers SET owner = ? WHERE e164 = ?`:                 false,
		`DELETE FROM invitations WHERE token_hash = ?`:                false,
		`INSERT INTO calls (id) SELECT id FROM users WHERE email = ?`: true, // (a write that reads users: emptying is harmless)
	} {
		if got := writesTeam(q); got != want {
			t.Errorf("%q: %v, want %v", q, got, want)
		}
	}
}
