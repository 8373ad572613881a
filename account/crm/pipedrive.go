package crm

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// PipedriveAPI is Pipedrive's API address.
const PipedriveAPI = "https://api.pipedrive.com"

// Pipedrive logs calls and texts in Pipedrive, written from its API
// reference (and the models of its own client, npm pipedrive 33.7.0):
// people found with GET /api/v2/persons/search (by phone, exact) and made
// with POST /api/v2/persons; a call is a call log (POST /v1/callLogs) on
// the person; a text, and a disposition logged after a call (call logs
// cannot be changed), a note on the person (POST /v1/notes). Client signs
// requests (OAuth), or Token is the user's API token (sent as api_token).
type Pipedrive struct {
	Client  *http.Client
	API     string // PipedriveAPI when empty
	Company string // the company's subdomain, for links ("acme" for acme.pipedrive.com)
	Token   string
}

type pipedriveAnswer struct {
	Success bool            `json:"success"`
	Data    json.RawMessage `json:"data"`
	Error   string          `json:"error"`
}

func (p *Pipedrive) do(ctx context.Context, method, path string, query url.Values, in, out any) error {
	if query == nil {
		query = url.Values{}
	}
	if p.Token != "" {
		query.Set("api_token", p.Token)
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, cmp.Or(p.API, PipedriveAPI)+path+"?"+query.Encode(), body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	client := p.Client
	if client == nil {
		client = http.DefaultClient
	}
	res, err := client.Do(req)
	if err != nil {
		if ae := authErr(err); ae != nil {
			return ae
		}
		return fmt.Errorf("%w (%s %s: %v)", ErrUnavailable, method, path, strings.ReplaceAll(err.Error(), p.Token, "…"))
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 4<<20))
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return statusErr(res.StatusCode, method+" "+path, string(b))
	}
	var a pipedriveAnswer
	if err := json.Unmarshal(b, &a); err != nil || !a.Success {
		return fmt.Errorf("%w (%s %s: %s)", ErrRefused, method, path, cmp.Or(a.Error, "an answer that does not read"))
	}
	if out != nil {
		if err := json.Unmarshal(a.Data, out); err != nil {
			return fmt.Errorf("%w (%s %s: %v)", ErrRefused, method, path, err)
		}
	}
	return nil
}

func (p *Pipedrive) person(id int64, name string) Contact {
	c := Contact{ID: strconv.FormatInt(id, 10), Name: name}
	if p.Company != "" {
		c.URL = fmt.Sprintf("https://%s.pipedrive.com/person/%d", url.PathEscape(p.Company), id)
	}
	return c
}

// FindContact implements Connector.
func (p *Pipedrive) FindContact(ctx context.Context, phone string) (Contact, bool, error) {
	var out struct {
		Items []struct {
			Item struct {
				ID   int64  `json:"id"`
				Name string `json:"name"`
			} `json:"item"`
		} `json:"items"`
	}
	q := url.Values{"term": {phone}, "fields": {"phone"}, "exact_match": {"true"}, "limit": {"1"}}
	if err := p.do(ctx, http.MethodGet, "/api/v2/persons/search", q, nil, &out); err != nil {
		return Contact{}, false, err
	}
	if len(out.Items) == 0 || out.Items[0].Item.ID == 0 {
		return Contact{}, false, nil
	}
	return p.person(out.Items[0].Item.ID, out.Items[0].Item.Name), true, nil
}

// CreateContact implements Connector: a person named by the number.
func (p *Pipedrive) CreateContact(ctx context.Context, phone string) (Contact, error) {
	in := map[string]any{"name": phone, "phones": []map[string]any{{"value": phone, "primary": true, "label": "work"}}}
	var out struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	}
	if err := p.do(ctx, http.MethodPost, "/api/v2/persons", nil, in, &out); err != nil {
		return Contact{}, err
	}
	return p.person(out.ID, cmp.Or(out.Name, phone)), nil
}

// pipedriveOutcome is a call log's outcome (Pipedrive's list).
func pipedriveOutcome(outcome string) string {
	switch outcome {
	case "answered":
		return "connected"
	case "busy":
		return "busy"
	case "voicemail":
		return "left_voicemail"
	}
	return "no_answer"
}

// pipedriveTime is how Pipedrive writes times: UTC, "YYYY-MM-DD HH:MM:SS".
func pipedriveTime(t time.Time) string { return t.UTC().Format(time.DateTime) }

// LogCall implements Connector. The id returned names the call log and
// its person ("CALLLOG/PERSON"): a disposition later is a note on the
// person.
func (p *Pipedrive) LogCall(ctx context.Context, contact Contact, c Call) (string, error) {
	end := c.Started.Add(time.Duration(c.Seconds) * time.Second)
	in := map[string]any{"outcome": pipedriveOutcome(c.Outcome), "from_phone_number": c.From, "to_phone_number": c.To,
		"start_time": pipedriveTime(c.Started), "end_time": pipedriveTime(end), "duration": strconv.FormatInt(c.Seconds, 10),
		"subject": map[bool]string{true: "Call from ", false: "Call to "}[c.Direction == "inbound"] + c.Customer}
	if note := strings.TrimSpace(c.Tag + "\n\n" + c.Notes); note != "" {
		in["note"] = note
	}
	if contact.ID != "" {
		id, _ := strconv.ParseInt(contact.ID, 10, 64)
		in["person_id"] = id
	}
	var out struct {
		ID string `json:"id"`
	}
	if err := p.do(ctx, http.MethodPost, "/v1/callLogs", nil, in, &out); err != nil {
		return "", err
	}
	return out.ID + "/" + contact.ID, nil
}

// UpdateCall implements Connector: call logs do not change, so the
// disposition and notes become a note on the call's person.
func (p *Pipedrive) UpdateCall(ctx context.Context, crmID string, c Call) error {
	_, person, _ := strings.Cut(crmID, "/")
	if person == "" {
		return nil // logged without a person: nowhere to note it
	}
	return p.note(ctx, person, strings.TrimSpace(fmt.Sprintf("%s (%s, %s)\n\n%s", c.Tag, map[bool]string{true: "call from ", false: "call to "}[c.Direction == "inbound"]+c.Customer,
		c.Started.UTC().Format("2006-01-02 15:04 UTC"), c.Notes)))
}

func (p *Pipedrive) note(ctx context.Context, person, content string) error {
	id, err := strconv.ParseInt(person, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: a person id %q", ErrRefused, person)
	}
	return p.do(ctx, http.MethodPost, "/v1/notes", nil, map[string]any{"content": content, "person_id": id}, nil)
}

// LogText implements Connector: a note on the person.
func (p *Pipedrive) LogText(ctx context.Context, contact Contact, t Text) (string, error) {
	if contact.ID == "" {
		return "", nil // no person: nothing to note it on
	}
	head := "Text to " + t.Customer
	if t.Direction == "inbound" {
		head = "Text from " + t.Customer
	}
	return "note/" + contact.ID, p.note(ctx, contact.ID, fmt.Sprintf("%s, %s:\n%s", head, t.At.UTC().Format("2006-01-02 15:04 UTC"), t.Body))
}
