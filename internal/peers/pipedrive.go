package peers

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Pipedrive is a loopback stand-in for Pipedrive's API (no description of
// it is published to mock from here), strict as its reference is: each
// request is checked against the models of Pipedrive's own client (npm
// pipedrive 33.7.0: v2 persons search and add, v1 callLogs and notes):
// the api_token, required fields, the outcome's values, the time format,
// types, and no unknown field; a request that breaks them gets 400 and is
// kept (Made). It keeps what was made, to look at.
type Pipedrive struct {
	URL   string
	Token string

	mu       sync.Mutex
	persons  []PipedrivePerson
	callLogs []map[string]any
	notes    []map[string]any
	refused  []string
}

// Made is what was made so far (call logs, notes) and why requests were
// refused.
func (p *Pipedrive) Made() (callLogs, notes []map[string]any, refused []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.callLogs), slices.Clone(p.notes), slices.Clone(p.refused)
}

// PipedrivePerson is a person made in the stand-in.
type PipedrivePerson struct {
	ID     int64
	Name   string
	Phones []string
}

// StartPipedrive starts the stand-in; Token is the API token it takes.
func StartPipedrive(t testing.TB) *Pipedrive {
	t.Helper()
	p := &Pipedrive{Token: "pd-" + token()}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v2/persons/search", p.search)
	mux.HandleFunc("POST /api/v2/persons", p.addPerson)
	mux.HandleFunc("POST /v1/callLogs", p.addCallLog)
	mux.HandleFunc("POST /v1/notes", p.addNote)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("api_token") != p.Token {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"success":false,"error":"unauthorized access","errorCode":401}`)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// Persons are the persons made so far.
func (p *Pipedrive) Persons() []PipedrivePerson {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.persons)
}

func (p *Pipedrive) refuse(w http.ResponseWriter, why string) {
	p.mu.Lock()
	p.refused = append(p.refused, why)
	p.mu.Unlock()
	w.WriteHeader(http.StatusBadRequest)
	json.NewEncoder(w).Encode(map[string]any{"success": false, "error": why})
}

func answer(w http.ResponseWriter, data any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"success": true, "data": data})
}

// body reads a JSON object, refusing fields outside allowed and checking
// each present field's JSON type ("string", "number", "bool", "array").
func (p *Pipedrive) body(w http.ResponseWriter, r *http.Request, allowed map[string]string, required ...string) (map[string]any, bool) {
	var m map[string]any
	dec := json.NewDecoder(r.Body)
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		p.refuse(w, "not a JSON object: "+err.Error())
		return nil, false
	}
	for k, v := range m {
		want, ok := allowed[k]
		if !ok {
			p.refuse(w, "unknown field "+k)
			return nil, false
		}
		got := ""
		switch v.(type) {
		case string:
			got = "string"
		case json.Number:
			got = "number"
		case bool:
			got = "bool"
		case []any:
			got = "array"
		}
		if got != want {
			p.refuse(w, fmt.Sprintf("%s is a %s, not a %s", k, want, got))
			return nil, false
		}
	}
	for _, k := range required {
		if _, ok := m[k]; !ok {
			p.refuse(w, "missing "+k)
			return nil, false
		}
	}
	return m, true
}

func (p *Pipedrive) search(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	term := q.Get("term")
	if term == "" || !slices.Contains([]string{"", "custom_fields", "email", "notes", "phone", "name"}, q.Get("fields")) ||
		!slices.Contains([]string{"", "true", "false"}, q.Get("exact_match")) {
		p.refuse(w, "search: term, fields or exact_match")
		return
	}
	if l := q.Get("limit"); l != "" {
		if n, err := strconv.Atoi(l); err != nil || n < 1 || n > 500 {
			p.refuse(w, "search: limit")
			return
		}
	}
	type item struct {
		ResultScore float64 `json:"result_score"`
		Item        struct {
			ID     int64    `json:"id"`
			Type   string   `json:"type"`
			Name   string   `json:"name"`
			Phones []string `json:"phones"`
		} `json:"item"`
	}
	items := []item{}
	p.mu.Lock()
	for _, pe := range p.persons {
		if slices.Contains(pe.Phones, term) {
			var it item
			it.ResultScore, it.Item.ID, it.Item.Type, it.Item.Name, it.Item.Phones = 1, pe.ID, "person", pe.Name, pe.Phones
			items = append(items, it)
		}
	}
	p.mu.Unlock()
	answer(w, map[string]any{"items": items})
}

func (p *Pipedrive) addPerson(w http.ResponseWriter, r *http.Request) {
	m, ok := p.body(w, r, map[string]string{"name": "string", "owner_id": "number", "org_id": "number", "emails": "array", "phones": "array",
		"visible_to": "number", "label_ids": "array", "notes": "string", "job_title": "string"})
	if !ok {
		return
	}
	var person PipedrivePerson
	person.Name, _ = m["name"].(string)
	phones, _ := m["phones"].([]any)
	for _, ph := range phones {
		o, ok := ph.(map[string]any)
		v, vok := o["value"].(string)
		if !ok || !vok {
			p.refuse(w, "phones: each is {value, primary, label}")
			return
		}
		for k := range o {
			if !slices.Contains([]string{"value", "primary", "label"}, k) {
				p.refuse(w, "phones: unknown field "+k)
				return
			}
		}
		person.Phones = append(person.Phones, v)
	}
	p.mu.Lock()
	person.ID = int64(len(p.persons) + 1)
	p.persons = append(p.persons, person)
	p.mu.Unlock()
	answer(w, map[string]any{"id": person.ID, "name": person.Name})
}

func (p *Pipedrive) addCallLog(w http.ResponseWriter, r *http.Request) {
	m, ok := p.body(w, r, map[string]string{"outcome": "string", "to_phone_number": "string", "start_time": "string", "end_time": "string",
		"user_id": "number", "activity_id": "number", "subject": "string", "duration": "string", "from_phone_number": "string",
		"person_id": "number", "org_id": "number", "deal_id": "number", "lead_id": "string", "note": "string"},
		"outcome", "to_phone_number", "start_time", "end_time")
	if !ok {
		return
	}
	if !slices.Contains([]string{"connected", "no_answer", "left_message", "left_voicemail", "wrong_number", "busy"}, m["outcome"].(string)) {
		p.refuse(w, "outcome "+m["outcome"].(string))
		return
	}
	for _, k := range []string{"start_time", "end_time"} {
		if _, err := time.Parse(time.DateTime, m[k].(string)); err != nil {
			p.refuse(w, k+" is YYYY-MM-DD HH:MM:SS")
			return
		}
	}
	if d, ok := m["duration"].(string); ok {
		if _, err := strconv.Atoi(d); err != nil {
			p.refuse(w, "duration is seconds")
			return
		}
	}
	p.mu.Lock()
	p.callLogs = append(p.callLogs, m)
	id := fmt.Sprintf("%032x", len(p.callLogs))
	p.mu.Unlock()
	answer(w, map[string]any{"id": id, "outcome": m["outcome"]})
}

func (p *Pipedrive) addNote(w http.ResponseWriter, r *http.Request) {
	m, ok := p.body(w, r, map[string]string{"content": "string", "lead_id": "string", "deal_id": "number", "person_id": "number",
		"org_id": "number", "user_id": "number", "add_time": "string"}, "content")
	if !ok {
		return
	}
	if m["person_id"] == nil && m["deal_id"] == nil && m["org_id"] == nil && m["lead_id"] == nil {
		p.refuse(w, "a note belongs to a person, a deal, an organization or a lead")
		return
	}
	p.mu.Lock()
	p.notes = append(p.notes, m)
	id := len(p.notes)
	p.mu.Unlock()
	answer(w, map[string]any{"id": id, "content": m["content"]})
}
