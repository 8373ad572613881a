// Package hooks delivers an account's events to the addresses it
// subscribed (webhooks): each event is written in the same transaction as
// the record it reports (a call's, a text's, an invitation's), with a
// delivery for every subscription that wants it, so a crash between the
// two loses nothing; a Deliverer posts them, signed, and tries again with
// backoff for three days, keeping every attempt for the account to read.
package hooks

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The events an account may subscribe to.
const (
	CallStarted      = "call.started"      // a call began (ringing, or dialling out)
	CallAnswered     = "call.answered"     // a call was answered
	CallEnded        = "call.ended"        // every call's record, answered or not, with its cost
	CallMissed       = "call.missed"       // a call nobody answered (rang out, busy, or voicemail)
	CallNoted        = "call.noted"        // a disposition and notes logged on a call after it
	VoicemailCreated = "voicemail.created" // a message left on a number
	MessageReceived  = "message.received"  // a text to one of the account's numbers
	MessageSent      = "message.sent"      // a text from the account
	UserInvited      = "user.invited"      // someone invited to the team
	CreditsToppedUp  = "credits.topped_up" // credits bought went onto the balance (by hand or auto top-up)
	CreditsLow       = "credits.low"       // available credit fell below the low line (the auto top-up threshold, else 5)
	CreditsExhausted = "credits.exhausted" // less than a cent of credit left: calls and texts can no longer be paid
	NumberAssigned   = "number.assigned"   // who answers a number was set (bought, shared, reassigned)
)

// Types lists the events, in the order the documentation gives them.
var Types = []string{CallStarted, CallAnswered, CallEnded, CallMissed, CallNoted, VoicemailCreated, MessageReceived, MessageSent, UserInvited, CreditsToppedUp, CreditsLow, CreditsExhausted, NumberAssigned}

// MaxWebhooks bounds an account's subscriptions.
const MaxWebhooks = 20

// Errors.
var (
	ErrInvalid  = errors.New("hooks: invalid")
	ErrNotFound = errors.New("hooks: not found")
	ErrLimit    = errors.New("hooks: limit reached")
)

// Webhook is a subscription: where an account's events of some types go,
// and the secret their signatures use.
type Webhook struct {
	ID           string
	Account      string
	URL          string
	Secret       string
	Events       []string
	Created      time.Time
	Disabled     time.Time // zero: delivering
	FailingSince time.Time // zero: its last delivery went through
	// Format is how deliveries are written: "" the signed JSON event;
	// FormatSlack a Slack incoming-webhook message (text) about it.
	Format string
	// Number limits the subscription to events about that number (a
	// call to it, its voicemail, a text to it); "" for all.
	Number string
}

// FormatSlack writes deliveries as Slack incoming-webhook messages.
const FormatSlack = "slack"

// SlackEvents are the events a Slack subscription may take.
var SlackEvents = []string{CallMissed, VoicemailCreated, MessageReceived}

// Validate checks a subscription's address and events.
func (w Webhook) Validate() error {
	if !strings.HasPrefix(w.URL, "https://") && !strings.HasPrefix(w.URL, "http://") && !strings.HasPrefix(w.URL, "crm:") || len(w.URL) > 2000 {
		return fmt.Errorf("%w: the address must be an http(s) URL, not %q", ErrInvalid, w.URL)
	}
	if len(w.Events) == 0 {
		return fmt.Errorf("%w: subscribe to at least one event (%s)", ErrInvalid, strings.Join(Types, ", "))
	}
	switch w.Format {
	case "":
	case FormatSlack:
		for _, e := range w.Events {
			if !slices.Contains(SlackEvents, e) {
				return fmt.Errorf("%w: a Slack subscription takes %s, not %q", ErrInvalid, strings.Join(SlackEvents, ", "), e)
			}
		}
	default:
		return fmt.Errorf("%w: the format is %q (slack) or left out, not %q", ErrInvalid, FormatSlack, w.Format)
	}
	if w.Number != "" && (len(w.Number) < 8 || len(w.Number) > 16 || w.Number[0] != '+' || strings.Trim(w.Number[1:], "0123456789") != "") {
		return fmt.Errorf("%w: the number is one of the account's, as +E.164, not %q", ErrInvalid, w.Number)
	}
	for _, e := range w.Events {
		if !slices.Contains(Types, e) {
			return fmt.Errorf("%w: %q is not an event (%s)", ErrInvalid, e, strings.Join(Types, ", "))
		}
	}
	return nil
}

// Wants reports whether the subscription takes events of type t.
func (w Webhook) Wants(t string) bool { return w.Disabled.IsZero() && slices.Contains(w.Events, t) }

// Delivery is one event on its way to one subscription, with its attempts.
type Delivery struct {
	ID        string
	Webhook   string
	Event     string // the event's ID: the receiver's idempotency key
	Type      string
	Payload   []byte    // the JSON body posted
	Status    string    // "pending", "delivered", "failed"
	Tries     int       // attempts so far
	Attempts  []Attempt // (listed by Deliveries)
	NextTry   time.Time
	Created   time.Time
	Delivered time.Time
}

// Attempt is one try at a delivery.
type Attempt struct {
	At     time.Time
	Status int    // the receiver's HTTP status; 0 when none came
	Error  string // what went wrong, when it did
	Took   time.Duration
}

// Due is a delivery to make now, with where it goes.
type Due struct {
	Delivery
	Account      string
	URL, Secret  string
	FailingSince time.Time // the subscription's first failure since its last success
	LastSuccess  time.Time // its last delivery that went through
	Format       string    // the subscription's (Webhook.Format)
	Number       string    // the subscription's (Webhook.Number)
}

// Store keeps subscriptions, events and deliveries.
type Store interface {
	SaveWebhook(ctx context.Context, w Webhook) error // ErrLimit past MaxWebhooks
	Webhooks(ctx context.Context, account string) ([]Webhook, error)
	DeleteWebhook(ctx context.Context, account, id string) error
	// DueDeliveries lists pending deliveries whose time has come, oldest
	// first, to subscriptions still delivering.
	DueDeliveries(ctx context.Context, now time.Time, limit int) ([]Due, error)
	// Attempted notes an attempt: the delivery's new status and next
	// try, and whether its subscription is failing (since when) or not.
	Attempted(ctx context.Context, delivery string, a Attempt, status string, next time.Time) error
	// Deliveries lists a subscription's deliveries, newest first, with
	// their attempts.
	Deliveries(ctx context.Context, account, webhook string, limit int) ([]Delivery, error)
	// Replay makes a delivery pending again, due at now.
	Replay(ctx context.Context, account, webhook, delivery string, now time.Time) error
	// DisableWebhook stops a subscription (it failed for days).
	DisableWebhook(ctx context.Context, id string, at time.Time) error
}

// SignatureHeader carries a delivery's signature: "t=UNIX,v1=HEX", HEX
// being the HMAC-SHA256, keyed with the subscription's secret, of the
// decimal UNIX time, a dot, and the body.
const SignatureHeader = "Tether-Signature"

// Sign makes a signature header's value.
func Sign(secret string, at time.Time, body []byte) string {
	t := strconv.FormatInt(at.Unix(), 10)
	return "t=" + t + ",v1=" + mac(secret, t, body)
}

func mac(secret, t string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(t))
	m.Write([]byte("."))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Verify checks a signature header against the body, and that it was made
// within tolerance of now (a replayed old delivery fails): what a receiver
// does with each delivery.
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var t, v1 string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			t = v
		case "v1":
			v1 = v
		}
	}
	sec, err := strconv.ParseInt(t, 10, 64)
	if err != nil || v1 == "" {
		return fmt.Errorf("%w: signature header %q", ErrInvalid, header)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: signed %s from now, more than %s", ErrInvalid, d.Round(time.Second), tolerance)
	}
	if !hmac.Equal([]byte(mac(secret, t, body)), []byte(v1)) {
		return fmt.Errorf("%w: the signature does not match", ErrInvalid)
	}
	return nil
}

// Retry policy: the first retry 30 s after a failure, doubling to at most
// 4 h between tries, for 3 days from the event (the last try at 3 days); a
// subscription that gives up on an event with nothing delivered since
// before it, three days of failing, is disabled.
const (
	firstRetry = 30 * time.Second
	maxRetry   = 4 * time.Hour
	giveUp     = 72 * time.Hour
)

// nextTry is when to try again after n failed attempts.
func nextTry(n int) time.Duration {
	d := firstRetry
	for i := 1; i < n && d < maxRetry; i++ {
		d *= 2
	}
	return min(d, maxRetry)
}

// Deliverer posts due deliveries.
type Deliverer struct {
	Store  Store
	Client *http.Client // nil: 10 s timeout, no redirects followed
	Now    func() time.Time
	Log    *slog.Logger
	// Disabled is told of a subscription stopped for failing (to tell
	// the account's owner).
	Disabled func(ctx context.Context, d Due)
	// Targets take the deliveries whose address is not a URL but
	// "NAME:..." (a connected CRM is "crm:hubspot"), by NAME: the same
	// queue, retries and log as a webhook's.
	Targets map[string]Target
}

// Target takes deliveries in-process (a CRM connector); an error leaves
// the delivery to be tried again as a webhook's would be.
type Target interface {
	Deliver(ctx context.Context, d Due) error
}

// target is the in-process target for an address, if it names one.
func (d *Deliverer) target(addr string) (Target, bool) {
	name, _, ok := strings.Cut(addr, ":")
	if !ok || name == "http" || name == "https" {
		return nil, false
	}
	t, ok := d.Targets[name]
	return t, ok
}

// Run delivers every period until ctx ends.
func (d *Deliverer) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := d.Once(ctx); err != nil && ctx.Err() == nil {
			d.log().Warn("hooks: delivering", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (d *Deliverer) log() *slog.Logger {
	if d.Log == nil {
		return slog.Default()
	}
	return d.Log
}

func (d *Deliverer) now() time.Time {
	if d.Now == nil {
		return time.Now()
	}
	return d.Now()
}

func (d *Deliverer) client() *http.Client {
	if d.Client != nil {
		return d.Client
	}
	return &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// Once makes the deliveries due now and returns how many went through.
func (d *Deliverer) Once(ctx context.Context) (int, error) {
	due, err := d.Store.DueDeliveries(ctx, d.now(), 100)
	if err != nil {
		return 0, err
	}
	ok := 0
	for _, x := range due {
		if d.deliver(ctx, x) {
			ok++
		}
	}
	return ok, nil
}

func (d *Deliverer) deliver(ctx context.Context, x Due) bool {
	start := d.now()
	a := Attempt{At: start}
	var err error
	if t, ok := d.target(x.URL); ok {
		tctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		if err = t.Deliver(tctx, x); err == nil {
			a.Status = 200
		}
		cancel()
	} else if !strings.HasPrefix(x.URL, "http://") && !strings.HasPrefix(x.URL, "https://") {
		err = fmt.Errorf("nothing here delivers to %s", x.URL)
	} else if x.Format == FormatSlack {
		err = d.postSlack(ctx, x, &a)
	} else {
		err = d.post(ctx, x, start, &a)
	}
	a.Took = d.now().Sub(start)
	status, next := "delivered", time.Time{}
	if err != nil {
		a.Error = err.Error()
		status, next = "pending", start.Add(nextTry(x.Tries+1))
		switch {
		case start.Sub(x.Created) >= giveUp:
			status, next = "failed", time.Time{}
		case next.Sub(x.Created) > giveUp:
			next = x.Created.Add(giveUp) // a last try at three days
		}
	}
	if err := d.Store.Attempted(ctx, x.ID, a, status, next); err != nil {
		d.log().Warn("hooks: noting an attempt", "delivery", x.ID, "err", err)
		return false
	}
	// Given up on an event while nothing went through since before it: the
	// subscription has failed for three days.
	if status == "failed" && x.LastSuccess.Before(x.Created) {
		if err := d.Store.DisableWebhook(ctx, x.Webhook, start); err == nil && d.Disabled != nil {
			d.Disabled(ctx, x)
		}
	}
	return a.Error == ""
}

// post makes a webhook's delivery: the signed POST.
func (d *Deliverer) post(ctx context.Context, x Due, start time.Time, a *Attempt) error {
	return d.send(ctx, x.URL, x.Payload, a, map[string]string{"Tether-Event": x.Type, "Tether-Delivery": x.ID,
		SignatureHeader: Sign(x.Secret, start, x.Payload)})
}

// postSlack posts a Slack subscription's delivery: a message about the
// event, when it is about the subscription's number (else nothing is
// sent, and the delivery is done).
func (d *Deliverer) postSlack(ctx context.Context, x Due, a *Attempt) error {
	text, ok := SlackText(x.Type, x.Payload, x.Number)
	if !ok {
		return nil
	}
	body, _ := json.Marshal(map[string]string{"text": text})
	return d.send(ctx, x.URL, body, a, nil)
}

// send POSTs a JSON body with headers; anything but a 2xx is an error.
func (d *Deliverer) send(ctx context.Context, url string, body []byte, a *Attempt, headers map[string]string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Tether-Webhooks/1")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := d.client().Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	res.Body.Close()
	a.Status = res.StatusCode
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return fmt.Errorf("the receiver answered %s", res.Status)
	}
	return nil
}

// SlackText is the Slack message about an event, and whether the event
// is about number ("" any): a missed call to it, a voicemail left on it,
// a text to it.
func SlackText(typ string, payload []byte, number string) (string, bool) {
	var e struct {
		Data struct {
			Direction, From, To, Number string
			Seconds                     int64
			Body                        string
			Started, Created, At        time.Time
		}
	}
	if json.Unmarshal(payload, &e) != nil {
		return "", false
	}
	v := e.Data
	about := v.To
	if typ == VoicemailCreated {
		about = v.Number
	}
	if number != "" && about != number {
		return "", false
	}
	when := func(t time.Time) string { return t.UTC().Format("Mon 2 Jan 15:04 UTC") }
	switch typ {
	case CallMissed:
		if v.Direction == "outbound" || v.Direction == "internal" {
			return "", false // (not the customer's call)
		}
		return fmt.Sprintf(":telephone_receiver: Missed call from %s to %s, %s.", v.From, v.To, when(v.Started)), true
	case VoicemailCreated:
		return fmt.Sprintf(":studio_microphone: New voicemail on %s from %s (%d s), %s. Listen in Tether's Voicemail.", v.Number, v.From, v.Seconds, when(v.Created)), true
	case MessageReceived:
		if v.Direction != "inbound" {
			return "", false
		}
		return fmt.Sprintf(":speech_balloon: Text from %s to %s: %s", v.From, v.To, v.Body), true
	}
	return "", false
}
