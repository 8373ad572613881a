package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/tetherphone/tether/account/api"
	"github.com/tetherphone/tether/phone/softphone"
)

// signIn signs in to the account API and has it issue SIP credentials for
// this run, to register over transport; release deletes them and signs
// out.
func signIn(ctx context.Context, server, email, password, transport string, stderr io.Writer) (user, pass string, release func(), code int) {
	if email == "" || password == "" {
		fmt.Fprintln(stderr, "phonectl: account mode needs --user EMAIL and --password")
		return "", "", nil, exitUsage
	}
	host, _ := os.Hostname()
	a, err := softphone.SignIn(ctx, server, email, password, "phonectl on "+host)
	if err != nil {
		fmt.Fprintln(stderr, "phonectl: sign-in:", err)
		var e *api.Error
		switch {
		case errors.As(err, &e) && e.Status == 401:
			return "", "", nil, exitForbidden
		case errors.As(err, &e):
			return "", "", nil, exitFailure
		case errors.Is(err, api.ErrServerURL):
			return "", "", nil, exitUsage
		}
		return "", "", nil, exitFailure
	}
	route, err := a.Route(transport, "")
	if err != nil {
		fmt.Fprintln(stderr, "phonectl:", err)
		a.Release()
		return "", "", nil, exitUsage
	}
	cfg, err := a.PhoneConfig(route)
	if err != nil {
		fmt.Fprintln(stderr, "phonectl:", err)
		a.Release()
		return "", "", nil, exitFailure
	}
	return cfg.User, cfg.Password, a.Release, exitOK
}
