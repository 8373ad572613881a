package api

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/tetherphone/tether/account/rating"
	"github.com/tetherphone/tether/account/records"
	"github.com/tetherphone/tether/account/team"
)

// VoicemailInfo is one voicemail as the API shows it.
type VoicemailInfo struct {
	ID      string    `json:"id"`
	Number  string    `json:"number"`
	From    string    `json:"from"`
	Seconds int       `json:"seconds"`
	Heard   bool      `json:"heard"`
	Created time.Time `json:"created"`
	Audio   string    `json:"audio"` // the recording's URL path
}

// mayHear reports whether u may hear a number's voicemail: the owner and
// admins any of the account's numbers, others the numbers they answer.
func mayHear(u caller, n team.Number) bool {
	if n.Account != u.Account {
		return false
	}
	return u.can(team.ManageNumbers) || u.can(team.ViewAllCalls) || slices.Contains(n.Members, u.Email)
}

func (s *Server) voicemails(w http.ResponseWriter, r *http.Request, u caller) {
	raw := r.URL.Query().Get("number")
	pn, err := rating.ParseNumber(raw, u.region)
	if raw == "" || err != nil {
		writeErr(w, http.StatusBadRequest, "bad_input", "give ?number= one of your numbers in E.164 (+14155550100)")
		return
	}
	n, err := s.cfg.Users.Number(r.Context(), pn.E164)
	if err != nil || !mayHear(u, n) {
		writeErr(w, http.StatusNotFound, "not_found", "no such number of yours")
		return
	}
	vs, err := s.cfg.Users.Voicemails(r.Context(), n.E164)
	if err != nil {
		writeErr(w, http.StatusInternalServerError, "internal", "could not list the voicemails")
		return
	}
	out := []VoicemailInfo{}
	for _, v := range vs {
		out = append(out, VoicemailInfo{ID: v.ID, Number: v.Number, From: v.From, Seconds: v.Seconds, Heard: v.Heard,
			Created: v.Created, Audio: "/v1/voicemails/" + v.ID + "/audio"})
	}
	writeJSON(w, http.StatusOK, out)
}

// voicemail finds a voicemail u may hear, or answers 404.
func (s *Server) voicemail(w http.ResponseWriter, r *http.Request, u caller) (team.Voicemail, bool) {
	v, err := s.cfg.Users.VoicemailByID(r.Context(), r.PathValue("id"))
	if err == nil {
		if n, err2 := s.cfg.Users.Number(r.Context(), v.Number); err2 == nil && mayHear(u, n) {
			return v, true
		}
	}
	if err != nil && !errors.Is(err, team.ErrNotFound) {
		writeErr(w, http.StatusInternalServerError, "internal", "could not read the voicemail")
		return v, false
	}
	writeErr(w, http.StatusNotFound, "not_found", "no such voicemail of yours")
	return v, false
}

// MarkRequest is PATCH /v1/voicemails/{id}'s body.
type MarkRequest struct {
	Heard *bool `json:"heard"`
}

func (s *Server) markVoicemail(w http.ResponseWriter, r *http.Request, u caller) {
	var req MarkRequest
	if !readJSON(w, r, &req) {
		return
	}
	if req.Heard == nil {
		writeErr(w, http.StatusBadRequest, "bad_input", `say {"heard": true} or {"heard": false}`)
		return
	}
	v, ok := s.voicemail(w, r, u)
	if !ok {
		return
	}
	if err := s.cfg.Users.MarkHeard(r.Context(), v.ID, *req.Heard); err != nil {
		writeErr(w, http.StatusInternalServerError, "internal", "could not mark the voicemail")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) voicemailAudio(w http.ResponseWriter, r *http.Request, u caller) {
	v, ok := s.voicemail(w, r, u)
	if !ok {
		return
	}
	s.serveAudio(w, r, v.Path, "voicemail-"+v.ID+".wav", v.Created)
}

// serveAudio sends a recording (audio/wav) kept at rel under the data
// directory, as an attachment named name.
func (s *Server) serveAudio(w http.ResponseWriter, r *http.Request, rel, name string, modified time.Time) {
	path := filepath.Join(s.cfg.DataDir, filepath.Clean(rel))
	if rel == "" || s.cfg.DataDir == "" || !strings.HasPrefix(path, filepath.Clean(s.cfg.DataDir)+string(filepath.Separator)) {
		writeErr(w, http.StatusNotFound, "not_found", "the recording is not here")
		return
	}
	f, err := os.Open(path)
	if err != nil {
		writeErr(w, http.StatusNotFound, "not_found", "the recording is missing")
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", "audio/wav")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	http.ServeContent(w, r, name, modified, f)
}

// CallInfo is one call record as the API shows it; cost is a decimal
// string.
type CallInfo struct {
	ID          string    `json:"id"`
	Direction   string    `json:"direction"`
	From        string    `json:"from"`
	To          string    `json:"to"`
	Started     time.Time `json:"started"`
	Seconds     int64     `json:"seconds"`
	Cost        string    `json:"cost"`
	Currency    string    `json:"currency"`
	Destination string    `json:"destination,omitempty"`
	Disposition string    `json:"disposition"` // how it ended: answered, missed, busy, refused, failed, voicemail
	Cause       string    `json:"cause"`
	Tag         string    `json:"tag,omitempty"`   // the disposition logged after it ("Call back")
	Notes       string    `json:"notes,omitempty"` // and its notes
}

func callInfo(c records.Call) CallInfo {
	return CallInfo{ID: c.ID, Direction: c.Direction, From: c.From, To: c.To, Started: c.Started, Seconds: c.Seconds,
		Cost: c.Cost.StringFixed(4), Currency: c.Currency, Destination: c.Destination, Disposition: string(c.Disposition), Cause: c.Cause,
		Tag: c.Tag, Notes: c.Notes}
}

// calls lists the account's call records, newest first: all of them for
// those who see all calls, the user's own (by extension and numbers) for
// others.
func (s *Server) calls(w http.ResponseWriter, r *http.Request, u caller) {
	if s.cfg.Records == nil {
		writeErr(w, http.StatusNotFound, "not_found", "this server keeps no call records")
		return
	}
	limit, err := queryInt(r, "limit", 50, 1, 500)
	if err != nil {
		writeAPIErr(w, err)
		return
	}
	recs, err := s.cfg.Records.Calls(r.Context(), u.Account, 2000)
	if err != nil {
		s.fail(w, err, "list the calls")
		return
	}
	mine := map[string]bool{u.Extension: true}
	if nums, err := s.cfg.Users.NumbersOf(r.Context(), u.Email); err == nil {
		for _, n := range nums {
			mine[n.E164] = true
		}
	}
	all := u.can(team.ViewAllCalls)
	out := []CallInfo{}
	for _, c := range recs {
		if len(out) == limit {
			break
		}
		if !all && !mine[c.From] && !mine[c.To] {
			continue
		}
		out = append(out, callInfo(c))
	}
	writeJSON(w, http.StatusOK, out)
}

// MessageInfo is one text's record as the API shows it.
type MessageInfo struct {
	ID        string    `json:"id"`
	Direction string    `json:"direction"`
	From      string    `json:"from"`
	To        string    `json:"to"`
	At        time.Time `json:"at"`
	Segments  int       `json:"segments"`
	Cost      string    `json:"cost"`
	Status    string    `json:"status"`
}

// messages lists the texts of the user's extension and numbers (everyone's
// with calls.all), newest first. Texts' bodies are not kept on the server.
func (s *Server) messages(w http.ResponseWriter, r *http.Request, u caller) {
	if s.cfg.Records == nil {
		writeErr(w, http.StatusNotFound, "not_found", "this server keeps no records")
		return
	}
	limit, err := queryInt(r, "limit", 100, 1, 500)
	if err != nil {
		writeAPIErr(w, err)
		return
	}
	recs, err := s.cfg.Records.Messages(r.Context(), u.Account, 2000)
	if err != nil {
		s.fail(w, err, "list the texts")
		return
	}
	mine := map[string]bool{u.Extension: true}
	if nums, err := s.cfg.Users.NumbersOf(r.Context(), u.Email); err == nil {
		for _, n := range nums {
			mine[n.E164] = true
		}
	}
	out := []MessageInfo{}
	for _, m := range recs {
		if len(out) == limit {
			break
		}
		if !u.can(team.ViewAllCalls) && !mine[m.From] && !mine[m.To] {
			continue
		}
		out = append(out, MessageInfo{ID: m.ID, Direction: m.Direction, From: m.From, To: m.To, At: m.At, Segments: m.Segments,
			Cost: m.Cost.StringFixed(4), Status: m.Status})
	}
	writeJSON(w, http.StatusOK, out)
}
