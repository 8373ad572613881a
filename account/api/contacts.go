package api

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tetherphone/tether/account/rating"
	"github.com/tetherphone/tether/account/records"
	"github.com/tetherphone/tether/account/team"
)

// ContactInfo is a contact as the API shows and takes it.
type ContactInfo struct {
	ID      string    `json:"id,omitempty"`
	Name    string    `json:"name"`
	Company string    `json:"company"`
	Notes   string    `json:"notes"`
	Numbers []string  `json:"numbers"`
	Created time.Time `json:"created,omitzero"`
	Updated time.Time `json:"updated,omitzero"`
}

func contactInfo(c team.Contact) ContactInfo {
	return ContactInfo{ID: c.ID, Name: c.Name, Company: c.Company, Notes: c.Notes, Numbers: c.Numbers, Created: c.Created, Updated: c.Updated}
}

// text checks a free-text field: valid UTF-8, no NUL, within max bytes,
// one line unless multiline.
func text(name, v string, min, max int, multiline bool) (string, error) {
	v = strings.TrimSpace(v)
	switch {
	case !utf8.ValidString(v) || strings.ContainsRune(v, 0):
		return "", &Error{Status: 400, Code: "bad_input", Message: name + " is not valid text"}
	case len(v) < min || len(v) > max:
		return "", &Error{Status: 400, Code: "bad_input", Message: name + " has " + strconv.Itoa(min) + " to " + strconv.Itoa(max) + " bytes"}
	case !multiline && strings.ContainsAny(v, "\r\n"):
		return "", &Error{Status: 400, Code: "bad_input", Message: name + " is one line"}
	}
	return v, nil
}

// checkContact validates a contact's fields and normalises its numbers
// to E.164.
func checkContact(in ContactInfo, region string) (team.Contact, error) {
	var c team.Contact
	var err error
	if c.Name, err = text("name", in.Name, 1, 200, false); err != nil {
		return c, err
	}
	if c.Company, err = text("company", in.Company, 0, 200, false); err != nil {
		return c, err
	}
	if c.Notes, err = text("notes", in.Notes, 0, 4000, true); err != nil {
		return c, err
	}
	if len(in.Numbers) > 20 {
		return c, &Error{Status: 400, Code: "bad_input", Message: "a contact has at most 20 numbers"}
	}
	c.Numbers = []string{}
	for _, n := range in.Numbers {
		pn, err := rating.ParseNumber(n, region)
		if err != nil {
			return c, &Error{Status: 400, Code: "bad_input", Message: "number " + strconv.Quote(n) + ": " + err.Error()}
		}
		if !slices.Contains(c.Numbers, pn.E164) {
			c.Numbers = append(c.Numbers, pn.E164)
		}
	}
	return c, nil
}

func (s *Server) contacts(w http.ResponseWriter, r *http.Request, u caller) {
	q := r.URL.Query().Get("q")
	if len(q) > 100 {
		writeErr(w, http.StatusBadRequest, "bad_input", "a search is at most 100 bytes")
		return
	}
	limit, err := queryInt(r, "limit", 100, 1, 1000)
	if err != nil {
		writeAPIErr(w, err)
		return
	}
	if pn, err := rating.ParseNumber(q, u.region); err == nil {
		q = pn.E164 // a number finds its contact however it was typed
	}
	cs, err := s.cfg.Users.Contacts(r.Context(), u.Account, q, limit)
	if err != nil {
		s.fail(w, err, "list contacts")
		return
	}
	out := []ContactInfo{}
	for _, c := range cs {
		out = append(out, contactInfo(c))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) createContact(w http.ResponseWriter, r *http.Request, u caller) {
	var req ContactInfo
	if !readJSON(w, r, &req) {
		return
	}
	c, err := checkContact(req, u.region)
	if err != nil {
		writeAPIErr(w, err)
		return
	}
	b := make([]byte, 8)
	rand.Read(b)
	c.ID, c.Account, c.Created, c.Updated = "c"+hex.EncodeToString(b), u.Account, s.cfg.Now(), s.cfg.Now()
	if err := s.cfg.Users.SaveContact(r.Context(), c); err != nil {
		s.fail(w, err, "save the contact")
		return
	}
	writeJSON(w, http.StatusCreated, contactInfo(c))
}

// ourContact reads the contact named in the path, on u's account.
func (s *Server) ourContact(w http.ResponseWriter, r *http.Request, u caller) (team.Contact, bool) {
	c, err := s.cfg.Users.Contact(r.Context(), r.PathValue("id"))
	if err != nil || c.Account != u.Account {
		if err != nil && !errors.Is(err, team.ErrNotFound) {
			s.fail(w, err, "read the contact")
			return c, false
		}
		writeErr(w, http.StatusNotFound, "not_found", "no such contact")
		return c, false
	}
	return c, true
}

func (s *Server) updateContact(w http.ResponseWriter, r *http.Request, u caller) {
	var req ContactInfo
	if !readJSON(w, r, &req) {
		return
	}
	old, ok := s.ourContact(w, r, u)
	if !ok {
		return
	}
	c, err := checkContact(req, u.region)
	if err != nil {
		writeAPIErr(w, err)
		return
	}
	c.ID, c.Account, c.Created, c.Updated = old.ID, old.Account, old.Created, s.cfg.Now()
	if err := s.cfg.Users.SaveContact(r.Context(), c); err != nil {
		s.fail(w, err, "save the contact")
		return
	}
	writeJSON(w, http.StatusOK, contactInfo(c))
}

func (s *Server) deleteContact(w http.ResponseWriter, r *http.Request, u caller) {
	c, ok := s.ourContact(w, r, u)
	if !ok {
		return
	}
	if err := s.cfg.Users.DeleteContact(r.Context(), c.ID); err != nil {
		s.fail(w, err, "delete the contact")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// DefaultDispositions is the list an account starts with.
var DefaultDispositions = []string{"Interested", "Not interested", "Call back", "Left voicemail", "Wrong number", "Resolved", "Escalated"}

func (s *Server) dispositionList(r *http.Request, account string) ([]string, error) {
	ds, err := s.cfg.Users.Dispositions(r.Context(), account)
	if err == nil && len(ds) == 0 {
		ds = DefaultDispositions
	}
	return ds, err
}

func (s *Server) dispositions(w http.ResponseWriter, r *http.Request, u caller) {
	ds, err := s.dispositionList(r, u.Account)
	if err != nil {
		s.fail(w, err, "list dispositions")
		return
	}
	writeJSON(w, http.StatusOK, ds)
}

// DispositionList is PUT /v1/dispositions's body.
type DispositionList struct {
	Dispositions []string `json:"dispositions"`
}

func (s *Server) setDispositions(w http.ResponseWriter, r *http.Request, u caller) {
	var req DispositionList
	if !readJSON(w, r, &req) {
		return
	}
	if len(req.Dispositions) == 0 || len(req.Dispositions) > 50 {
		writeErr(w, http.StatusBadRequest, "bad_input", "a disposition list has 1 to 50 entries")
		return
	}
	var names []string
	for _, d := range req.Dispositions {
		d, err := text("a disposition", d, 1, 60, false)
		if err != nil {
			writeAPIErr(w, err)
			return
		}
		if slices.Contains(names, d) {
			writeErr(w, http.StatusBadRequest, "bad_input", "%q is listed twice", d)
			return
		}
		names = append(names, d)
	}
	ctx := u.audit(r.Context(), "dispositions.set", u.Account, "%s", strings.Join(names, ", "))
	if err := s.cfg.Users.SetDispositions(ctx, u.Account, names); err != nil {
		s.fail(w, err, "save the dispositions")
		return
	}
	writeJSON(w, http.StatusOK, names)
}

// DispositionRequest is PUT /v1/calls/{id}/disposition's body.
type DispositionRequest struct {
	Disposition string `json:"disposition"`
	Notes       string `json:"notes"`
}

func (s *Server) disposeCall(w http.ResponseWriter, r *http.Request, u caller) {
	var req DispositionRequest
	if !readJSON(w, r, &req) {
		return
	}
	if s.cfg.Records == nil {
		writeErr(w, http.StatusNotFound, "not_found", "this server keeps no call records")
		return
	}
	ds, err := s.dispositionList(r, u.Account)
	if err != nil {
		s.fail(w, err, "list dispositions")
		return
	}
	if !slices.Contains(ds, req.Disposition) {
		writeErr(w, http.StatusBadRequest, "bad_input", "the disposition is one of the account's list: %s", strings.Join(ds, ", "))
		return
	}
	notes, err := text("notes", req.Notes, 0, 4000, true)
	if err != nil {
		writeAPIErr(w, err)
		return
	}
	c, ok := s.myCall(w, r, u)
	if !ok {
		return
	}
	if err := s.cfg.Records.Tag(r.Context(), c.ID, req.Disposition, notes); err != nil {
		s.fail(w, err, "log the disposition")
		return
	}
	c.Tag, c.Notes = req.Disposition, notes
	writeJSON(w, http.StatusOK, callInfo(c))
}

// myCall is the call the path's {id} names, when it is one u sees;
// otherwise it answers 404 (or the store's failure) and ok is false.
func (s *Server) myCall(w http.ResponseWriter, r *http.Request, u caller) (records.Call, bool) {
	if s.cfg.Records == nil {
		writeErr(w, http.StatusNotFound, "not_found", "this server keeps no call records")
		return records.Call{}, false
	}
	c, err := s.cfg.Records.Call(r.Context(), r.PathValue("id"))
	if err != nil || c.Account != u.Account || !s.mine(r, u, c) {
		if err != nil && !errors.Is(err, records.ErrNotFound) {
			s.fail(w, err, "read the call")
			return c, false
		}
		writeErr(w, http.StatusNotFound, "not_found", "no such call of yours")
		return c, false
	}
	return c, true
}

// mine reports whether a call record is u's: theirs by extension or
// number, or anyone's for those who see all calls.
func (s *Server) mine(r *http.Request, u caller, c records.Call) bool {
	if u.can(team.ViewAllCalls) {
		return true
	}
	if c.From == u.Extension || c.To == u.Extension {
		return true
	}
	nums, err := s.cfg.Users.NumbersOf(r.Context(), u.Email)
	if err != nil {
		return false
	}
	for _, n := range nums {
		if c.From == n.E164 || c.To == n.E164 {
			return true
		}
	}
	return false
}

// AuditInfo is one audit log entry.
type AuditInfo struct {
	ID     int64     `json:"id"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Action string    `json:"action"`
	Target string    `json:"target"`
	Detail string    `json:"detail"`
	Source string    `json:"source"`
}

func (s *Server) audit(w http.ResponseWriter, r *http.Request, u caller) {
	limit, err := queryInt(r, "limit", 100, 1, 1000)
	if err != nil {
		writeAPIErr(w, err)
		return
	}
	before, err := queryInt(r, "before", 0, 0, 1<<62)
	if err != nil {
		writeAPIErr(w, err)
		return
	}
	es, err := s.cfg.Users.AuditLog(r.Context(), u.Account, int64(before), limit)
	if err != nil {
		s.fail(w, err, "read the audit log")
		return
	}
	out := []AuditInfo{}
	for _, e := range es {
		out = append(out, AuditInfo{ID: e.ID, At: e.At, Actor: e.Actor, Action: e.Action, Target: e.Target, Detail: e.Detail, Source: e.Source})
	}
	writeJSON(w, http.StatusOK, out)
}
