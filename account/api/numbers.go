package api

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/shopspring/decimal"
	"github.com/tetherphone/tether/account/billing"
	"github.com/tetherphone/tether/account/catalog"
	"github.com/tetherphone/tether/account/ledger"
	"github.com/tetherphone/tether/account/rating"
	"github.com/tetherphone/tether/account/team"
)

// NumberInfo is one of the account's numbers and its settings.
type NumberInfo struct {
	Number            string     `json:"number"`
	Display           string     `json:"display"`
	Type              string     `json:"type"`
	Country           string     `json:"country"`
	Members           []string   `json:"members"`
	Shared            bool       `json:"shared"`
	Routing           string     `json:"routing"`   // in business hours: "members", "ivr", "forward", "voicemail"
	RouteNow          string     `json:"route_now"` // where a call goes now (after hours: "voicemail" or "forward")
	Hours             string     `json:"hours"`
	Zone              string     `json:"zone"`
	OpenNow           bool       `json:"open_now"`
	Forward           string     `json:"forward,omitempty"`
	ForwardAfterHours bool       `json:"forward_after_hours"`
	Record            bool       `json:"record"`
	Voicemail         bool       `json:"voicemail"`
	Transcribe        bool       `json:"transcribe"`
	Greeting          string     `json:"greeting"` // the URL of the number's own voicemail greeting; "" for the standard one
	Menu              *team.Menu `json:"menu,omitempty"`
	Monthly           string     `json:"monthly"`
}

func (s *Server) numberInfo(n team.Number) NumberInfo {
	info := NumberInfo{Number: n.E164, Display: n.E164, Type: cmp.Or(n.Kind, "local"), Members: n.Members, Shared: n.Shared(),
		Routing: string(n.InHours()), RouteNow: string(n.Route(s.cfg.Now())), Hours: n.Hours.String(), Zone: cmp.Or(n.Hours.Zone, "UTC"), OpenNow: n.Hours.OpenAt(s.cfg.Now()),
		Forward: n.Forward, ForwardAfterHours: n.AfterHoursOnly, Record: n.Record, Voicemail: n.Voicemail, Transcribe: n.Transcribe,
		Greeting: s.greetingURL(n), Menu: n.Menu, Monthly: n.Monthly.StringFixed(2)}
	info.Display, info.Country = catalog.Display(n.E164)
	if info.Members == nil {
		info.Members = []string{}
	}
	return info
}

func (s *Server) numbers(w http.ResponseWriter, r *http.Request, u caller) {
	var ns []team.Number
	var err error
	if u.can(team.ManageNumbers) {
		ns, err = s.cfg.Users.AccountNumbers(r.Context(), u.Account)
	} else {
		ns, err = s.cfg.Users.NumbersOf(r.Context(), u.Email)
	}
	if err != nil {
		s.fail(w, err, "list the numbers")
		return
	}
	out := []NumberInfo{}
	for _, n := range ns {
		out = append(out, s.numberInfo(n))
	}
	writeJSON(w, http.StatusOK, out)
}

// pathNumber finds the number named in the path that u may see: a member
// of it, or anyone who manages numbers.
func (s *Server) pathNumber(w http.ResponseWriter, r *http.Request, u caller) (team.Number, bool) {
	pn, err := rating.ParseNumber(r.PathValue("number"), u.region)
	if err != nil {
		writeErr(w, http.StatusBadRequest, "bad_input", "a number in the path is in E.164 (+14155550100)")
		return team.Number{}, false
	}
	n, err := s.cfg.Users.Number(r.Context(), pn.E164)
	if err == nil && n.Account == u.Account && (u.can(team.ManageNumbers) || slices.Contains(n.Members, u.Email)) {
		return n, true
	}
	if err != nil && !errors.Is(err, team.ErrNotFound) {
		s.fail(w, err, "read the number")
		return n, false
	}
	writeErr(w, http.StatusNotFound, "not_found", "no such number of yours")
	return n, false
}

func (s *Server) number(w http.ResponseWriter, r *http.Request, u caller) {
	if n, ok := s.pathNumber(w, r, u); ok {
		writeJSON(w, http.StatusOK, s.numberInfo(n))
	}
}

// OfferInfo is a number on offer, with what it would cost this account.
type OfferInfo struct {
	catalog.Offer
	Price string `json:"price"` // monthly, for this account: "0.00" while free numbers remain
}

// price is what an account holding have numbers would pay a month for
// one offered at monthly: nothing while it holds fewer than the free
// numbers.
func (s *Server) price(have int, monthly decimal.Decimal) decimal.Decimal {
	if have < s.cfg.FreeNumbers {
		return decimal.Zero
	}
	return monthly
}

func (s *Server) searchNumbers(w http.ResponseWriter, r *http.Request, u caller) {
	q := r.URL.Query()
	country := q.Get("country")
	if country == "" || len(country) != 2 {
		writeErr(w, http.StatusBadRequest, "bad_input", "give ?country= a two-letter country code (US, GB, DE) and optionally ?type=local|mobile|toll-free|national")
		return
	}
	kind, err := catalog.ParseKind(q.Get("type"))
	if err != nil {
		s.fail(w, err, "search numbers")
		return
	}
	limit, err := queryInt(r, "limit", 10, 1, 50)
	if err != nil {
		writeAPIErr(w, err)
		return
	}
	offers, err := s.cfg.Catalog.Search(r.Context(), country, kind, limit+5)
	if err != nil {
		s.fail(w, err, "search numbers")
		return
	}
	have, err := s.cfg.Users.AccountNumbers(r.Context(), u.Account)
	if err != nil {
		s.fail(w, err, "price numbers")
		return
	}
	out := []OfferInfo{}
	for _, o := range offers {
		if len(out) == limit {
			break
		}
		if _, err := s.cfg.Users.Number(r.Context(), o.E164); err == nil {
			continue // taken
		}
		out = append(out, OfferInfo{Offer: o, Price: s.price(len(have), o.Monthly).StringFixed(2)})
	}
	writeJSON(w, http.StatusOK, out)
}

// BuyRequest is POST /v1/numbers's body.
type BuyRequest struct {
	Number string   `json:"number"`
	Assign []string `json:"assign,omitempty"` // who answers it (the buyer when empty)
	// IdempotencyKey names this purchase (a fresh random one per purchase,
	// sent again on a retry): the first month is charged once whatever
	// number of times the request arrives. Without it, the purchase is
	// named by the account, the number and how many times the account
	// bought it before.
	IdempotencyKey string `json:"idempotency_key,omitempty"`
}

func (s *Server) members(w http.ResponseWriter, r *http.Request, u caller, emails []string) ([]string, bool) {
	if len(emails) == 0 || len(emails) > 50 {
		writeErr(w, http.StatusBadRequest, "bad_input", "a number is answered by 1 to 50 teammates")
		return nil, false
	}
	var out []string
	for _, e := range emails {
		email, err := team.NormalizeEmail(e)
		if err != nil {
			writeErr(w, http.StatusBadRequest, "bad_input", "%q is not an email address", e)
			return nil, false
		}
		if tu, err := s.cfg.Users.User(r.Context(), email); err != nil || tu.Account != u.Account {
			writeErr(w, http.StatusBadRequest, "bad_input", "%s is not on your team", email)
			return nil, false
		}
		if !slices.Contains(out, email) {
			out = append(out, email)
		}
	}
	return out, true
}

func (s *Server) buyNumber(w http.ResponseWriter, r *http.Request, u caller) {
	var req BuyRequest
	if !readJSON(w, r, &req) {
		return
	}
	if len(req.Assign) == 0 {
		req.Assign = []string{u.Email}
	}
	members, ok := s.members(w, r, u, req.Assign)
	if !ok {
		return
	}
	offer, err := s.cfg.Catalog.Order(r.Context(), strings.TrimSpace(req.Number))
	if err != nil {
		s.fail(w, err, "buy the number")
		return
	}
	if _, err := s.cfg.Users.Number(r.Context(), offer.E164); err == nil {
		writeErr(w, http.StatusConflict, "taken", "%s is already taken", offer.E164)
		return
	}
	held, err := s.cfg.Users.AccountNumbers(r.Context(), u.Account)
	if err != nil {
		s.fail(w, err, "price the number")
		return
	}
	have := len(held)
	price := s.price(have, offer.Monthly)
	key, err := s.purchaseKey(r.Context(), u.Account, offer.E164, req.IdempotencyKey)
	if err != nil {
		s.fail(w, err, "buy the number")
		return
	}
	if price.IsPositive() {
		if err := s.cfg.Billing.Purchase(r.Context(), u.Account, key, billing.NumberRental, price,
			fmt.Sprintf("%s (%s %s), first month", offer.E164, offer.Country, offer.Kind)); err != nil {
			s.fail(w, err, "pay for the number")
			return
		}
	}
	n := team.Number{E164: offer.E164, Account: u.Account, Members: members, Kind: string(offer.Kind), Monthly: price}
	ctx := u.audit(r.Context(), "number.buy", offer.E164, "bought %s %s number %s for %s a month (number %d of the account)",
		offer.Country, offer.Kind, offer.E164, price.StringFixed(2), have+1)
	if err := s.cfg.Users.SetNumber(ctx, n); err != nil {
		if price.IsPositive() {
			if rerr := s.cfg.Billing.Adjust(r.Context(), u.Account, "refund:"+key, price, "refund: the number could not be set up"); rerr != nil {
				s.cfg.Log.Error("api: refund a number that failed", "number", offer.E164, "err", rerr)
			}
		}
		s.fail(w, err, "set up the number")
		return
	}
	// Its hours start as always open, in the company's time zone.
	if h, err := team.ParseHours("always", cmp.Or(u.cust.Zone, "UTC")); err == nil {
		if err := s.cfg.Users.SetHours(r.Context(), offer.E164, h); err != nil {
			s.cfg.Log.Warn("api: a new number's time zone", "number", offer.E164, "err", err)
		}
	}
	got, err := s.cfg.Users.Number(r.Context(), offer.E164)
	if err != nil {
		s.fail(w, err, "read the number")
		return
	}
	writeJSON(w, http.StatusCreated, s.numberInfo(got))
}

// purchaseKey names a number's purchase from what the purchase is, never
// from the clock: the client's key, or the number and how many times the
// account bought it before (so buying it again after releasing it is a new
// purchase, and a retry of the same one is not).
func (s *Server) purchaseKey(ctx context.Context, account, e164, clientKey string) (string, error) {
	if clientKey != "" {
		if !keyRE.MatchString(clientKey) {
			return "", fmt.Errorf("%w: idempotency_key is 8 to 100 of A-Z, a-z, 0-9 and ._:-", billing.ErrInvalid)
		}
		return "number:" + e164 + ":key:" + clientKey, nil
	}
	paid, err := s.cfg.Billing.Transactions(ctx, account, ledger.Filter{Codes: []string{billing.NumberRental}}, 0, 0)
	if err != nil {
		return "", err
	}
	n := 0
	for _, t := range paid {
		if strings.HasPrefix(t.Ref, "number:"+e164+":") {
			n++
		}
	}
	return fmt.Sprintf("number:%s:%d", e164, n), nil
}

func (s *Server) releaseNumber(w http.ResponseWriter, r *http.Request, u caller) {
	n, ok := s.pathNumber(w, r, u)
	if !ok {
		return
	}
	if err := s.cfg.Users.ReleaseNumber(u.audit(r.Context(), "number.release", n.E164, "released %s", n.E164), n.E164); err != nil {
		s.fail(w, err, "release the number")
		return
	}
	if err := s.cfg.Catalog.Release(r.Context(), n.E164); err != nil {
		s.cfg.Log.Warn("api: the carrier did not take the number back", "number", n.E164, "err", err)
	}
	w.WriteHeader(http.StatusNoContent)
}

// MembersRequest is PUT /v1/numbers/{number}/members's body: one member
// makes a dedicated line, several a shared one.
type MembersRequest struct {
	Members []string `json:"members"`
}

func (s *Server) numberMembers(w http.ResponseWriter, r *http.Request, u caller) {
	var req MembersRequest
	if !readJSON(w, r, &req) {
		return
	}
	n, ok := s.pathNumber(w, r, u)
	if !ok {
		return
	}
	members, ok := s.members(w, r, u, req.Members)
	if !ok {
		return
	}
	what := "assigned to " + members[0]
	if len(members) > 1 {
		what = "shared with " + strings.Join(members, ", ")
	}
	n.Members = members
	if err := s.cfg.Users.SetNumber(u.audit(r.Context(), "number.members", n.E164, "%s %s", n.E164, what), n); err != nil {
		s.fail(w, err, "change who answers the number")
		return
	}
	s.number(w, r, u)
}

// SettingsRequest is PATCH /v1/numbers/{number}'s body; absent fields
// stay as they are.
type SettingsRequest struct {
	Hours             *string    `json:"hours"` // "mon-fri 09:00-17:00", "always", "never"
	Zone              *string    `json:"zone"`  // IANA, "America/New_York"
	Routing           *string    `json:"routing"`
	Forward           *string    `json:"forward"`
	ForwardAfterHours *bool      `json:"forward_after_hours"`
	Record            *bool      `json:"record"`
	Voicemail         *bool      `json:"voicemail"`
	Transcribe        *bool      `json:"transcribe"`
	Greeting          *string    `json:"greeting"`
	Menu              *team.Menu `json:"menu"`
}

func (s *Server) numberSettings(w http.ResponseWriter, r *http.Request, u caller) {
	var req SettingsRequest
	if !readJSON(w, r, &req) {
		return
	}
	n, ok := s.pathNumber(w, r, u)
	if !ok {
		return
	}
	var changes []string
	note := func(f string, a ...any) { changes = append(changes, fmt.Sprintf(f, a...)) }
	if req.Hours != nil || req.Zone != nil {
		spec, zone := n.Hours.String(), cmp.Or(n.Hours.Zone, "UTC")
		if req.Hours != nil {
			spec = *req.Hours
		}
		if req.Zone != nil {
			zone = *req.Zone
		}
		h, err := team.ParseHours(spec, zone)
		if err != nil {
			s.fail(w, err, "read the hours")
			return
		}
		n.Hours = h
		note("hours %q in %s", h.String(), h.Zone)
	}
	if req.Forward != nil {
		if *req.Forward == "" {
			n.Forward = ""
		} else {
			pn, err := rating.ParseNumber(*req.Forward, u.region)
			if err != nil {
				writeErr(w, http.StatusBadRequest, "bad_input", "forward is an outside number in E.164 (+442071234567): %v", err)
				return
			}
			if other, err := s.cfg.Users.Number(r.Context(), pn.E164); err == nil && other.Account == u.Account {
				writeErr(w, http.StatusBadRequest, "bad_input", "forward goes to an outside number, not one of the account's own")
				return
			}
			n.Forward = pn.E164
		}
		note("forward to %q", n.Forward)
	}
	if req.ForwardAfterHours != nil {
		n.AfterHoursOnly = *req.ForwardAfterHours
		note("forward after hours only: %t", n.AfterHoursOnly)
	}
	if req.Menu != nil {
		if err := req.Menu.Validate(); err != nil {
			s.fail(w, err, "read the menu")
			return
		}
		for key, rt := range req.Menu.Options {
			if !s.routeOK(w, r, u, "key "+key, rt) {
				return
			}
		}
		if !s.routeOK(w, r, u, "the timeout route", req.Menu.OnTime) {
			return
		}
		n.Menu = req.Menu
		note("menu with %d options", len(req.Menu.Options))
	}
	if req.Routing != nil {
		switch r := team.Routing(*req.Routing); r {
		case team.RouteMembers, team.RouteVoicemail, team.RouteMenu:
			n.Routing = r
			if n.Forward != "" && !n.AfterHoursOnly {
				n.AfterHoursOnly = true // forwarding stays for after hours only
			}
		case team.RouteForward:
			if n.Forward == "" {
				writeErr(w, http.StatusBadRequest, "bad_input", `routing "forward" needs "forward": an outside number`)
				return
			}
			n.Routing, n.AfterHoursOnly = team.RouteMembers, false
		default:
			writeErr(w, http.StatusBadRequest, "bad_input", "routing is members, ivr, forward or voicemail")
			return
		}
		if n.Routing == team.RouteMenu && n.Menu == nil {
			writeErr(w, http.StatusBadRequest, "bad_input", `routing "ivr" needs a menu ("menu": {...})`)
			return
		}
		note("routing %s", *req.Routing)
	}
	for _, b := range []struct {
		v    *bool
		to   *bool
		name string
	}{{req.Record, &n.Record, "record"}, {req.Voicemail, &n.Voicemail, "voicemail"}, {req.Transcribe, &n.Transcribe, "transcribe"}} {
		if b.v != nil {
			*b.to = *b.v
			note("%s %t", b.name, *b.v)
		}
	}
	if req.Greeting != nil {
		// A greeting is a recording (PUT .../greeting); here it can only
		// go back to the standard one.
		if *req.Greeting != "" {
			writeErr(w, http.StatusBadRequest, "bad_input", "a greeting is a recording: PUT it as audio/wav to /v1/numbers/%s/greeting; \"\" here puts the standard greeting back", n.E164)
			return
		}
		if p := n.OwnGreeting(); p != "" {
			os.Remove(filepath.Join(s.cfg.DataDir, p))
		}
		n.Greeting = ""
		note("the standard greeting")
	}
	if len(changes) == 0 {
		writeErr(w, http.StatusBadRequest, "bad_input", "nothing to change")
		return
	}
	ctx := u.audit(r.Context(), "number.settings", n.E164, "%s", strings.Join(changes, "; "))
	if err := s.cfg.Users.UpdateNumber(ctx, n); err != nil {
		s.fail(w, err, "change the number's settings")
		return
	}
	s.number(w, r, u)
}

// routeOK checks that a menu route's teammates are on the account.
func (s *Server) routeOK(w http.ResponseWriter, r *http.Request, u caller, where string, rt team.Route) bool {
	for _, e := range rt.Emails() {
		if tu, err := s.cfg.Users.User(r.Context(), e); err != nil || tu.Account != u.Account {
			writeErr(w, http.StatusBadRequest, "bad_input", "%s: %s is not on your team", where, e)
			return false
		}
	}
	if rt.Kind == team.ToExternal {
		if _, err := rating.ParseNumber(rt.Target, u.region); err != nil {
			writeErr(w, http.StatusBadRequest, "bad_input", "%s: %v", where, err)
			return false
		}
	}
	return true
}
