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

// HubSpotAPI is HubSpot's API address; HubSpotApp where people see their
// records.
const (
	HubSpotAPI = "https://api.hubapi.com"
	HubSpotApp = "https://app.hubspot.com"
)

// HubSpot logs calls and texts in HubSpot through its CRM v3 objects API
// (contacts, calls, communications), as HubSpot's published OpenAPI
// descriptions have them. Client carries the credentials (an OAuth 2
// token source, or a private app's token; see Bearer).
type HubSpot struct {
	Client *http.Client
	API    string // HubSpotAPI when empty
	App    string // HubSpotApp when empty
	Portal string // the HubSpot account's id, for record links ("" leaves links out)
}

// HubSpot's default association types (HUBSPOT_DEFINED): a call to a
// contact, a communication (a text) to a contact.
const (
	hubspotCallToContact = 194
	hubspotCommToContact = 81
)

// HubSpot's default call outcomes (hs_call_disposition takes their ids).
var hubspotOutcomes = map[string]string{
	"answered":  "f240bbac-87c9-4f6e-bf70-924b57d47db7", // Connected
	"missed":    "73a0d17f-1163-4015-bdd5-ec830791da20", // No answer
	"busy":      "9d9162e7-6cf3-4944-bf63-4dff82258764", // Busy
	"voicemail": "b2cf5968-551e-4856-9783-52b3da59a7d0", // Left voicemail
}

// hubspotStatus is hs_call_status for a call's outcome.
func hubspotStatus(outcome string) string {
	switch outcome {
	case "answered", "voicemail":
		return "COMPLETED"
	case "missed":
		return "NO_ANSWER"
	case "busy":
		return "BUSY"
	}
	return "FAILED"
}

type hubspotObject struct {
	ID         string            `json:"id"`
	Properties map[string]string `json:"properties"`
}

type hubspotAssoc struct {
	To    hubspotID          `json:"to"`
	Types []hubspotAssocType `json:"types"`
}

type hubspotID struct {
	ID string `json:"id"`
}

type hubspotAssocType struct {
	Category string `json:"associationCategory"`
	TypeID   int    `json:"associationTypeId"`
}

type hubspotCreate struct {
	Properties   map[string]string `json:"properties"`
	Associations []hubspotAssoc    `json:"associations"`
}

func (h *HubSpot) do(ctx context.Context, method, path string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, method, cmp.Or(h.API, HubSpotAPI)+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	res, err := h.Client.Do(req)
	if err != nil {
		if ae := authErr(err); ae != nil {
			return ae
		}
		return fmt.Errorf("%w (%s %s: %v)", ErrUnavailable, method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 4<<20))
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return statusErr(res.StatusCode, method+" "+path, string(b))
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%w (%s %s: the answer is not what HubSpot describes: %v)", ErrRefused, method, path, err)
	}
	return nil
}

func (h *HubSpot) contact(o hubspotObject) Contact {
	name := strings.TrimSpace(o.Properties["firstname"] + " " + o.Properties["lastname"])
	c := Contact{ID: o.ID, Name: cmp.Or(name, o.Properties["phone"], o.Properties["mobilephone"])}
	if h.Portal != "" {
		c.URL = fmt.Sprintf("%s/contacts/%s/record/0-1/%s", cmp.Or(h.App, HubSpotApp), url.PathEscape(h.Portal), url.PathEscape(o.ID))
	}
	return c
}

// FindContact implements Connector: a contact whose phone or mobile phone
// is the number.
func (h *HubSpot) FindContact(ctx context.Context, phone string) (Contact, bool, error) {
	type filter struct {
		PropertyName string `json:"propertyName"`
		Operator     string `json:"operator"`
		Value        string `json:"value"`
	}
	type group struct {
		Filters []filter `json:"filters"`
	}
	search := struct {
		FilterGroups []group  `json:"filterGroups"`
		Properties   []string `json:"properties"`
		Limit        int      `json:"limit"`
		After        string   `json:"after"`
		Sorts        []string `json:"sorts"`
	}{
		FilterGroups: []group{{[]filter{{"phone", "EQ", phone}}}, {[]filter{{"mobilephone", "EQ", phone}}}},
		Properties:   []string{"firstname", "lastname", "phone", "mobilephone"},
		Limit:        1, After: "0", Sorts: []string{},
	}
	var out struct {
		Results []hubspotObject `json:"results"`
	}
	if err := h.do(ctx, http.MethodPost, "/crm/v3/objects/contacts/search", search, &out); err != nil {
		return Contact{}, false, err
	}
	if len(out.Results) == 0 || out.Results[0].ID == "" {
		return Contact{}, false, nil
	}
	return h.contact(out.Results[0]), true, nil
}

// CreateContact implements Connector.
func (h *HubSpot) CreateContact(ctx context.Context, phone string) (Contact, error) {
	var out hubspotObject
	err := h.do(ctx, http.MethodPost, "/crm/v3/objects/contacts", hubspotCreate{Properties: map[string]string{"phone": phone},
		Associations: []hubspotAssoc{}}, &out)
	if err != nil {
		return Contact{}, err
	}
	if out.Properties == nil {
		out.Properties = map[string]string{}
	}
	out.Properties["phone"] = phone
	return h.contact(out), nil
}

func (h *HubSpot) callProperties(c Call) map[string]string {
	dir, title := "OUTBOUND", "Call to "+c.Customer
	if c.Direction == "inbound" {
		dir, title = "INBOUND", "Call from "+c.Customer
	}
	body := c.Notes
	if c.Tag != "" {
		body = strings.TrimSpace(c.Tag + "\n\n" + c.Notes)
	}
	if c.Transcript != "" {
		body = strings.TrimSpace(body + "\n\nTranscript:\n" + c.Transcript)
	}
	p := map[string]string{
		"hs_timestamp":        c.Started.UTC().Format(time.RFC3339),
		"hs_call_title":       title,
		"hs_call_body":        body,
		"hs_call_direction":   dir,
		"hs_call_duration":    strconv.FormatInt(c.Seconds*1000, 10),
		"hs_call_from_number": c.From,
		"hs_call_to_number":   c.To,
		"hs_call_status":      hubspotStatus(c.Outcome),
	}
	if id, ok := hubspotOutcomes[c.Outcome]; ok {
		p["hs_call_disposition"] = id
	}
	if c.Recording != "" {
		p["hs_call_recording_url"] = c.Recording
	}
	return p
}

// LogCall implements Connector: a call engagement associated with the
// contact.
func (h *HubSpot) LogCall(ctx context.Context, contact Contact, c Call) (string, error) {
	in := hubspotCreate{Properties: h.callProperties(c), Associations: []hubspotAssoc{}}
	if contact.ID != "" {
		in.Associations = append(in.Associations, hubspotAssoc{To: hubspotID{contact.ID},
			Types: []hubspotAssocType{{"HUBSPOT_DEFINED", hubspotCallToContact}}})
	}
	var out hubspotObject
	if err := h.do(ctx, http.MethodPost, "/crm/v3/objects/calls", in, &out); err != nil {
		return "", err
	}
	return out.ID, nil
}

// UpdateCall implements Connector.
func (h *HubSpot) UpdateCall(ctx context.Context, crmID string, c Call) error {
	in := struct {
		Properties map[string]string `json:"properties"`
	}{h.callProperties(c)}
	return h.do(ctx, http.MethodPatch, "/crm/v3/objects/calls/"+url.PathEscape(crmID), in, nil)
}

// LogText implements Connector: an SMS communication associated with the
// contact.
func (h *HubSpot) LogText(ctx context.Context, contact Contact, t Text) (string, error) {
	in := hubspotCreate{Properties: map[string]string{
		"hs_timestamp":                  t.At.UTC().Format(time.RFC3339),
		"hs_communication_channel_type": "SMS",
		"hs_communication_logged_from":  "CRM",
		"hs_communication_body":         t.Body,
	}, Associations: []hubspotAssoc{}}
	if contact.ID != "" {
		in.Associations = append(in.Associations, hubspotAssoc{To: hubspotID{contact.ID},
			Types: []hubspotAssocType{{"HUBSPOT_DEFINED", hubspotCommToContact}}})
	}
	var out hubspotObject
	if err := h.do(ctx, http.MethodPost, "/crm/v3/objects/communications", in, &out); err != nil {
		return "", err
	}
	return out.ID, nil
}
