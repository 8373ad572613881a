package api

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/shopspring/decimal"
	"github.com/tetherphone/tether/account/billing"
	"github.com/tetherphone/tether/account/catalog"
	"github.com/tetherphone/tether/account/hooks"
	"github.com/tetherphone/tether/account/ledger"
	"github.com/tetherphone/tether/account/money"
	"github.com/tetherphone/tether/account/payment"
	"github.com/tetherphone/tether/account/rating"
	"github.com/tetherphone/tether/account/team"
)

// fail answers an error from the layers below with the matching status:
// invalid input 400, not found 404, conflicts 409, no credit 402, a
// declined card 402, a suspended account or an unverified email 403, anything else 500 (logged, not shown).
func (s *Server) fail(w http.ResponseWriter, err error, what string) {
	var ce *billing.CreditError
	var de *payment.DeclineError
	switch {
	case errors.As(err, &ce) && ce.Suspended:
		writeErr(w, http.StatusForbidden, "suspended", "%s", ce.Reason)
	case errors.As(err, &ce):
		writeErr(w, http.StatusPaymentRequired, "no_credit", "%s", ce.Reason)
	case errors.Is(err, billing.ErrUnverified):
		writeErr(w, http.StatusForbidden, "unverified", "verify your email address first: enter the code we emailed you (POST /v1/account/verify)")
	case errors.As(err, &de):
		writeErr(w, http.StatusPaymentRequired, "card_declined", "the card was declined: %s", de.Message)
	case errors.Is(err, payment.ErrNoCard):
		writeErr(w, http.StatusConflict, "no_card", "there is no card on file; add one first (PUT /v1/card)")
	case errors.Is(err, billing.ErrPaymentPending):
		writeErr(w, http.StatusAccepted, "payment_pending", "the card processor has not answered yet; the credit will be applied once it does, and never twice")
	case errors.Is(err, team.ErrInvalid), errors.Is(err, billing.ErrInvalid), errors.Is(err, catalog.ErrInvalid), errors.Is(err, hooks.ErrInvalid),
		errors.Is(err, payment.ErrCard), errors.Is(err, ledger.ErrInvalid):
		writeErr(w, http.StatusBadRequest, "bad_input", "%s", plain(err))
	case errors.Is(err, team.ErrNotFound), errors.Is(err, billing.ErrUnknownAccount), errors.Is(err, billing.ErrNotFound), errors.Is(err, hooks.ErrNotFound):
		writeErr(w, http.StatusNotFound, "not_found", "%s: not found", what)
	case errors.Is(err, team.ErrLimit), errors.Is(err, hooks.ErrLimit):
		writeErr(w, http.StatusConflict, "limit", "%s", plain(err))
	case errors.Is(err, team.ErrExists), errors.Is(err, ledger.ErrConflict):
		writeErr(w, http.StatusConflict, "conflict", "%s", plain(err))
	case errors.Is(err, rating.ErrNoDeck):
		writeErr(w, http.StatusServiceUnavailable, "no_rates", "this switchboard has no prices for that destination yet: its operator must import a rate deck")
	case errors.Is(err, rating.ErrNoRate):
		writeErr(w, http.StatusUnprocessableEntity, "no_rate", "that destination cannot be called or texted: %s", plain(err))
	case errors.Is(err, catalog.ErrUnavailable):
		writeErr(w, http.StatusConflict, "unavailable", "%s", plain(err))
	default:
		s.cfg.Log.Error("api", "what", what, "err", err)
		writeErr(w, http.StatusInternalServerError, "internal", "could not %s", what)
	}
}

// plain drops the package prefixes from an error's message.
func plain(err error) string {
	return prefixRE.ReplaceAllString(err.Error(), "")
}

var prefixRE = regexp.MustCompile(`\b(team|billing|catalog|ledger|payment|sqlite|hooks): (invalid( request)?|not found|already exists|conflict|not available|limit reached)?:? ?`)

// parseAmount reads an amount of money given as a decimal string in
// whole cents ("25", "25.00"); JSON numbers are refused so no amount ever
// passes through a float.
func parseAmount(what, s string) (decimal.Decimal, error) {
	d, err := money.Parse(s, 2, false)
	if err != nil {
		return decimal.Zero, &Error{Status: 400, Code: "bad_input", Message: what + " is a decimal string of dollars and cents, such as \"25.00\""}
	}
	return d, nil
}

func writeAPIErr(w http.ResponseWriter, err error) {
	var e *Error
	if errors.As(err, &e) {
		writeErr(w, e.Status, e.Code, "%s", e.Message)
		return
	}
	writeErr(w, http.StatusBadRequest, "bad_input", "%s", err.Error())
}

// BundleInfo is what is left of the plan's bundle this cycle.
type BundleInfo struct {
	Plan        string    `json:"plan"`
	CycleEnds   time.Time `json:"cycle_ends"`
	MinutesLeft int64     `json:"minutes_left"`
	MinutesAll  int64     `json:"minutes"`
	SMSLeft     int64     `json:"sms_left"`
	SMSAll      int64     `json:"sms"`
}

func (s *Server) balance(w http.ResponseWriter, r *http.Request, u caller) {
	b, err := s.cfg.Billing.Balance(r.Context(), u.Account)
	if err != nil {
		s.fail(w, err, "read the balance")
		return
	}
	out := BalanceInfo{Currency: b.Currency, Gate: "open"}
	if !b.Available.IsPositive() {
		out.Gate = "closed"
		out.Reason = "Your account has no credit available. Calls and messages are paused until credits are added."
	}
	if u.can(team.ViewBilling) {
		out.Posted, out.Reserved, out.Available = b.Posted.StringFixed(4), b.Reserved.StringFixed(4), b.Available.StringFixed(4)
		out.Display = billing.Display(b.Available, b.Currency)
		if st, err := s.cfg.Billing.Bundle(r.Context(), u.Account); err == nil {
			bi := &BundleInfo{Plan: st.Plan, CycleEnds: st.Cycle.End}
			if p, ok := st.Pools[rating.PoolVoice]; ok {
				bi.MinutesLeft, bi.MinutesAll = p.Left/60, p.Allowance/60
			}
			if p, ok := st.Pools[rating.PoolSMS]; ok {
				bi.SMSLeft, bi.SMSAll = p.Left, p.Allowance
			}
			out.Bundle = bi
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// Transaction is one movement of credit; Amount is signed (credits
// positive, charges negative).
type Transaction struct {
	ID     string    `json:"id"`
	At     time.Time `json:"at"`
	Amount string    `json:"amount"`
	Type   string    `json:"type"`
	Ref    string    `json:"ref"`
	Memo   string    `json:"memo,omitempty"`
}

// TransactionPage is GET /v1/credits/transactions's answer.
type TransactionPage struct {
	Items      []Transaction `json:"items"`
	NextOffset int           `json:"next_offset,omitempty"` // 0 when this is the last page
}

func queryInt(r *http.Request, name string, def, lo, hi int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, &Error{Status: 400, Code: "bad_input", Message: name + " is a whole number from " + strconv.Itoa(lo) + " to " + strconv.Itoa(hi)}
	}
	return n, nil
}

func queryDay(r *http.Request, name string) (time.Time, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse("2006-01-02", v)
	if err != nil {
		return t, &Error{Status: 400, Code: "bad_input", Message: name + " is a date, YYYY-MM-DD"}
	}
	return t, nil
}

var typeRE = regexp.MustCompile(`^[a-z-]{1,40}$`)

func (s *Server) transactions(w http.ResponseWriter, r *http.Request, u caller) {
	limit, err := queryInt(r, "limit", 50, 1, 500)
	if err != nil {
		writeAPIErr(w, err)
		return
	}
	offset, err := queryInt(r, "offset", 0, 0, 1_000_000)
	if err != nil {
		writeAPIErr(w, err)
		return
	}
	var f ledger.Filter
	if f.Since, err = queryDay(r, "since"); err != nil {
		writeAPIErr(w, err)
		return
	}
	if f.Until, err = queryDay(r, "until"); err != nil {
		writeAPIErr(w, err)
		return
	}
	if !f.Until.IsZero() {
		f.Until = f.Until.AddDate(0, 0, 1) // inclusive of the day named
	}
	if t := r.URL.Query().Get("type"); t != "" {
		if !typeRE.MatchString(t) {
			writeErr(w, http.StatusBadRequest, "bad_input", "type is a transaction type such as payment or international-call")
			return
		}
		f.Codes = []string{t}
	}
	ts, err := s.cfg.Billing.Transactions(r.Context(), u.Account, f, offset, limit+1)
	if err != nil {
		s.fail(w, err, "list the transactions")
		return
	}
	page := TransactionPage{Items: []Transaction{}}
	if len(ts) > limit {
		ts, page.NextOffset = ts[:limit], offset+limit
	}
	me := ledger.Customer(u.Account)
	for _, t := range ts {
		amt := t.Amount
		if t.From == me {
			amt = amt.Neg()
		}
		page.Items = append(page.Items, Transaction{ID: t.ID, At: t.At, Amount: amt.StringFixed(4), Type: t.Code, Ref: t.Ref, Memo: t.Memo})
	}
	writeJSON(w, http.StatusOK, page)
}

// UsageDay is one day's credit spend by usage type.
type UsageDay struct {
	Day    string            `json:"day"` // YYYY-MM-DD, UTC
	ByType map[string]string `json:"by_type"`
	Total  string            `json:"total"`
}

func (s *Server) usage(w http.ResponseWriter, r *http.Request, u caller) {
	days, err := queryInt(r, "days", 30, 1, 366)
	if err != nil {
		writeAPIErr(w, err)
		return
	}
	now := s.cfg.Now().UTC()
	first := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, 1-days)
	ts, err := s.cfg.Billing.Transactions(r.Context(), u.Account, ledger.Filter{Since: first}, 0, 1<<30)
	if err != nil {
		s.fail(w, err, "read the usage")
		return
	}
	sums := make([]map[string]decimal.Decimal, days)
	me := ledger.Customer(u.Account)
	for _, t := range ts {
		if t.From != me || t.Code == "adjustment" {
			continue
		}
		i := int(t.At.UTC().Sub(first) / (24 * time.Hour))
		if i < 0 || i >= days {
			continue
		}
		if sums[i] == nil {
			sums[i] = map[string]decimal.Decimal{}
		}
		sums[i][t.Code] = sums[i][t.Code].Add(t.Amount)
	}
	out := make([]UsageDay, days)
	for i := range out {
		d := UsageDay{Day: first.AddDate(0, 0, i).Format("2006-01-02"), ByType: map[string]string{}}
		total := decimal.Zero
		for code, v := range sums[i] {
			d.ByType[code] = v.StringFixed(4)
			total = total.Add(v)
		}
		d.Total = total.StringFixed(4)
		out[i] = d
	}
	writeJSON(w, http.StatusOK, out)
}

// AddCreditsRequest is POST /v1/credits's body. The idempotency key is the
// client's: sending the same request again (a retry after a lost answer)
// never charges twice.
type AddCreditsRequest struct {
	Amount         string `json:"amount"`
	IdempotencyKey string `json:"idempotency_key"`
}

// TopUpInfo is one top-up attempt.
type TopUpInfo struct {
	ID      string    `json:"id"`
	Kind    string    `json:"kind"` // "manual" or "auto"
	Amount  string    `json:"amount"`
	Status  string    `json:"status"` // "pending", "succeeded", "failed"
	Failure string    `json:"failure,omitempty"`
	Created time.Time `json:"created"`
}

func topUpInfo(a billing.Attempt) TopUpInfo {
	return TopUpInfo{ID: a.ID, Kind: string(a.Kind), Amount: a.Amount.StringFixed(2), Status: string(a.Status), Failure: a.Failure, Created: a.Created}
}

var keyRE = regexp.MustCompile(`^[A-Za-z0-9._:-]{8,100}$`)

func (s *Server) addCredits(w http.ResponseWriter, r *http.Request, u caller) {
	var req AddCreditsRequest
	if !readJSON(w, r, &req) {
		return
	}
	amount, err := parseAmount("amount", req.Amount)
	if err != nil {
		writeAPIErr(w, err)
		return
	}
	if !keyRE.MatchString(req.IdempotencyKey) {
		writeErr(w, http.StatusBadRequest, "bad_input", "idempotency_key is 8 to 100 of A-Z, a-z, 0-9 and ._:- (a fresh random one per purchase)")
		return
	}
	// Audited with the attempt, and again with its outcome, each in the
	// transaction that writes it.
	ctx := u.audit(r.Context(), "credits.add", req.IdempotencyKey, "add %s", amount.StringFixed(2))
	a, err := s.cfg.Billing.AddCredits(ctx, u.Account, amount, req.IdempotencyKey)
	if errors.Is(err, billing.ErrPaymentPending) && a.ID != "" {
		// The processor has not finished (a bank's check, a slow network):
		// the credit lands when it does, through its webhook or
		// reconciliation, once.
		writeJSON(w, http.StatusAccepted, topUpInfo(a))
		return
	}
	if err != nil {
		s.fail(w, err, "add credits")
		return
	}
	writeJSON(w, http.StatusCreated, topUpInfo(a))
}

// CardInfo is the card on file, as much of it as may be shown.
type CardInfo struct {
	Brand    string `json:"brand"`
	Last4    string `json:"last4"`
	ExpMonth int    `json:"exp_month"`
	ExpYear  int    `json:"exp_year"`
}

// CardRequest is PUT /v1/card's body. The number goes to the payment
// processor and is never stored here.
type CardRequest struct {
	Number   string `json:"number"`
	ExpMonth int    `json:"exp_month"`
	ExpYear  int    `json:"exp_year"`
	CVC      string `json:"cvc"`
}

func (s *Server) card(w http.ResponseWriter, r *http.Request, u caller) {
	c, ok, err := s.cfg.Billing.Card(r.Context(), u.Account)
	if err != nil {
		s.fail(w, err, "read the card")
		return
	}
	if !ok {
		writeErr(w, http.StatusNotFound, "no_card", "there is no card on file")
		return
	}
	writeJSON(w, http.StatusOK, CardInfo{Brand: c.Brand, Last4: c.Last4, ExpMonth: c.ExpMonth, ExpYear: c.ExpYear})
}

func (s *Server) saveCard(w http.ResponseWriter, r *http.Request, u caller) {
	var req CardRequest
	if !readJSON(w, r, &req) {
		return
	}
	last4 := lastDigits(req.Number, 4)
	ctx := u.audit(r.Context(), "card.save", last4, "card on file: ending %s, expires %02d/%d", last4, req.ExpMonth, req.ExpYear)
	c, err := s.cfg.Billing.SaveCard(ctx, u.Account, payment.CardDetails{Number: req.Number, ExpMonth: req.ExpMonth, ExpYear: req.ExpYear, CVC: req.CVC})
	if err != nil {
		s.fail(w, err, "save the card")
		return
	}
	writeJSON(w, http.StatusOK, CardInfo{Brand: c.Brand, Last4: c.Last4, ExpMonth: c.ExpMonth, ExpYear: c.ExpYear})
}

// TopUpSettings is GET /v1/topup's answer.
type TopUpSettings struct {
	Enabled    bool       `json:"enabled"`
	Threshold  string     `json:"threshold"`
	Amount     string     `json:"amount"`
	DailyCount int        `json:"daily_count"`
	MonthlyCap string     `json:"monthly_cap"`
	Failures   int        `json:"failures"`
	Disabled   string     `json:"disabled,omitempty"` // why it turned itself off
	Suggested  Suggestion `json:"suggested"`
}

// Suggestion is the suggested threshold and its basis.
type Suggestion struct {
	Threshold    string `json:"threshold"`
	DailyAverage string `json:"daily_average"`
	Days         int    `json:"days"`
	Basis        string `json:"basis"`
}

// SetTopUpRequest is PUT /v1/topup's body.
type SetTopUpRequest struct {
	Enabled   *bool  `json:"enabled"`
	Threshold string `json:"threshold"`
	Amount    string `json:"amount"`
}

func (s *Server) topUp(w http.ResponseWriter, r *http.Request, u caller) {
	t, err := s.cfg.Billing.AutoTopUpSettings(r.Context(), u.Account)
	if err != nil {
		s.fail(w, err, "read auto top-up")
		return
	}
	sg, err := s.cfg.Billing.SuggestThreshold(r.Context(), u.Account)
	if err != nil {
		s.fail(w, err, "suggest a threshold")
		return
	}
	writeJSON(w, http.StatusOK, TopUpSettings{Enabled: t.Enabled, Threshold: t.Threshold.StringFixed(2), Amount: t.Amount.StringFixed(2),
		DailyCount: t.DailyCount, MonthlyCap: t.MonthlyCap.StringFixed(2), Failures: t.Failures, Disabled: t.Disabled,
		Suggested: Suggestion{Threshold: sg.Threshold.StringFixed(2), DailyAverage: sg.DailyAverage.StringFixed(2), Days: sg.Days, Basis: sg.Basis}})
}

func (s *Server) setTopUp(w http.ResponseWriter, r *http.Request, u caller) {
	var req SetTopUpRequest
	if !readJSON(w, r, &req) {
		return
	}
	if req.Enabled == nil {
		writeErr(w, http.StatusBadRequest, "bad_input", `say "enabled": true or false`)
		return
	}
	cur, err := s.cfg.Billing.AutoTopUpSettings(r.Context(), u.Account)
	if err != nil {
		s.fail(w, err, "read auto top-up")
		return
	}
	next := billing.AutoTopUp{Enabled: *req.Enabled, Threshold: cur.Threshold, Amount: cur.Amount, DailyCount: cur.DailyCount, MonthlyCap: cur.MonthlyCap}
	if req.Threshold != "" {
		if next.Threshold, err = parseAmount("threshold", req.Threshold); err != nil {
			writeAPIErr(w, err)
			return
		}
	}
	if req.Amount != "" {
		if next.Amount, err = parseAmount("amount", req.Amount); err != nil {
			writeAPIErr(w, err)
			return
		}
	}
	if !next.Enabled && next.Amount.IsZero() {
		next.Amount = decimal.NewFromInt(25) // off, never set: keep the settings valid
	}
	if next.MonthlyCap.LessThan(next.Amount) {
		next.MonthlyCap = decimal.Zero // the engine's default, at least one top-up
	}
	state := "off"
	if next.Enabled {
		state = "on"
	}
	ctx := u.audit(r.Context(), "topup.set", u.Account, "auto top-up %s: add %s below %s", state,
		next.Amount.StringFixed(2), next.Threshold.StringFixed(2))
	if err := s.cfg.Billing.SetAutoTopUp(ctx, u.Account, next); err != nil {
		s.fail(w, err, "change auto top-up")
		return
	}
	s.topUp(w, r, u)
}

// TopUpHistory is GET /v1/topup/history's answer.
type TopUpHistory struct {
	TopUps        []TopUpInfo    `json:"topups"`
	Notifications []Notification `json:"notifications"`
}

// Notification is a message for the account's owner (auto top-up turned
// itself off, a payment failed).
type Notification struct {
	Kind    string    `json:"kind"`
	Message string    `json:"message"`
	Created time.Time `json:"created"`
}

func (s *Server) topUpHistory(w http.ResponseWriter, r *http.Request, u caller) {
	limit, err := queryInt(r, "limit", 50, 1, 500)
	if err != nil {
		writeAPIErr(w, err)
		return
	}
	as, err := s.cfg.Billing.TopUps(r.Context(), u.Account, limit)
	if err != nil {
		s.fail(w, err, "list top-ups")
		return
	}
	ns, err := s.cfg.Billing.Notifications(r.Context(), u.Account)
	if err != nil {
		s.fail(w, err, "list notifications")
		return
	}
	out := TopUpHistory{TopUps: []TopUpInfo{}, Notifications: []Notification{}}
	for _, a := range as {
		out.TopUps = append(out.TopUps, topUpInfo(a))
	}
	for _, n := range ns {
		out.Notifications = append(out.Notifications, Notification{Kind: n.Kind, Message: n.Message, Created: n.Created})
	}
	writeJSON(w, http.StatusOK, out)
}

// QuoteInfo is GET /v1/quote's answer: what a call would cost before it
// is dialled.
type QuoteInfo struct {
	From        string `json:"from"`
	To          string `json:"to"`
	Destination string `json:"destination"`
	PerMinute   string `json:"per_minute"`
	Increment   string `json:"increment"` // "60/60"
	Connection  string `json:"connection_fee"`
	InBundle    bool   `json:"in_bundle"`
	Currency    string `json:"currency"`
	Allowed     bool   `json:"allowed"` // the credit gate would let it start
	Reason      string `json:"reason,omitempty"`
	// MaxSeconds is the longest call available credit pays for now (0:
	// no limit from credit, the bundle covers it).
	MaxSeconds int64 `json:"max_seconds,omitempty"`
}

func (s *Server) quote(w http.ResponseWriter, r *http.Request, u caller) {
	from, to := r.URL.Query().Get("from"), r.URL.Query().Get("to")
	if to == "" || len(to) > 40 || len(from) > 40 {
		writeErr(w, http.StatusBadRequest, "bad_input", "give ?to= a number (and ?from= one of yours)")
		return
	}
	if from == "" {
		if nums, err := s.cfg.Users.NumbersOf(r.Context(), u.Email); err == nil && len(nums) > 0 {
			from = nums[0].E164
		} else if nums, err := s.cfg.Users.AccountNumbers(r.Context(), u.Account); err == nil && len(nums) > 0 {
			from = nums[0].E164 // priced as from the account's main number
		}
	}
	if r.URL.Query().Get("type") == "sms" {
		text := r.URL.Query().Get("text")
		if len(text) > 2000 {
			writeErr(w, http.StatusBadRequest, "bad_input", "a text is at most 2000 bytes")
			return
		}
		q, err := s.cfg.Billing.QuoteMessage(r.Context(), u.Account, from, to, text)
		if err != nil {
			s.fail(w, err, "quote the text")
			return
		}
		writeJSON(w, http.StatusOK, MessageQuoteInfo{From: from, To: to, Destination: q.Destination, Encoding: q.Encoding, Segments: q.Segments,
			PerSegment: q.PerSegment.StringFixed(4), Cost: q.Cost.StringFixed(4), InBundle: q.InBundle, Currency: q.Currency, Allowed: q.Allowed, Reason: q.Reason})
		return
	}
	q, err := s.cfg.Billing.Quote(r.Context(), u.Account, from, to)
	if err != nil {
		s.fail(w, err, "quote the call")
		return
	}
	qi := quoteInfo(q)
	qi.From, qi.To = from, to
	writeJSON(w, http.StatusOK, qi)
}

func quoteInfo(q billing.Quote) QuoteInfo {
	return QuoteInfo{Destination: q.Destination, PerMinute: q.PerMinute.StringFixed(4),
		Increment: fmt.Sprintf("%d/%d", q.Increment.Initial, q.Increment.Step), Connection: q.ConnectFee.StringFixed(4),
		InBundle: q.InBundle, Currency: q.Currency, Allowed: q.Allowed, Reason: q.Reason, MaxSeconds: q.MaxSeconds}
}

// MessageQuoteInfo is GET /v1/quote?type=sms's answer: the segments and
// the price of a text as typed.
type MessageQuoteInfo struct {
	From        string `json:"from"`
	To          string `json:"to"`
	Destination string `json:"destination"`
	Encoding    string `json:"encoding"` // "GSM-7" or "UCS-2"
	Segments    int    `json:"segments"`
	PerSegment  string `json:"per_segment"`
	Cost        string `json:"cost"`
	InBundle    bool   `json:"in_bundle"`
	Currency    string `json:"currency"`
	Allowed     bool   `json:"allowed"`
	Reason      string `json:"reason,omitempty"`
}

// lastDigits returns the last n digits in s (a card number as typed, with
// spaces or dashes).
func lastDigits(s string, n int) string {
	var d []byte
	for i := len(s) - 1; i >= 0 && len(d) < n; i-- {
		if s[i] >= '0' && s[i] <= '9' {
			d = append([]byte{s[i]}, d...)
		}
	}
	return string(d)
}
