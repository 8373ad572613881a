package crm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/tetherphone/tether/account/hooks"
)

// Connection is an account's link to its CRM.
type Connection struct {
	Account string
	Kind    string // KindHubSpot, KindPipedrive
	// Sealed is the Credentials, sealed (Sealer) with the label
	// "ACCOUNT/KIND".
	Sealed []byte
	// Portal is the CRM's account (HubSpot's portal id, Pipedrive's
	// company domain), for links to its records.
	Portal string
	// CreateContacts: a number the CRM does not know becomes a contact;
	// otherwise its calls and texts are logged without one.
	CreateContacts bool
	Connected      time.Time
	// LastSync is the last time something was logged; LastError what
	// went wrong last, and when ("" once something goes through again).
	LastSync    time.Time
	LastError   string
	LastErrorAt time.Time
}

// Store keeps connections and what was logged where.
type Store interface {
	SaveConnection(ctx context.Context, c Connection) error
	// Connection is ErrNotConnected when the account has none of kind.
	Connection(ctx context.Context, account, kind string) (Connection, error)
	Connections(ctx context.Context, account string) ([]Connection, error)
	DeleteConnection(ctx context.Context, account, kind string) error
	// NoteSync notes an outcome: errText "" for a success at at.
	NoteSync(ctx context.Context, account, kind, errText string, at time.Time) error
	// SaveLink remembers the CRM's id for something of Tether's (a call);
	// Link finds it ("" when there is none).
	SaveLink(ctx context.Context, account, kind, id, crmID string) error
	Link(ctx context.Context, account, kind, id string) (string, error)
	// SaveAuthorization keeps an authorization under way until the CRM
	// sends the person back; TakeAuthorization returns it once (then it
	// is gone), ErrNotConnected when there is none by that state.
	SaveAuthorization(ctx context.Context, a Authorization) error
	TakeAuthorization(ctx context.Context, state string) (Authorization, error)
}

// Authorization is an OAuth authorization under way: who started it for
// which account and CRM, and the PKCE verifier that finishes it.
type Authorization struct {
	State          string
	Account, Kind  string
	Email          string
	Verifier       string
	CreateContacts bool
	Created        time.Time
}

// ErrNotConnected: the account has no such CRM connected.
var ErrNotConnected = errors.New("crm: not connected")

// Feed is the id of the outbox subscription that feeds an account's CRM.
func Feed(account, kind string) string { return "wh_crm_" + kind + "_" + account }

// Target is the delivery target a connected CRM's events go to.
func Target(kind string) string { return "crm:" + kind }

// Events are the events a CRM is sent.
var Events = []string{hooks.CallEnded, hooks.CallNoted, hooks.MessageSent, hooks.MessageReceived}

// Sync logs events in the CRMs they are for: it is the outbox's delivery
// target "crm" (hooks.Deliverer.Targets).
type Sync struct {
	Store  Store
	Sealer *Sealer
	// OAuth is each kind's OAuth application (for refreshing tokens).
	OAuth map[string]OAuth
	// APIs overrides each kind's API address (tests; a CRM's sandbox).
	APIs   map[string]string
	Client *http.Client // the transport under the credentials (nil: http.DefaultClient's)
	// Recordings links recorded calls for the CRM (nil: no links).
	Recordings *Recordings
	Now        func() time.Time
	Log        *slog.Logger
}

func (s *Sync) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

func (s *Sync) log() *slog.Logger {
	if s.Log == nil {
		return slog.Default()
	}
	return s.Log
}

// Label is what a connection's credentials are sealed with.
func Label(account, kind string) string { return account + "/" + kind }

// Connector returns the connector for an account's connection.
func (s *Sync) Connector(ctx context.Context, c Connection) (Connector, error) {
	plain, err := s.Sealer.Open(c.Sealed, Label(c.Account, c.Kind))
	if err != nil {
		return nil, err
	}
	var cr Credentials
	if err := json.Unmarshal(plain, &cr); err != nil {
		return nil, fmt.Errorf("crm: the stored credentials: %w", err)
	}
	if s.Client != nil {
		ctx = context.WithValue(ctx, oauth2.HTTPClient, s.Client)
	}
	save := func(fresh Credentials) { // a refreshed token, kept for next time
		c.Sealed = s.Sealer.Seal(fresh.Marshal(), Label(c.Account, c.Kind))
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := s.Store.SaveConnection(sctx, c); err != nil {
			s.log().Error("crm: keeping a refreshed token", "account", c.Account, "crm", c.Kind, "err", err)
		}
	}
	client := cr.client(ctx, s.OAuth[c.Kind], save)
	switch c.Kind {
	case KindHubSpot:
		return &HubSpot{Client: client, API: s.APIs[KindHubSpot], Portal: c.Portal}, nil
	case KindPipedrive:
		if cr.OAuth == nil { // an API token goes in the query, not as a Bearer
			client = s.Client
		}
		return &Pipedrive{Client: client, API: s.APIs[KindPipedrive], Company: c.Portal, Token: cr.Token}, nil
	}
	return nil, fmt.Errorf("crm: no connector for %q", c.Kind)
}

// event is an outbox event as delivered.
type event struct {
	Type    string          `json:"type"`
	Account string          `json:"account"`
	Data    json.RawMessage `json:"data"`
}

type callData struct {
	ID          string    `json:"id"`
	Direction   string    `json:"direction"`
	From        string    `json:"from"`
	To          string    `json:"to"`
	Started     time.Time `json:"started"`
	Seconds     int64     `json:"seconds"`
	Disposition string    `json:"disposition"`
	Tag         string    `json:"tag"`
	Notes       string    `json:"notes"`
	Recorded    bool      `json:"recorded"`
	Transcript  string    `json:"transcript"`
}

type textData struct {
	ID        string    `json:"id"`
	Direction string    `json:"direction"`
	From      string    `json:"from"`
	To        string    `json:"to"`
	At        time.Time `json:"at"`
	Body      string    `json:"body"`
}

// customer is the outside party of a call or text; "" for an internal one
// (nothing a CRM logs).
func customer(direction, from, to string) string {
	switch direction {
	case "outbound":
		return to
	case "inbound", "forwarded":
		return from
	}
	return ""
}

// Deliver logs one delivered event in the CRM its target names
// (hooks.Target). An error leaves the delivery to be tried again later.
func (s *Sync) Deliver(ctx context.Context, d hooks.Due) error {
	kind, ok := strings.CutPrefix(d.URL, "crm:")
	if !ok {
		return fmt.Errorf("crm: %q is not a CRM target", d.URL)
	}
	err := s.deliver(ctx, d.Account, kind, d.Payload)
	text := ""
	if err != nil {
		text = err.Error()
	}
	if nerr := s.Store.NoteSync(context.WithoutCancel(ctx), d.Account, kind, text, s.now()); nerr != nil && !errors.Is(nerr, ErrNotConnected) {
		s.log().Warn("crm: noting a sync", "account", d.Account, "crm", kind, "err", nerr)
	}
	return err
}

func (s *Sync) deliver(ctx context.Context, account, kind string, payload []byte) error {
	var e event
	if err := json.Unmarshal(payload, &e); err != nil {
		return fmt.Errorf("crm: an event that does not read: %w", err)
	}
	c, err := s.Store.Connection(ctx, account, kind)
	if err != nil {
		return err
	}
	conn, err := s.Connector(ctx, c)
	if err != nil {
		return err
	}
	contact := func(phone string) (Contact, error) {
		ct, found, err := conn.FindContact(ctx, phone)
		if err != nil || found || !c.CreateContacts {
			return ct, err
		}
		return conn.CreateContact(ctx, phone)
	}
	switch e.Type {
	case hooks.CallEnded, hooks.CallNoted:
		var d callData
		if err := json.Unmarshal(e.Data, &d); err != nil {
			return fmt.Errorf("crm: a call event that does not read: %w", err)
		}
		who := customer(d.Direction, d.From, d.To)
		if who == "" {
			return nil // between colleagues: not the CRM's
		}
		call := Call{ID: d.ID, Direction: d.Direction, From: d.From, To: d.To, Customer: who, Started: d.Started, Seconds: d.Seconds,
			Outcome: d.Disposition, Tag: d.Tag, Notes: d.Notes, Transcript: d.Transcript}
		if d.Recorded && s.Recordings != nil {
			call.Recording = s.Recordings.Link(account, d.ID)
		}
		if call.Direction == "forwarded" {
			call.Direction = "inbound"
		}
		logged, err := s.Store.Link(ctx, account, kind, d.ID)
		if err != nil {
			return err
		}
		if e.Type == hooks.CallNoted {
			if logged == "" {
				return fmt.Errorf("crm: the call %s is not logged yet (its call.ended comes first)", d.ID)
			}
			return conn.UpdateCall(ctx, logged, call)
		}
		if logged != "" {
			return nil // logged already (this delivery is a retry or a replay)
		}
		ct, err := contact(who)
		if err != nil {
			return err
		}
		id, err := conn.LogCall(ctx, ct, call)
		if err != nil {
			return err
		}
		return s.Store.SaveLink(ctx, account, kind, d.ID, id)
	case hooks.MessageSent, hooks.MessageReceived:
		var d textData
		if err := json.Unmarshal(e.Data, &d); err != nil {
			return fmt.Errorf("crm: a text event that does not read: %w", err)
		}
		who := customer(d.Direction, d.From, d.To)
		if who == "" {
			return nil
		}
		if logged, err := s.Store.Link(ctx, account, kind, d.ID); err != nil || logged != "" {
			return err
		}
		ct, err := contact(who)
		if err != nil {
			return err
		}
		id, err := conn.LogText(ctx, ct, Text{ID: d.ID, Direction: d.Direction, From: d.From, To: d.To, Customer: who, At: d.At, Body: d.Body})
		if err != nil {
			return err
		}
		return s.Store.SaveLink(ctx, account, kind, d.ID, id)
	}
	return nil // an event no CRM logs
}
