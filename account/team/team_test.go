package team_test

import (
	"errors"
	"testing"
	"time"

	"github.com/tetherphone/tether/account/team"
)

func TestPasswords(t *testing.T) {
	h, err := team.HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !team.CheckPassword(h, "correct horse battery") {
		t.Error("the right password is refused")
	}
	for _, wrong := range []string{"correct horse batterY", "", "correct horse battery "} {
		if team.CheckPassword(h, wrong) {
			t.Errorf("%q accepted", wrong)
		}
	}
	h2, _ := team.HashPassword("correct horse battery")
	if h == h2 {
		t.Error("two hashes of one password are equal: no salt")
	}
	for _, bad := range []string{"short", string(make([]byte, 300))} {
		if _, err := team.HashPassword(bad); !errors.Is(err, team.ErrInvalid) {
			t.Errorf("HashPassword(%d chars) = %v", len(bad), err)
		}
	}
	for _, junk := range []string{"", "$argon2id$v=19$m=1,t=1,p=1$$", "$bcrypt$x", "$argon2id$v=19$m=99999999,t=1,p=1$AAAA$AAAA"} {
		if team.CheckPassword(junk, "x") {
			t.Errorf("hash %q accepts anything", junk)
		}
	}
}

func TestDeviceCredentials(t *testing.T) {
	d, pw := team.NewDevice("rep@demo.test", "phonectl", "tether", time.Now())
	if d.HA1MD5 != team.HA1("MD5", d.Username, "tether", pw) || d.HA1SHA256 != team.HA1("SHA-256", d.Username, "tether", pw) {
		t.Fatal("the kept hashes do not match the password handed out")
	}
	// RFC 2617's example: Mufasa / testrealm@host.com / Circle Of Life.
	if got := team.HA1("MD5", "Mufasa", "testrealm@host.com", "Circle Of Life"); got != "939e7578ed9e3c518a452acee763bce9" {
		t.Errorf("MD5 HA1 %s", got)
	}
	d2, pw2 := team.NewDevice("rep@demo.test", "phonectl", "tether", time.Now())
	if d2.Username == d.Username || pw2 == pw || len(pw) < 16 {
		t.Error("device credentials repeat or are short")
	}
}

func TestUserValidate(t *testing.T) {
	good := team.User{Account: "a", Email: "rep@demo.test", Role: team.Member, Extension: "103"}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, u := range map[string]team.User{
		"email":     {Account: "a", Email: "not an email", Role: team.Member, Extension: "103"},
		"upper":     {Account: "a", Email: "Rep@demo.test", Role: team.Member, Extension: "103"},
		"role":      {Account: "a", Email: "rep@demo.test", Role: "God Mode!", Extension: "103"},
		"extension": {Account: "a", Email: "rep@demo.test", Role: team.Member, Extension: "0103"},
		"account":   {Email: "rep@demo.test", Role: team.Member, Extension: "103"},
	} {
		if err := u.Validate(); !errors.Is(err, team.ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
