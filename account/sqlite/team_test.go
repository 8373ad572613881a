package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/tetherphone/tether/account/billing"
	"github.com/tetherphone/tether/account/sqlite"
	"github.com/tetherphone/tether/account/team"
)

// acmeDB is a new store holding one customer, acme.
func acmeDB(t *testing.T) *sqlite.DB {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "team.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.CreateCustomer(ctx, billing.Customer{ID: "acme", Currency: "USD", Plan: "team", CycleAnchor: time.Now(), Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestTeamStore(t *testing.T) {
	ctx := context.Background()
	db := acmeDB(t)
	owner := team.User{Account: "acme", Email: "ann@acme.test", Role: team.Owner, Extension: "101", Created: time.Now()}
	if err := db.CreateUser(ctx, owner, "hash"); err != nil {
		t.Fatal(err)
	}
	for name, u := range map[string]team.User{
		"same email":     {Account: "acme", Email: "ann@acme.test", Role: team.Member, Extension: "102"},
		"same extension": {Account: "acme", Email: "bob@acme.test", Role: team.Member, Extension: "101"},
		"second owner":   {Account: "acme", Email: "cy@acme.test", Role: team.Owner, Extension: "103"},
	} {
		if err := db.CreateUser(ctx, u, ""); !errors.Is(err, team.ErrExists) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := db.CreateUser(ctx, team.User{Account: "nobody", Email: "x@y.test", Role: team.Member, Extension: "101"}, ""); !errors.Is(err, team.ErrNotFound) {
		t.Errorf("unknown account: %v", err)
	}
	if u, err := db.UserByExtension(ctx, "acme", "101"); err != nil || u.Email != "ann@acme.test" || u.Role != team.Owner {
		t.Errorf("by extension: %+v %v", u, err)
	}
	if h, err := db.PasswordHash(ctx, "ANN@acme.test"); err != nil || h != "hash" {
		t.Errorf("password hash %q %v", h, err)
	}
	d, _ := team.NewDevice("ann@acme.test", "desk", "tether", time.Now())
	if err := db.AddDevice(ctx, d); err != nil {
		t.Fatal(err)
	}
	if got, err := db.Device(ctx, d.Username); err != nil || got.HA1SHA256 != d.HA1SHA256 || got.Email != d.Email {
		t.Errorf("device %+v %v", got, err)
	}
	orphan, _ := team.NewDevice("ghost@acme.test", "desk", "tether", time.Now())
	if err := db.AddDevice(ctx, orphan); !errors.Is(err, team.ErrNotFound) {
		t.Errorf("a device for nobody: %v", err)
	}
	if _, err := db.Device(ctx, "nobody"); !errors.Is(err, team.ErrNotFound) {
		t.Errorf("unknown device: %v", err)
	}
	if err := db.DeleteDevice(ctx, d.Username); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Device(ctx, d.Username); !errors.Is(err, team.ErrNotFound) {
		t.Errorf("deleted device still there: %v", err)
	}
	if err := db.DeleteDevice(ctx, d.Username); !errors.Is(err, team.ErrNotFound) {
		t.Errorf("deleting twice: %v", err)
	}
}

func TestNumbersStore(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "team.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, acct := range []string{"acme", "other"} {
		if _, err := db.CreateCustomer(ctx, billing.Customer{ID: acct, Currency: "USD", Plan: "team", CycleAnchor: time.Now(), Created: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	for i, email := range []string{"ann@acme.test", "bob@acme.test"} {
		if err := db.CreateUser(ctx, team.User{Account: "acme", Email: email, Role: team.Member, Extension: fmt.Sprint(101 + i)}, ""); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.CreateUser(ctx, team.User{Account: "other", Email: "eve@other.test", Role: team.Member, Extension: "101"}, ""); err != nil {
		t.Fatal(err)
	}
	if err := db.SetNumber(ctx, team.Number{E164: "+14155550100", Account: "acme", Members: []string{"ann@acme.test"}}); err != nil {
		t.Fatal(err)
	}
	if err := db.SetNumber(ctx, team.Number{E164: "+14155550101", Account: "acme", Members: []string{"bob@acme.test", "ann@acme.test"}}); err != nil {
		t.Fatal(err)
	}
	n, err := db.Number(ctx, "+14155550101")
	if err != nil || !n.Shared() || n.Members[0] != "bob@acme.test" || n.Account != "acme" {
		t.Fatalf("shared number %+v %v", n, err)
	}
	if ns, err := db.NumbersOf(ctx, "ann@acme.test"); err != nil || len(ns) != 2 || ns[0].E164 != "+14155550100" {
		t.Fatalf("ann's numbers (dedicated first) %+v %v", ns, err)
	}
	bad := map[string]team.Number{
		"another account's user": {E164: "+14155550102", Account: "acme", Members: []string{"eve@other.test"}},
		"no members":             {E164: "+14155550102", Account: "acme"},
		"not E.164":              {E164: "4155550102", Account: "acme", Members: []string{"ann@acme.test"}},
		"taken by another":       {E164: "+14155550100", Account: "other", Members: []string{"eve@other.test"}},
	}
	for name, n := range bad {
		if err := db.SetNumber(ctx, n); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := db.Number(ctx, "+14155550102"); !errors.Is(err, team.ErrNotFound) {
		t.Errorf("a refused number was kept: %v", err)
	}
	// Business hours and voicemail.
	h, _ := team.ParseHours("mon-fri 09:00-17:00", "Europe/London")
	if err := db.SetHours(ctx, "+14155550100", h); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.Number(ctx, "+14155550100"); n.Hours.String() != h.String() || n.Hours.Zone != "Europe/London" {
		t.Errorf("hours %q %q", n.Hours, n.Hours.Zone)
	}
	if err := db.SetHours(ctx, "+19999999999", h); !errors.Is(err, team.ErrNotFound) {
		t.Errorf("hours for no number: %v", err)
	}
	for i, id := range []string{"vm1", "vm2"} {
		v := team.Voicemail{ID: id, Account: "acme", Number: "+14155550100", From: "+442071234567", Seconds: 7, Path: "voicemail/" + id + ".wav",
			Created: time.Unix(int64(1000+i), 0)}
		if err := db.AddVoicemail(ctx, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.MarkHeard(ctx, "vm1", true); err != nil {
		t.Fatal(err)
	}
	vs, err := db.Voicemails(ctx, "+14155550100")
	if err != nil || len(vs) != 2 || vs[0].ID != "vm2" || vs[0].Heard || !vs[1].Heard || vs[1].Seconds != 7 {
		t.Errorf("voicemails %+v %v", vs, err)
	}
	if err := db.MarkHeard(ctx, "nope", true); !errors.Is(err, team.ErrNotFound) {
		t.Errorf("marking no voicemail: %v", err)
	}
}

// TestTeamCache: users and devices are read from a cache, and every change
// to them is seen by the next read: a device deleted no longer
// authenticates, a role changed or an owner handed over counts at once, a
// user removed is gone (each read right after the change, the cache warm).
func TestTeamCache(t *testing.T) {
	ctx := context.Background()
	db := acmeDB(t)
	for i, u := range []team.User{{Email: "ann@acme.test", Role: team.Owner}, {Email: "bob@acme.test", Role: team.Member}} {
		u.Account, u.Extension, u.Created = "acme", fmt.Sprint(101+i), time.Now()
		if err := db.CreateUser(ctx, u, "hash"); err != nil {
			t.Fatal(err)
		}
	}
	role := func(email string) team.Role {
		t.Helper()
		u, err := db.User(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		return u.Role
	}
	d, _ := team.NewDevice("bob@acme.test", "desk", "tether", time.Now())
	if _, err := db.Device(ctx, d.Username); !errors.Is(err, team.ErrNotFound) {
		t.Fatalf("a device not added yet: %v", err)
	}
	if err := db.AddDevice(ctx, d); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second read from the cache
		if got, err := db.Device(ctx, d.Username); err != nil || got.HA1MD5 != d.HA1MD5 {
			t.Fatalf("the device added: %+v %v", got, err)
		}
	}
	if err := db.DeleteDevice(ctx, d.Username); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Device(ctx, d.Username); !errors.Is(err, team.ErrNotFound) {
		t.Errorf("a deleted device still found: %v", err)
	}

	if r := role("BOB@acme.test"); r != team.Member {
		t.Fatalf("bob is %s", r)
	}
	if err := db.SetRole(ctx, "bob@acme.test", team.Admin); err != nil {
		t.Fatal(err)
	}
	if r := role("bob@acme.test"); r != team.Admin {
		t.Errorf("bob after SetRole admin: %s", r)
	}
	role("ann@acme.test")
	if err := db.TransferOwnership(ctx, "acme", "bob@acme.test"); err != nil {
		t.Fatal(err)
	}
	if a, b := role("ann@acme.test"), role("bob@acme.test"); a != team.Admin || b != team.Owner {
		t.Errorf("after handing ownership to bob: ann %s, bob %s", a, b)
	}
	if err := db.RemoveUser(ctx, "ann@acme.test"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.User(ctx, "ann@acme.test"); !errors.Is(err, team.ErrNotFound) {
		t.Errorf("a removed user still found: %v", err)
	}
}
