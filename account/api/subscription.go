package api

import (
	"bytes"
	"cmp"
	"fmt"
	"html/template"
	"net/http"
	"time"

	"github.com/shopspring/decimal"
	"github.com/tetherphone/tether/account/billing"
	"github.com/tetherphone/tether/account/money"
)

// SubscriptionInfo is what the account pays for its seats.
type SubscriptionInfo struct {
	Plan     PlanInfo `json:"plan"`
	Seats    int      `json:"seats"`
	PerCycle string   `json:"per_cycle"` // the seats at the plan's price, each billing day
	Currency string   `json:"currency"`
	// The current cycle; its end is the next billing day.
	CycleStart time.Time `json:"cycle_start"`
	CycleEnd   time.Time `json:"cycle_end"`
	// NextPlan is the plan from the next billing day (a downgrade asked
	// for), when there is one.
	NextPlan *PlanInfo `json:"next_plan,omitempty"`
	// Due is what is owed and not yet paid (a failed charge being tried
	// again); SuspendOn when the account is suspended unless it is paid.
	Due       string          `json:"due"`
	SuspendOn *time.Time      `json:"suspend_on,omitempty"`
	Charges   []SubChargeInfo `json:"charges"`
}

// SubChargeInfo is one subscription charge.
type SubChargeInfo struct {
	Kind        string    `json:"kind"` // cycle, seat, upgrade
	Description string    `json:"description"`
	Amount      string    `json:"amount"`
	Status      string    `json:"status"` // due, paid
	Failure     string    `json:"failure,omitempty"`
	NextTry     time.Time `json:"next_try,omitzero"`
	Created     time.Time `json:"created"`
	Paid        time.Time `json:"paid,omitzero"`
}

func (s *Server) subscriptionInfo(r *http.Request, u caller) (SubscriptionInfo, error) {
	ctx := r.Context()
	c, err := s.cfg.Billing.Customer(ctx, u.Account)
	if err != nil {
		return SubscriptionInfo{}, err
	}
	p, _ := s.cfg.Billing.Plan(c.Plan)
	seats, err := s.cfg.Billing.ActiveSeats(ctx, u.Account)
	if err != nil {
		return SubscriptionInfo{}, err
	}
	cycle := billing.CycleAt(c.CycleAnchor, s.cfg.Now())
	out := SubscriptionInfo{Plan: planInfo(p), Seats: seats, PerCycle: p.Price.Mul(decimal.NewFromInt(int64(seats))).StringFixed(2),
		Currency: c.Currency, CycleStart: cycle.Start, CycleEnd: cycle.End, Charges: []SubChargeInfo{}}
	if c.NextPlan != "" {
		np, _ := s.cfg.Billing.Plan(c.NextPlan)
		info := planInfo(np)
		out.NextPlan = &info
	}
	scs, err := s.cfg.Billing.SubCharges(ctx, u.Account, 50)
	if err != nil {
		return out, err
	}
	due := decimal.Zero
	for _, sc := range scs {
		ci := SubChargeInfo{Kind: sc.Kind, Description: billing.ChargeText(sc), Amount: sc.Amount.StringFixed(2), Status: sc.Status,
			Created: sc.Created, Paid: sc.Paid}
		if sc.Status == billing.ChargeDue {
			due = due.Add(sc.Amount)
			ci.Failure, ci.NextTry = sc.Failure, sc.NextTry
			on := sc.Created.Add(s.cfg.Billing.SubscriptionGrace())
			if out.SuspendOn == nil || on.Before(*out.SuspendOn) {
				out.SuspendOn = &on
			}
		}
		out.Charges = append(out.Charges, ci)
	}
	out.Due = due.StringFixed(2)
	return out, nil
}

func (s *Server) subscription(w http.ResponseWriter, r *http.Request, u caller) {
	info, err := s.subscriptionInfo(r, u)
	if err != nil {
		s.fail(w, err, "read the subscription")
		return
	}
	writeJSON(w, http.StatusOK, info)
}

// PlanRequest is PUT /v1/subscription/plan's body.
type PlanRequest struct {
	Plan string `json:"plan"`
}

func (s *Server) changePlan(w http.ResponseWriter, r *http.Request, u caller) {
	var req PlanRequest
	if !readJSON(w, r, &req) {
		return
	}
	before := u.cust.Plan
	c, err := s.cfg.Billing.ChangePlan(r.Context(), u.Account, req.Plan)
	if err != nil {
		s.fail(w, err, "change the plan")
		return
	}
	detail := fmt.Sprintf("plan %s -> %s", before, c.Plan)
	if c.NextPlan != "" {
		detail = fmt.Sprintf("plan %s, %s from %s", c.Plan, c.NextPlan, c.NextPlanAt.Format("2006-01-02"))
	}
	s.cfg.Users.AppendAudit(r.Context(), u.entry("subscription.plan", u.Account, "%s", detail))
	s.subscription(w, r, u)
}

// ReceiptInfo is one thing the account paid for.
type ReceiptInfo struct {
	ID          string    `json:"id"`
	Kind        string    `json:"kind"` // credits, subscription, number
	Description string    `json:"description"`
	Amount      string    `json:"amount"`
	Currency    string    `json:"currency"`
	PaidWith    string    `json:"paid_with"`
	PaymentID   string    `json:"payment_id,omitempty"`
	At          time.Time `json:"at"`
}

func receiptInfo(r billing.Receipt) ReceiptInfo {
	return ReceiptInfo{ID: r.ID, Kind: r.Kind, Description: r.Description, Amount: r.Amount.StringFixed(2), Currency: r.Currency,
		PaidWith: r.PaidWith, PaymentID: r.PaymentID, At: r.At}
}

func (s *Server) receipts(w http.ResponseWriter, r *http.Request, u caller) {
	rs, err := s.cfg.Billing.Receipts(r.Context(), u.Account, 500)
	if err != nil {
		s.fail(w, err, "list the receipts")
		return
	}
	out := []ReceiptInfo{}
	for _, rc := range rs {
		out = append(out, receiptInfo(rc))
	}
	writeJSON(w, http.StatusOK, out)
}

var receiptHTML = template.Must(template.New("receipt").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Receipt {{.ID}}</title>
<style>body{font-family:sans-serif;max-width:40em;margin:2em auto;color:#222}table{width:100%;border-collapse:collapse}
td{padding:.4em 0;border-bottom:1px solid #ddd}td.r{text-align:right}h1{font-size:1.4em}.muted{color:#666}</style></head>
<body><h1>Receipt</h1>
<p><strong>{{.Company}}</strong><br><span class="muted">Account {{.Account}}</span></p>
<table>
<tr><td>Receipt</td><td class="r">{{.ID}}</td></tr>
<tr><td>Date</td><td class="r">{{.Date}}</td></tr>
<tr><td>{{.Description}}</td><td class="r">{{.Amount}}</td></tr>
<tr><td>Paid with</td><td class="r">{{.PaidWith}}</td></tr>
{{if .PaymentID}}<tr><td>Payment reference</td><td class="r">{{.PaymentID}}</td></tr>{{end}}
</table>
<p class="muted">{{.Note}}</p>
</body></html>
`))

func (s *Server) receipt(w http.ResponseWriter, r *http.Request, u caller) {
	rc, err := s.cfg.Billing.ReceiptByID(r.Context(), u.Account, r.PathValue("id"))
	if err != nil {
		s.fail(w, err, "find the receipt")
		return
	}
	if r.URL.Query().Get("format") != "html" {
		writeJSON(w, http.StatusOK, receiptInfo(rc))
		return
	}
	loc, err := time.LoadLocation(u.cust.Zone)
	if err != nil {
		loc = time.UTC
	}
	note := "Paid by card; subscription payments are never taken from credits."
	switch rc.Kind {
	case billing.ReceiptCredits:
		note = "Credits pay for calls and texts beyond the plan's bundle."
	case billing.ReceiptNumber:
		note = "Paid from the account's credits."
	}
	var b bytes.Buffer
	err = receiptHTML.Execute(&b, map[string]string{"ID": rc.ID, "Company": cmp.Or(u.cust.Name, u.Account), "Account": u.Account,
		"Date": rc.At.In(loc).Format("2 January 2006, 15:04 MST"), "Description": rc.Description, "Amount": money.Display(rc.Amount, rc.Currency),
		"PaidWith": rc.PaidWith, "PaymentID": rc.PaymentID, "Note": note})
	if err != nil {
		s.fail(w, err, "render the receipt")
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if r.URL.Query().Get("download") == "1" {
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="receipt-%s.html"`, rc.ID))
	}
	w.Write(b.Bytes())
}
