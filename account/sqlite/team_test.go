package sqlite_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/tetherphone/tether/account/billing"
	"github.com/tetherphone/tether/account/sqlite"
	"github.com/tetherphone/tether/account/team"
)

func TestTeamStore(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "team.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.CreateCustomer(ctx, billing.Customer{ID: "acme", Currency: "USD", Plan: "team", CycleAnchor: time.Now(), Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
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
