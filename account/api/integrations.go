package api

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/tetherphone/tether/account/crm"
	"github.com/tetherphone/tether/account/rating"
	"github.com/tetherphone/tether/account/records"
	"github.com/tetherphone/tether/account/team"
)

// IntegrationInfo is a CRM the account can connect, and how it stands.
type IntegrationInfo struct {
	Kind      string     `json:"kind"`
	Name      string     `json:"name"`
	Connected bool       `json:"connected"`
	OAuth     bool       `json:"oauth"` // connecting by signing in to the CRM is offered (else with a token)
	Portal    string     `json:"portal,omitempty"`
	Create    bool       `json:"create_contacts"`
	Since     *time.Time `json:"connected_at,omitempty"`
	LastSync  *time.Time `json:"last_sync,omitempty"`
	// LastError is what went wrong last, while nothing has gone through
	// since (shown to those who manage the account).
	LastError   string     `json:"last_error,omitempty"`
	LastErrorAt *time.Time `json:"last_error_at,omitempty"`
	// Feed is the outbox subscription that feeds the CRM: its delivery
	// log is GET /v1/webhooks/{feed}/deliveries (each attempt; replay).
	Feed string `json:"feed,omitempty"`
	// Stopped: three days of failures turned logging off; connecting
	// again turns it on.
	Stopped bool `json:"stopped,omitempty"`
}

// ConnectRequest connects a CRM with a token: a HubSpot private app's
// access token, a Pipedrive API token.
type ConnectRequest struct {
	Token          string `json:"token"`
	Portal         string `json:"portal,omitempty"` // HubSpot's account id, Pipedrive's company subdomain (for links)
	CreateContacts bool   `json:"create_contacts"`
}

// AuthorizeRequest starts connecting a CRM by signing in to it.
type AuthorizeRequest struct {
	CreateContacts bool `json:"create_contacts"`
}

// AuthorizeInfo is where to send the person to sign in to the CRM.
type AuthorizeInfo struct {
	URL string `json:"url"`
}

// ContactLink is a number's contact in the CRM, for "Open in HubSpot".
type ContactLink struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
	URL  string `json:"url,omitempty"`
	ID   string `json:"id"`
}

var crmNames = map[string]string{crm.KindHubSpot: "HubSpot", crm.KindPipedrive: "Pipedrive"}

func stamp(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// crmKind reads the {kind} in the path, or answers 404.
func (s *Server) crmKind(w http.ResponseWriter, r *http.Request) (string, bool) {
	kind := r.PathValue("kind")
	if s.cfg.CRM == nil {
		writeErr(w, http.StatusServiceUnavailable, "no_crm", "this server connects no CRM")
		return "", false
	}
	if !slices.Contains(crm.Kinds, kind) {
		writeErr(w, http.StatusNotFound, "not_found", "no CRM %q here (%s)", kind, strings.Join(crm.Kinds, ", "))
		return "", false
	}
	return kind, true
}

func (s *Server) integrations(w http.ResponseWriter, r *http.Request, u caller) {
	if s.cfg.CRM == nil {
		writeJSON(w, http.StatusOK, []IntegrationInfo{})
		return
	}
	have, err := s.cfg.CRM.Store.Connections(r.Context(), u.Account)
	if err != nil {
		s.fail(w, err, "list the CRM connections")
		return
	}
	stopped := map[string]bool{}
	if hs, err := s.cfg.Users.Webhooks(r.Context(), u.Account); err == nil {
		for _, h := range hs {
			stopped[h.ID] = !h.Disabled.IsZero()
		}
	}
	out := []IntegrationInfo{}
	for _, kind := range crm.Kinds {
		info := IntegrationInfo{Kind: kind, Name: crmNames[kind], OAuth: s.cfg.CRM.OAuth[kind].ClientID != ""}
		for _, c := range have {
			if c.Kind != kind {
				continue
			}
			info.Connected, info.Portal, info.Create = true, c.Portal, c.CreateContacts
			info.Since, info.LastSync, info.Feed = stamp(c.Connected), stamp(c.LastSync), crm.Feed(c.Account, c.Kind)
			info.Stopped = stopped[info.Feed]
			if u.can(team.ManageAccount) {
				info.LastError, info.LastErrorAt = c.LastError, stamp(c.LastErrorAt)
			}
		}
		out = append(out, info)
	}
	writeJSON(w, http.StatusOK, out)
}

// connectCRM connects a CRM with a token, tried first: a token the CRM
// refuses is said at once, and nothing is kept.
func (s *Server) connectCRM(w http.ResponseWriter, r *http.Request, u caller) {
	kind, ok := s.crmKind(w, r)
	if !ok {
		return
	}
	var req ConnectRequest
	if !readJSON(w, r, &req) {
		return
	}
	req.Token, req.Portal = strings.TrimSpace(req.Token), strings.TrimSpace(req.Portal)
	if req.Token == "" || len(req.Token) > 4000 || len(req.Portal) > 200 || strings.ContainsAny(req.Portal, "/?#") {
		writeErr(w, http.StatusBadRequest, "bad_input", "give \"token\" (a HubSpot private app's token, a Pipedrive API token) and, for links, \"portal\"")
		return
	}
	s.keepConnection(w, r, u, crm.Connection{Account: u.Account, Kind: kind, Portal: req.Portal, CreateContacts: req.CreateContacts,
		Connected: s.cfg.Now()}, crm.Credentials{Token: req.Token})
}

// keepConnection tries the credentials, then keeps them sealed.
func (s *Server) keepConnection(w http.ResponseWriter, r *http.Request, u caller, c crm.Connection, cr crm.Credentials) {
	sync := s.cfg.CRM
	c.Sealed = sync.Sealer.Seal(cr.Marshal(), crm.Label(c.Account, c.Kind))
	conn, err := sync.Connector(r.Context(), c)
	if err == nil {
		_, _, err = conn.FindContact(r.Context(), "+15555550100") // (any number: is the token taken?)
	}
	switch {
	case errors.Is(err, crm.ErrAuth):
		writeErr(w, http.StatusBadRequest, "refused", "%s refused these credentials: %v", crmNames[c.Kind], err)
		return
	case errors.Is(err, crm.ErrUnavailable):
		writeErr(w, http.StatusBadGateway, "unavailable", "%s did not answer; try again: %v", crmNames[c.Kind], err)
		return
	case err != nil:
		writeErr(w, http.StatusBadGateway, "refused", "%s refused a search with these credentials: %v", crmNames[c.Kind], err)
		return
	}
	ctx := u.audit(r.Context(), "crm.connect", c.Kind, "connected %s", crmNames[c.Kind])
	if err := sync.Store.SaveConnection(ctx, c); err != nil {
		s.fail(w, err, "keep the CRM connection")
		return
	}
	writeJSON(w, http.StatusOK, IntegrationInfo{Kind: c.Kind, Name: crmNames[c.Kind], Connected: true, Portal: c.Portal, Create: c.CreateContacts,
		Since: stamp(c.Connected), OAuth: sync.OAuth[c.Kind].ClientID != ""})
}

// authorizeCRM starts connecting by signing in to the CRM (OAuth 2, the
// code flow with PKCE): the answer is the address to open.
func (s *Server) authorizeCRM(w http.ResponseWriter, r *http.Request, u caller) {
	kind, ok := s.crmKind(w, r)
	if !ok {
		return
	}
	var req AuthorizeRequest
	if r.ContentLength != 0 && !readJSON(w, r, &req) {
		return
	}
	o := s.cfg.CRM.OAuth[kind]
	if o.ClientID == "" {
		writeErr(w, http.StatusConflict, "no_oauth", "this server has no %s app to sign in with: connect with a token instead", crmNames[kind])
		return
	}
	b := make([]byte, 16)
	rand.Read(b)
	state := hex.EncodeToString(b)
	url, verifier := o.Start(state, s.crmRedirect())
	if err := s.cfg.CRM.Store.SaveAuthorization(r.Context(), crm.Authorization{State: state, Account: u.Account, Kind: kind, Email: u.Email,
		Verifier: verifier, CreateContacts: req.CreateContacts, Created: s.cfg.Now()}); err != nil {
		s.fail(w, err, "start the authorization")
		return
	}
	writeJSON(w, http.StatusOK, AuthorizeInfo{URL: url})
}

func (s *Server) crmRedirect() string {
	return strings.TrimRight(s.cfg.PublicURL, "/") + "/v1/integrations/oauth/callback"
}

// oauthCallback is where the CRM sends the person back: the code is
// exchanged (with the PKCE verifier) and the tokens kept, sealed. The
// answer is a page for a browser.
func (s *Server) oauthCallback(w http.ResponseWriter, r *http.Request) {
	page := func(status int, title, text string) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		fmt.Fprintf(w, "<!doctype html><meta charset=utf-8><title>%s</title><h1>%s</h1><p>%s</p>\n", html.EscapeString(title),
			html.EscapeString(title), html.EscapeString(text))
	}
	if s.cfg.CRM == nil {
		page(http.StatusNotFound, "Not connected", "This server connects no CRM.")
		return
	}
	q := r.URL.Query()
	state := q.Get("state")
	if state == "" || len(state) > 100 {
		page(http.StatusBadRequest, "Not connected", "The CRM sent you back without the authorization's state; start again from Settings.")
		return
	}
	a, err := s.cfg.CRM.Store.TakeAuthorization(r.Context(), state)
	if err != nil || s.cfg.Now().Sub(a.Created) > 15*time.Minute {
		page(http.StatusBadRequest, "Not connected", "This authorization is unknown, used or too old; start again from Settings.")
		return
	}
	name := crmNames[a.Kind]
	if e := q.Get("error"); e != "" {
		page(http.StatusBadRequest, name+" is not connected", name+" said: "+e+" "+q.Get("error_description"))
		return
	}
	code := q.Get("code")
	if code == "" {
		page(http.StatusBadRequest, name+" is not connected", name+" sent you back without a code; start again from Settings.")
		return
	}
	t, err := s.cfg.CRM.OAuth[a.Kind].Finish(r.Context(), code, a.Verifier, s.crmRedirect())
	if err != nil {
		page(http.StatusBadGateway, name+" is not connected", err.Error())
		return
	}
	c := crm.Connection{Account: a.Account, Kind: a.Kind, CreateContacts: a.CreateContacts, Connected: s.cfg.Now()}
	// HubSpot names its account in the token answer (a JSON number: read
	// as its digits).
	if b, err := json.Marshal(t.Extra("hub_id")); err == nil {
		if hub := strings.Trim(string(b), `"`); hub != "" && strings.Trim(hub, "0123456789") == "" {
			c.Portal = hub
		}
	}
	c.Sealed = s.cfg.CRM.Sealer.Seal(crm.Credentials{OAuth: t}.Marshal(), crm.Label(c.Account, c.Kind))
	who := caller{User: team.User{Account: a.Account, Email: a.Email}, source: source(r)}
	ctx := who.audit(r.Context(), "crm.connect", a.Kind, "connected %s (signed in)", name)
	if err := s.cfg.CRM.Store.SaveConnection(ctx, c); err != nil {
		s.cfg.Log.Error("api: keeping a CRM connection", "err", err)
		page(http.StatusInternalServerError, name+" is not connected", "The connection could not be kept; try again.")
		return
	}
	page(http.StatusOK, name+" is connected", "Calls and texts will be logged in "+name+" from now on. You can close this window and go back to Tether.")
}

func (s *Server) disconnectCRM(w http.ResponseWriter, r *http.Request, u caller) {
	kind, ok := s.crmKind(w, r)
	if !ok {
		return
	}
	ctx := u.audit(r.Context(), "crm.disconnect", kind, "disconnected %s", crmNames[kind])
	err := s.cfg.CRM.Store.DeleteConnection(ctx, u.Account, kind)
	if errors.Is(err, crm.ErrNotConnected) {
		writeErr(w, http.StatusNotFound, "not_found", "%s is not connected", crmNames[kind])
		return
	}
	if err != nil {
		s.fail(w, err, "disconnect the CRM")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// crmContact finds a number's contact in the connected CRM, for the
// app's "Open in HubSpot".
func (s *Server) crmContact(w http.ResponseWriter, r *http.Request, u caller) {
	kind, ok := s.crmKind(w, r)
	if !ok {
		return
	}
	number := strings.TrimSpace(r.URL.Query().Get("number"))
	if number == "" || len(number) > 40 {
		writeErr(w, http.StatusBadRequest, "bad_input", "give ?number= a phone number")
		return
	}
	parsed, err := rating.ParseNumber(number, u.region)
	n := parsed.E164
	if err != nil {
		writeErr(w, http.StatusBadRequest, "bad_input", "%q is not a phone number", number)
		return
	}
	c, err := s.cfg.CRM.Store.Connection(r.Context(), u.Account, kind)
	if errors.Is(err, crm.ErrNotConnected) {
		writeErr(w, http.StatusNotFound, "not_connected", "%s is not connected", crmNames[kind])
		return
	}
	if err != nil {
		s.fail(w, err, "read the CRM connection")
		return
	}
	conn, err := s.cfg.CRM.Connector(r.Context(), c)
	if err != nil {
		s.fail(w, err, "open the CRM connection")
		return
	}
	ct, found, err := conn.FindContact(r.Context(), n)
	if err != nil {
		writeErr(w, http.StatusBadGateway, "unavailable", "%s: %v", crmNames[kind], err)
		return
	}
	if !found {
		writeErr(w, http.StatusNotFound, "not_found", "no contact with %s in %s", n, crmNames[kind])
		return
	}
	writeJSON(w, http.StatusOK, ContactLink{Kind: kind, Name: ct.Name, URL: ct.URL, ID: ct.ID})
}

// serveRecording sends a call's recording (audio/wav) from the data
// directory.
func (s *Server) serveRecording(w http.ResponseWriter, r *http.Request, c records.Call) {
	if c.Recording == "" {
		writeErr(w, http.StatusNotFound, "not_found", "the call was not recorded")
		return
	}
	s.serveAudio(w, r, c.Recording, "call-"+c.ID+".wav", c.Ended)
}

// callRecording is a recorded call's audio for those who see the call.
func (s *Server) callRecording(w http.ResponseWriter, r *http.Request, u caller) {
	if c, ok := s.myCall(w, r, u); ok {
		s.serveRecording(w, r, c)
	}
}

// signedRecording is a recorded call's audio by a signed link (what a
// CRM is given): no session, the link is the permission.
func (s *Server) signedRecording(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	id := r.PathValue("id")
	if s.cfg.CRM == nil || s.cfg.CRM.Recordings == nil || s.cfg.Records == nil ||
		!s.cfg.CRM.Recordings.Verify(q.Get("account"), id, q.Get("expires"), q.Get("sig")) {
		writeErr(w, http.StatusForbidden, "forbidden", "this link is not good, or no longer")
		return
	}
	c, err := s.cfg.Records.Call(r.Context(), id)
	if err != nil || c.Account != q.Get("account") {
		writeErr(w, http.StatusNotFound, "not_found", "no such call")
		return
	}
	s.serveRecording(w, r, c)
}
