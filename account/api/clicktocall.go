package api

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/tetherphone/tether/account/team"
)

// Dialer places calls on the switchboard for the API (POST /v1/calls).
type Dialer interface {
	// ClickToCall rings email's own phones and, once one answers, dials
	// to from from ("" for their usual caller ID); it returns the call's
	// id as the phones ring. A refusal is an error with a Status() int
	// method (the SIP status it stands for) and words for the user.
	ClickToCall(ctx context.Context, email, to, from string) (string, error)
}

// CallRequest is POST /v1/calls's body.
type CallRequest struct {
	To         string `json:"to"`
	FromNumber string `json:"from_number,omitempty"`
	// User is whose phones ring and whose call it is: the caller's own
	// when empty; another user's needs team.manage (a CRM's key starting
	// a rep's calls).
	User string `json:"user,omitempty"`
}

// CallStarted answers POST /v1/calls: the call's id (its record's, once
// it ends: GET /v1/calls) and what is happening.
type CallStarted struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

// startCall is server-side click-to-call: the signed-in user's (or the
// key's maker's) phones ring, and the number is dialled when one answers.
func (s *Server) startCall(w http.ResponseWriter, r *http.Request, u caller) {
	var req CallRequest
	if !readJSON(w, r, &req) {
		return
	}
	to, from := strings.TrimSpace(req.To), strings.TrimSpace(req.FromNumber)
	if to == "" || len(to) > 40 || len(from) > 40 {
		writeErr(w, http.StatusBadRequest, "bad_input", "give \"to\" a phone number (and \"from_number\" one of yours, or leave it out)")
		return
	}
	who := u.Email
	if req.User != "" && !strings.EqualFold(req.User, u.Email) {
		if !u.Rights.Has(team.ManageTeam) {
			writeErr(w, http.StatusForbidden, "forbidden", "starting someone else's calls needs the %s permission", team.ManageTeam)
			return
		}
		other, err := s.cfg.Users.User(r.Context(), strings.TrimSpace(req.User))
		if err != nil || other.Account != u.Account {
			writeErr(w, http.StatusNotFound, "not_found", "no such user in the account")
			return
		}
		who = other.Email
	}
	if s.cfg.Dialer == nil {
		writeErr(w, http.StatusServiceUnavailable, "no_switchboard", "this server places no calls (no switchboard is wired to it)")
		return
	}
	id, err := s.cfg.Dialer.ClickToCall(r.Context(), who, to, from)
	var refused interface{ Status() int }
	switch {
	case errors.As(err, &refused):
		code, status := "refused", http.StatusConflict
		switch refused.Status() {
		case 402:
			code, status = "no_credit", http.StatusPaymentRequired
		case 403:
			code, status = "forbidden", http.StatusForbidden
		case 404, 484:
			code, status = "bad_input", http.StatusBadRequest
		case 409, 480:
			code, status = "no_phone", http.StatusConflict
		case 503:
			code, status = "unavailable", http.StatusServiceUnavailable
		}
		writeErr(w, status, code, "%s", err.Error())
		return
	case err != nil:
		s.fail(w, err, "start a call")
		return
	}
	writeJSON(w, http.StatusAccepted, CallStarted{ID: id, Status: "ringing your phone; the number is dialled when you answer"})
}
