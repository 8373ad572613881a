package api

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tetherphone/tether/account/hooks"
	"github.com/tetherphone/tether/account/rating"
)

// WebhookRequest is POST /v1/webhooks's body.
type WebhookRequest struct {
	URL    string   `json:"url"`
	Events []string `json:"events"`
	// Format "slack" posts Slack incoming-webhook messages (for call.missed,
	// voicemail.created, message.received) instead of the signed event;
	// Number limits it to one of the account's numbers.
	Format string `json:"format,omitempty"`
	Number string `json:"number,omitempty"`
}

// WebhookInfo describes a subscription. Secret, the key of its deliveries'
// signatures, is there once, in the answer that made it.
type WebhookInfo struct {
	ID           string     `json:"id"`
	URL          string     `json:"url"`
	Events       []string   `json:"events"`
	Created      time.Time  `json:"created"`
	Disabled     *time.Time `json:"disabled,omitempty"`
	FailingSince *time.Time `json:"failing_since,omitempty"`
	Secret       string     `json:"secret,omitempty"`
	Format       string     `json:"format,omitempty"`
	Number       string     `json:"number,omitempty"`
}

// DeliveryInfo is one event's delivery to a subscription, with its
// attempts.
type DeliveryInfo struct {
	ID        string        `json:"id"`
	Event     string        `json:"event"`
	Type      string        `json:"type"`
	Status    string        `json:"status"` // pending, delivered, failed
	NextTry   *time.Time    `json:"next_try,omitempty"`
	Created   time.Time     `json:"created"`
	Delivered *time.Time    `json:"delivered,omitempty"`
	Attempts  []AttemptInfo `json:"attempts"`
}

// AttemptInfo is one try at a delivery.
type AttemptInfo struct {
	At     time.Time `json:"at"`
	Status int       `json:"status"` // the receiver's HTTP status; 0 when none came
	Error  string    `json:"error,omitempty"`
	TookMS int64     `json:"took_ms"`
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func webhookInfo(w hooks.Webhook) WebhookInfo {
	return WebhookInfo{ID: w.ID, URL: w.URL, Events: w.Events, Created: w.Created, Disabled: optTime(w.Disabled), FailingSince: optTime(w.FailingSince),
		Format: w.Format, Number: w.Number}
}

// checkHookURL refuses addresses a webhook may not post to: anything but
// https, and hosts on loopback or private networks (the server would be
// made to call inside its own network), unless the server allows them.
func (s *Server) checkHookURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.User != nil {
		return fmt.Errorf("%w: %q is not an http(s) address", hooks.ErrInvalid, raw)
	}
	if s.cfg.WebhooksAnywhere {
		return nil
	}
	if u.Scheme != "https" {
		return fmt.Errorf("%w: webhooks are delivered over https only", hooks.ErrInvalid)
	}
	host := u.Hostname()
	if a, err := netip.ParseAddr(host); err == nil {
		if a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsUnspecified() || a.IsMulticast() {
			return fmt.Errorf("%w: %s is a private address: webhooks go to the internet", hooks.ErrInvalid, host)
		}
	} else if host == "localhost" || strings.HasSuffix(host, ".localhost") || net.ParseIP(host) != nil {
		return fmt.Errorf("%w: %s is not an internet host", hooks.ErrInvalid, host)
	}
	return nil
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request, u caller) {
	var req WebhookRequest
	if !readJSON(w, r, &req) {
		return
	}
	if err := s.checkHookURL(req.URL); err != nil {
		s.fail(w, err, "subscribe")
		return
	}
	b := make([]byte, 24)
	rand.Read(b)
	idb := make([]byte, 8)
	rand.Read(idb)
	h := hooks.Webhook{ID: "wh_" + hex.EncodeToString(idb), Account: u.Account, URL: req.URL, Secret: "whsec_" + hex.EncodeToString(b),
		Events: req.Events, Created: s.cfg.Now().UTC(), Format: req.Format}
	if req.Number != "" {
		n, err := rating.ParseNumber(req.Number, u.region)
		if err != nil {
			writeErr(w, http.StatusBadRequest, "bad_input", "%q is not a phone number", req.Number)
			return
		}
		if num, err := s.cfg.Users.Number(r.Context(), n.E164); err != nil || num.Account != u.Account {
			writeErr(w, http.StatusBadRequest, "bad_input", "%s is not one of the account's numbers", n.E164)
			return
		}
		h.Number = n.E164
	}
	if err := h.Validate(); err != nil {
		s.fail(w, err, "subscribe")
		return
	}
	ctx := u.audit(r.Context(), "webhook.create", h.ID, "subscribed %s to %s", h.URL, strings.Join(h.Events, " "))
	if err := s.cfg.Users.SaveWebhook(ctx, h); err != nil {
		s.fail(w, err, "subscribe")
		return
	}
	info := webhookInfo(h)
	info.Secret = h.Secret
	writeJSON(w, http.StatusCreated, info)
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request, u caller) {
	hs, err := s.cfg.Users.Webhooks(r.Context(), u.Account)
	if err != nil {
		s.fail(w, err, "list the webhooks")
		return
	}
	out := []WebhookInfo{}
	for _, h := range hs {
		if strings.HasPrefix(h.URL, "crm:") {
			continue // a connected CRM's feed (GET /v1/integrations)
		}
		out = append(out, webhookInfo(h))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request, u caller) {
	id := r.PathValue("id")
	if strings.HasPrefix(id, "wh_crm_") {
		writeErr(w, http.StatusConflict, "crm_feed", "%s feeds a connected CRM: disconnect the CRM instead (DELETE /v1/integrations/KIND)", id)
		return
	}
	ctx := u.audit(r.Context(), "webhook.delete", id, "deleted webhook %s", id)
	if err := s.cfg.Users.DeleteWebhook(ctx, u.Account, id); err != nil {
		s.fail(w, err, "delete webhook "+id)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) webhookDeliveries(w http.ResponseWriter, r *http.Request, u caller) {
	limit := 50
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			writeErr(w, http.StatusBadRequest, "bad_input", "limit is 1 to 500")
			return
		}
		limit = n
	}
	ds, err := s.cfg.Users.Deliveries(r.Context(), u.Account, r.PathValue("id"), limit)
	if err != nil {
		s.fail(w, err, "list the deliveries of webhook "+r.PathValue("id"))
		return
	}
	out := []DeliveryInfo{}
	for _, d := range ds {
		info := DeliveryInfo{ID: d.ID, Event: d.Event, Type: d.Type, Status: d.Status, Created: d.Created, Delivered: optTime(d.Delivered),
			Attempts: []AttemptInfo{}}
		if d.Status == "pending" {
			info.NextTry = optTime(d.NextTry)
		}
		for _, a := range d.Attempts {
			info.Attempts = append(info.Attempts, AttemptInfo{At: a.At, Status: a.Status, Error: a.Error, TookMS: a.Took.Milliseconds()})
		}
		out = append(out, info)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) replayDelivery(w http.ResponseWriter, r *http.Request, u caller) {
	id, d := r.PathValue("id"), r.PathValue("delivery")
	ctx := u.audit(r.Context(), "webhook.replay", d, "sent delivery %s of webhook %s again", d, id)
	if err := s.cfg.Users.Replay(ctx, u.Account, id, d, s.cfg.Now()); err != nil {
		s.fail(w, err, "replay delivery "+d)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}
