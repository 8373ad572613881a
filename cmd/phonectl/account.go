package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/tetherphone/tether/account/api"
)

type sipCreds struct{ user, password string }

// signIn signs in to the account API and has it issue SIP credentials for
// this run; release deletes them and signs out.
func signIn(ctx context.Context, server, email, password, transport string, stderr io.Writer) (sipCreds, func(), int) {
	if email == "" || password == "" {
		fmt.Fprintln(stderr, "phonectl: account mode needs --user EMAIL and --password")
		return sipCreds{}, nil, exitUsage
	}
	c, err := api.NewClient(server)
	if err != nil {
		fmt.Fprintln(stderr, "phonectl:", err)
		return sipCreds{}, nil, exitUsage
	}
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := c.SignIn(sctx, email, password); err != nil {
		fmt.Fprintln(stderr, "phonectl: sign-in:", err)
		var e *api.Error
		if errors.As(err, &e) && e.Status == 401 {
			return sipCreds{}, nil, exitForbidden
		}
		return sipCreds{}, nil, exitFailure
	}
	host, _ := os.Hostname()
	d, err := c.NewDevice(sctx, "phonectl on "+host)
	if err != nil {
		fmt.Fprintln(stderr, "phonectl: device credentials:", err)
		c.SignOut(sctx)
		return sipCreds{}, nil, exitFailure
	}
	addr, ok := d.SIP[transport]
	if !ok {
		fmt.Fprintf(stderr, "phonectl: the switchboard has no %s listener\n", transport)
		c.DeleteDevice(sctx, d.Username)
		c.SignOut(sctx)
		return sipCreds{}, nil, exitUsage
	}
	release := func() {
		rctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c.DeleteDevice(rctx, d.Username)
		c.SignOut(rctx)
	}
	return sipCreds{user: fmt.Sprintf("sip:%s@%s", d.Username, addr), password: d.Password}, release, exitOK
}
