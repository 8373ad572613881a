package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/tetherphone/tether/account/billing"
	"github.com/tetherphone/tether/account/company"
	"github.com/tetherphone/tether/account/country"
	"github.com/tetherphone/tether/account/mail"
	"github.com/tetherphone/tether/account/money"
	"github.com/tetherphone/tether/account/rating"
	"github.com/tetherphone/tether/account/team"
)

// PlanInfo is a plan as people choose it.
type PlanInfo struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Price    string `json:"price"` // per seat per month, "29.00"
	Currency string `json:"currency"`
	Summary  string `json:"summary"`
	// Per seat per month, pooled across the account: minutes of calls
	// (US and Canada), texts, AI agent minutes.
	Minutes        int64 `json:"minutes"`
	Texts          int64 `json:"texts"`
	AIAgentMinutes int64 `json:"ai_agent_minutes,omitempty"`
}

func planInfo(p billing.Plan) PlanInfo {
	return PlanInfo{ID: p.ID, Name: p.Name, Price: p.Price.StringFixed(2), Currency: money.DefaultCurrency, Summary: p.Summary,
		Minutes: p.PerSeat[rating.PoolVoice] / 60, Texts: p.PerSeat[rating.PoolSMS], AIAgentMinutes: p.PerSeat[rating.PoolAIAgent] / 60}
}

func (s *Server) plans(w http.ResponseWriter, r *http.Request) {
	out := []PlanInfo{}
	for _, p := range s.cfg.Billing.Plans() {
		out = append(out, planInfo(p))
	}
	writeJSON(w, http.StatusOK, out)
}

// SignUpRequest is POST /v1/signup's body.
type SignUpRequest struct {
	Company  string `json:"company"`
	Name     string `json:"name"` // the Owner's
	Email    string `json:"email"`
	Password string `json:"password"`
	Country  string `json:"country"` // ISO 3166 alpha-2
	Plan     string `json:"plan"`
}

// SignUpResponse is what a sign-up returns: the Owner signed in, and
// where the verification code went.
type SignUpResponse struct {
	Session Session `json:"session"`
	// CodeSentTo is the address the verification code was emailed to;
	// Emailed false (with EmailError) when it could not be sent: ask for
	// another (POST /v1/account/verify/resend).
	CodeSentTo string `json:"code_sent_to"`
	Emailed    bool   `json:"emailed"`
	EmailError string `json:"email_error,omitempty"`
}

func (s *Server) stores() company.Stores {
	return company.Stores{Users: s.cfg.Users, Billing: s.cfg.Billing, Now: s.cfg.Now}
}

func (s *Server) signUp(w http.ResponseWriter, r *http.Request) {
	if s.cfg.SignupClosed {
		writeErr(w, http.StatusForbidden, "signup_closed", "this switchboard does not take sign-ups: its operator opens accounts")
		return
	}
	var req SignUpRequest
	if !readJSON(w, r, &req) {
		return
	}
	if n := len(req.Password); n < 10 || n > 256 {
		writeErr(w, http.StatusBadRequest, "bad_input", "a password has 10 to 256 characters")
		return
	}
	if req.Plan == "" {
		writeErr(w, http.StatusBadRequest, "bad_input", "choose a plan (GET /v1/plans lists them)")
		return
	}
	if !s.mayTry(w, r) {
		return
	}
	// Everything but the address's being free, before the password hash.
	if _, ok := country.Lookup(req.Country); !ok {
		writeErr(w, http.StatusBadRequest, "bad_input", "%q is not a country code (ISO 3166 alpha-2, such as US or GB)", req.Country)
		return
	}
	var hash string
	var err error
	if !s.hash(w, r, func() { hash, err = team.HashPassword(req.Password) }) {
		return
	}
	if err != nil {
		writeErr(w, http.StatusBadRequest, "bad_input", "a password has 10 to 256 characters")
		return
	}
	o, err := company.Open(r.Context(), s.stores(), company.New{Name: req.Company, Country: req.Country, Plan: req.Plan,
		Owner: req.Email, OwnerName: strings.TrimSpace(req.Name), PasswordHash: hash})
	if err != nil {
		s.fail(w, err, "open the account")
		return
	}
	sess, err := s.startSession(r.Context(), o.Owner)
	if err != nil {
		writeErr(w, http.StatusInternalServerError, "internal", "the account is open but the sign-in failed: sign in")
		return
	}
	out := SignUpResponse{Session: sess, CodeSentTo: o.Owner.Email}
	if err := s.sendCode(r.Context(), o.Owner, sess.User.AccountName); err != nil {
		out.EmailError = err.Error()
	} else {
		out.Emailed = true
	}
	writeJSON(w, http.StatusCreated, out)
}

// sendCode emails u a fresh verification code.
func (s *Server) sendCode(ctx context.Context, u team.User, companyName string) (err error) {
	code, err := company.NewCode(ctx, s.stores(), u.Email)
	if err != nil {
		return err
	}
	hello := "Hello"
	if u.Name != "" {
		hello += " " + u.Name
	}
	defer func() {
		if err != nil && !errors.Is(err, errKept) { // not sent: another may be asked for at once
			s.cfg.Users.SpendVerification(context.WithoutCancel(ctx), u.Email)
		}
	}()
	return s.send(ctx, mail.Message{To: u.Email, Subject: "Your Tether verification code: " + code,
		Text: fmt.Sprintf("%s,\n\nYour code to verify this email address for %s on Tether is:\n\n    %s\n\n"+
			"Enter it in the app, or run: phonectl verify %s\nIt is good for %d minutes. If you did not sign up, ignore this email.\n",
			hello, companyName, code, code, int(company.CodeTTL.Minutes()))})
}

// send emails m, within 15 seconds; errors say what went wrong.
func (s *Server) send(ctx context.Context, m mail.Message) error {
	if s.cfg.Mail == nil {
		return errors.New("this switchboard sends no email")
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := s.cfg.Mail.Send(ctx, m); err != nil {
		s.cfg.Log.Warn("api: sending an email", "to", m.To, "err", err)
		return errors.New("the email could not be sent; try again later")
	}
	if _, kept := s.cfg.Mail.(mail.Outbox); kept {
		return errKept
	}
	return nil
}

// errKept: the message was not sent but kept for the operator to pass on.
var errKept = errors.New("this switchboard has no mail server: the message waits in its operator's outbox")

// VerifyRequest is POST /v1/account/verify's body.
type VerifyRequest struct {
	Code string `json:"code"`
}

func (s *Server) verify(w http.ResponseWriter, r *http.Request, u caller) {
	var req VerifyRequest
	if !readJSON(w, r, &req) {
		return
	}
	if !u.cust.Verified.IsZero() {
		writeJSON(w, http.StatusOK, map[string]bool{"verified": true})
		return
	}
	if u.Role != team.Owner {
		writeErr(w, http.StatusForbidden, "forbidden", "the Owner verifies the account's email address")
		return
	}
	if len(req.Code) > 20 {
		writeErr(w, http.StatusBadRequest, "bad_input", "a code has six digits")
		return
	}
	if !s.mayTry(w, r) {
		return
	}
	switch err := company.CheckCode(r.Context(), s.stores(), u.Email, req.Code); {
	case errors.Is(err, company.ErrCodeWrong), errors.Is(err, company.ErrCodeSpent):
		writeErr(w, http.StatusUnprocessableEntity, "wrong_code", "%s", strings.TrimPrefix(err.Error(), "company: "))
		return
	case err != nil:
		s.fail(w, err, "check the code")
		return
	}
	ctx := r.Context()
	if err := s.cfg.Billing.Verify(ctx, u.Account); err != nil {
		s.fail(w, err, "verify the account")
		return
	}
	s.cfg.Users.AppendAudit(ctx, u.entry("account.verify", u.Account, "verified %s", u.Email))
	writeJSON(w, http.StatusOK, map[string]bool{"verified": true})
}

func (s *Server) resendCode(w http.ResponseWriter, r *http.Request, u caller) {
	if !u.cust.Verified.IsZero() {
		writeJSON(w, http.StatusOK, map[string]bool{"verified": true}) // nothing to send
		return
	}
	if u.Role != team.Owner {
		writeErr(w, http.StatusForbidden, "forbidden", "the Owner verifies the account's email address")
		return
	}
	err := s.sendCode(r.Context(), u.User, u.cust.Name)
	switch {
	case errors.Is(err, company.ErrTooSoon):
		retryAfter(w, http.StatusTooManyRequests, company.ResendAfter, "too_soon", "%s", strings.TrimPrefix(err.Error(), "company: "))
	case err != nil:
		writeErr(w, http.StatusBadGateway, "not_sent", "%s", err.Error())
	default:
		writeJSON(w, http.StatusOK, map[string]string{"code_sent_to": u.Email})
	}
}

// AccountInfo is the company as its people see it.
type AccountInfo struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Country   string    `json:"country"`
	Zone      string    `json:"zone"`
	CallerID  string    `json:"caller_id"` // "" : each person's first number
	Currency  string    `json:"currency"`
	Plan      PlanInfo  `json:"plan"`
	Verified  bool      `json:"verified"`
	Suspended string    `json:"suspended,omitempty"`
	Created   time.Time `json:"created"`
}

func (s *Server) accountInfo(c billing.Customer) AccountInfo {
	p, _ := s.cfg.Billing.Plan(c.Plan)
	return AccountInfo{ID: c.ID, Name: c.Name, Country: c.Region, Zone: c.Zone, CallerID: c.CallerID, Currency: c.Currency,
		Plan: planInfo(p), Verified: !c.Verified.IsZero(), Suspended: c.Suspended, Created: c.Created}
}

func (s *Server) account(w http.ResponseWriter, r *http.Request, u caller) {
	writeJSON(w, http.StatusOK, s.accountInfo(u.cust))
}

// AccountRequest is PATCH /v1/account's body: the fields to change.
type AccountRequest struct {
	Name     *string `json:"name"`
	Country  *string `json:"country"`
	Zone     *string `json:"zone"`
	CallerID *string `json:"caller_id"`
}

func (s *Server) setAccount(w http.ResponseWriter, r *http.Request, u caller) {
	var req AccountRequest
	if !readJSON(w, r, &req) {
		return
	}
	p := billing.Profile{Name: u.cust.Name, Region: u.cust.Region, Zone: u.cust.Zone, CallerID: u.cust.CallerID}
	if req.Name != nil {
		p.Name = *req.Name
	}
	if req.Country != nil {
		p.Region = *req.Country
		if req.Zone == nil { // a new country brings its zone, unless one is given
			if c, ok := country.Lookup(*req.Country); ok && c.Code != u.cust.Region {
				p.Zone = c.Zone()
			}
		}
	}
	if req.Zone != nil {
		p.Zone = *req.Zone
	}
	if req.CallerID != nil {
		p.CallerID = strings.TrimSpace(*req.CallerID)
		if p.CallerID != "" {
			n, err := s.cfg.Users.Number(r.Context(), p.CallerID)
			if err != nil || n.Account != u.Account {
				writeErr(w, http.StatusBadRequest, "bad_input", "the caller ID must be one of the account's numbers (GET /v1/numbers)")
				return
			}
		}
	}
	ctx := r.Context()
	if err := s.cfg.Billing.SetProfile(ctx, u.Account, p); err != nil {
		s.fail(w, err, "change the account")
		return
	}
	s.cfg.Users.AppendAudit(ctx, u.entry("account.update", u.Account, "name %q, country %s, zone %s, caller ID %q", p.Name, p.Region, p.Zone, p.CallerID))
	c, err := s.cfg.Billing.Customer(ctx, u.Account)
	if err != nil {
		s.fail(w, err, "read the account")
		return
	}
	writeJSON(w, http.StatusOK, s.accountInfo(c))
}
