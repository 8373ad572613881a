package api

import (
	_ "embed"
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"github.com/tetherphone/tether/account/team"
)

// The OpenAPI document is generated from the route table and the request
// and answer types below (OpenAPI), checked in as openapi.json (a test
// fails when the two differ: `go test ./account/api -run OpenAPI -update`
// rewrites it) and served at GET /v1/openapi.json.
//
//go:embed openapi.json
var openapiJSON []byte

func serveOpenAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(openapiJSON)
}

// op documents one endpoint.
type op struct {
	summary string
	query   []string // query parameters, "name: description"
	body    any      // the request body's type (nil: none)
	status  int      // the success status
	answer  any      // the answer's type (nil: none)
}

var ops = map[string]op{
	"POST /v1/session":                                    {"Sign in with email and password; the token goes in Authorization: Bearer. Too many tries from one address: 429 with Retry-After; five wrong passwords lock the email for that address for 15 minutes (429, code locked); too many sign-ins at once server-wide: 503 with Retry-After.", nil, SignInRequest{}, 201, Session{}},
	"POST /v1/invitations/accept":                         {"Accept an invitation: set a password (and a name) and join the team. Counted with sign-ins from the same address (429 with Retry-After).", nil, AcceptRequest{}, 201, UserInfo{}},
	"GET /v1/openapi.json":                                {"This document.", nil, nil, 200, nil},
	"GET /v1/subscription":                                {"What the account pays for its seats: the plan, seats, the next billing day, a downgrade waiting for it, what is due and when the account is suspended unless paid, and the charges.", nil, nil, 200, SubscriptionInfo{}},
	"PUT /v1/subscription/plan":                           {"Change plan: up at once (the price difference for every seat is charged to the card, prorated to the billing day, and the bundle grows likewise), down from the next billing day; the current plan cancels a downgrade.", nil, PlanRequest{}, 200, SubscriptionInfo{}},
	"GET /v1/receipts":                                    {"Receipts for what the account paid: credits, the subscription, numbers; newest first.", nil, nil, 200, []ReceiptInfo{}},
	"GET /v1/receipts/{id}":                               {"One receipt; with format=html a printable page (download=1 to save it).", []string{"format: html for a page", "download: 1 to save it as a file"}, nil, 200, ReceiptInfo{}},
	"GET /v1/plans":                                       {"The plans on offer, cheapest first: price per seat per month, and each seat's minutes and texts (pooled across the account, reset monthly).", nil, nil, 200, []PlanInfo{}},
	"POST /v1/signup":                                     {"Open a company account: its Owner is signed in at once and emailed a six-digit code to verify the address (no money moves before). 403 signup_closed when the operator opens accounts by hand; 409 when the address already has a user; counted with sign-ins from the same address (429 with Retry-After).", nil, SignUpRequest{}, 201, SignUpResponse{}},
	"GET /v1/account":                                     {"The company: its name, country, time zone, caller ID, plan, and whether it is verified or suspended.", nil, nil, 200, AccountInfo{}},
	"PATCH /v1/account":                                   {"Change the company's name, country (which brings its main time zone unless one is given), time zone or default caller ID (one of its numbers).", nil, AccountRequest{}, 200, AccountInfo{}},
	"POST /v1/account/verify":                             {"The Owner enters the emailed code; from then on cards, credits and purchases work. A wrong code: 422 wrong_code (five tries, then ask for a new one).", nil, VerifyRequest{}, 200, nil},
	"POST /v1/account/verify/resend":                      {"Email the Owner a new code (at most one a minute: 429 too_soon).", nil, nil, 200, nil},
	"DELETE /v1/team/invitations/{email}":                 {"Withdraw a pending invitation: its link and token stop working.", nil, nil, 204, nil},
	"POST /v1/team/invitations/{email}/resend":            {"Send a pending invitation again, with a new token (the old one stops working).", nil, nil, 200, InvitationInfo{}},
	"POST /v1/webhooks/stripe":                            {"Stripe's events (signed); payments credit the account once.", nil, nil, 200, nil},
	"DELETE /v1/session":                                  {"Sign out.", nil, nil, 204, nil},
	"GET /v1/me":                                          {"Who I am and what my role allows.", nil, nil, 200, UserInfo{}},
	"GET /v1/devices":                                     {"My phones' credentials (without passwords), oldest first; at most 25.", nil, nil, 200, []DeviceInfo{}},
	"POST /v1/devices":                                    {"Issue SIP credentials for one of my phones (shown once); past 25, 409 limit until one is deleted.", nil, DeviceRequest{}, 201, DeviceCredentials{}},
	"DELETE /v1/devices/{username}":                       {"Forget one of my phones' SIP credentials.", nil, nil, 204, nil},
	"GET /v1/balance":                                     {"The credit gate's state; with billing.view, the balance and the bundle left.", nil, nil, 200, BalanceInfo{}},
	"GET /v1/quote":                                       {"What a call (or with type=sms, a text: a MessageQuoteInfo) would cost, before sending.", []string{"to: the number", "from: one of my numbers", "type: sms for a text", "text: with type=sms, the text"}, nil, 200, QuoteInfo{}},
	"GET /v1/credits/transactions":                        {"Credit movements, newest first.", []string{"since: YYYY-MM-DD", "until: YYYY-MM-DD (inclusive)", "type: a transaction type", "offset: skip this many", "limit: 1-500"}, nil, 200, TransactionPage{}},
	"GET /v1/credits/usage":                               {"Credit spent per day by usage type (the spend chart).", []string{"days: 1-366, 30 by default"}, nil, 200, []UsageDay{}},
	"POST /v1/credits":                                    {"Add credits: charge the card on file, applied at once; idempotent by key.", nil, AddCreditsRequest{}, 201, TopUpInfo{}},
	"GET /v1/card":                                        {"The card on file.", nil, nil, 200, CardInfo{}},
	"PUT /v1/card":                                        {"Save a card (the number goes to the processor, never stored here).", nil, CardRequest{}, 200, CardInfo{}},
	"GET /v1/topup":                                       {"Auto top-up settings and the suggested threshold.", nil, nil, 200, TopUpSettings{}},
	"PUT /v1/topup":                                       {"Change auto top-up.", nil, SetTopUpRequest{}, 200, TopUpSettings{}},
	"GET /v1/topup/history":                               {"Top-ups and failures, and notifications for the owner.", []string{"limit: 1-500"}, nil, 200, TopUpHistory{}},
	"GET /v1/numbers":                                     {"My numbers (all the account's with numbers.manage).", nil, nil, 200, []NumberInfo{}},
	"GET /v1/numbers/search":                              {"Numbers on offer.", []string{"country: ISO 3166 alpha-2", "type: local, mobile, toll-free or national", "limit: 1-50"}, nil, 200, []OfferInfo{}},
	"POST /v1/numbers":                                    {"Buy a number (two free per account, then its monthly price from credits).", nil, BuyRequest{}, 201, NumberInfo{}},
	"GET /v1/numbers/{number}":                            {"One number and its settings.", nil, nil, 200, NumberInfo{}},
	"PATCH /v1/numbers/{number}":                          {"Change a number's hours, routing, IVR menu, voicemail, recording.", nil, SettingsRequest{}, 200, NumberInfo{}},
	"PUT /v1/numbers/{number}/members":                    {"Assign a number to one teammate or share it with several.", nil, MembersRequest{}, 200, NumberInfo{}},
	"PUT /v1/numbers/{number}/greeting":                   {"Make a recording the number's voicemail greeting: the body is a WAV file (16-bit PCM, any rate and channels, half a second to a minute), kept at 8 kHz mono; callers hear it, then the beep.", nil, nil, 200, NumberInfo{}},
	"DELETE /v1/numbers/{number}/greeting":                {"Put the standard voicemail greeting back (the recording is deleted).", nil, nil, 200, NumberInfo{}},
	"GET /v1/numbers/{number}/greeting":                   {"The number's own voicemail greeting (audio/wav, 8 kHz mono).", nil, nil, 200, nil},
	"DELETE /v1/numbers/{number}":                         {"Release a number.", nil, nil, 204, nil},
	"GET /v1/team":                                        {"The team.", nil, nil, 200, []Member{}},
	"GET /v1/team/invitations":                            {"Invitations not yet accepted.", nil, nil, 200, []InvitationInfo{}},
	"POST /v1/team/invitations":                           {"Invite someone with a role: they are emailed a link the app opens (tether://invite/TOKEN) and the token; the token is also shown here, once. Needs a verified account (403 unverified).", nil, InviteRequest{}, 201, InvitationInfo{}},
	"PATCH /v1/team/{email}":                              {"Change a teammate's role.", nil, RoleChange{}, 200, Member{}},
	"DELETE /v1/team/{email}":                             {"Remove a teammate.", nil, nil, 204, nil},
	"POST /v1/team/transfer-ownership":                    {"Make a teammate the Owner (the Owner becomes an Admin).", nil, TransferRequest{}, 200, Member{}},
	"GET /v1/roles":                                       {"Built-in and custom roles with their permissions.", nil, nil, 200, []RoleInfo{}},
	"PUT /v1/roles/{name}":                                {"Create or change a custom role.", nil, RoleRequest{}, 200, RoleInfo{}},
	"DELETE /v1/roles/{name}":                             {"Delete a custom role nobody holds.", nil, nil, 204, nil},
	"GET /v1/contacts":                                    {"Contacts, searched by name, company or number.", []string{"q: search text or a number", "limit: 1-1000"}, nil, 200, []ContactInfo{}},
	"POST /v1/contacts":                                   {"Add a contact.", nil, ContactInfo{}, 201, ContactInfo{}},
	"PUT /v1/contacts/{id}":                               {"Change a contact.", nil, ContactInfo{}, 200, ContactInfo{}},
	"DELETE /v1/contacts/{id}":                            {"Delete a contact.", nil, nil, 204, nil},
	"GET /v1/dispositions":                                {"The account's list of call dispositions.", nil, nil, 200, []string{}},
	"PUT /v1/dispositions":                                {"Change the list of call dispositions.", nil, DispositionList{}, 200, []string{}},
	"PUT /v1/calls/{id}/disposition":                      {"Log a disposition and notes on a call.", nil, DispositionRequest{}, 200, CallInfo{}},
	"GET /v1/voicemails":                                  {"A number's voicemails, newest first.", []string{"number: one of my numbers"}, nil, 200, []VoicemailInfo{}},
	"PATCH /v1/voicemails/{id}":                           {"Mark a voicemail heard or new.", nil, MarkRequest{}, 204, nil},
	"GET /v1/voicemails/{id}/audio":                       {"A voicemail's recording (audio/wav).", nil, nil, 200, nil},
	"GET /v1/calls":                                       {"Call history, newest first.", []string{"limit: 1-500"}, nil, 200, []CallInfo{}},
	"POST /v1/calls":                                      {"Click to call: ring your own phones (the app, or any phone registered as you) and, when one answers, dial \"to\" (a number outside the company) from \"from_number\" (one of your numbers; left out, your usual caller ID). \"user\" makes it another user's call, ringing their phones (needs team.manage: a CRM's key starting its reps' calls). Answers 202 with the call's id as your phones start ringing; how it went is the call's record (GET /v1/calls) and the call.ended or call.missed webhook. 409 no_phone when none of your phones is online, 402 no_credit, 403 when from_number is not yours, 400 when \"to\" is not a number outside the company.", nil, CallRequest{}, 202, CallStarted{}},
	"GET /v1/calls/{id}/recording":                        {"A recorded call's audio (audio/wav), for those who see the call; 404 when it was not recorded.", nil, nil, 200, nil},
	"GET /v1/recordings/{id}":                             {"A recorded call's audio by the signed link a connected CRM is given with the call (account, expires, sig): no session; 403 for a link that does not verify or has expired.", []string{"account", "expires", "sig"}, nil, 200, nil},
	"GET /v1/messages":                                    {"Texts sent and received (their records), newest first.", []string{"limit: 1-500"}, nil, 200, []MessageInfo{}},
	"GET /v1/audit":                                       {"The audit log, newest first.", []string{"before: entries older than this ID", "limit: 1-1000"}, nil, 200, []AuditInfo{}},
	"POST /v1/keys":                                       {"Make an API key acting as you, for programs: its scopes are permissions you hold (never ownership.transfer). The secret (tk_...) is in this answer only; use it as Authorization: Bearer. A key does what its scopes allow and you may do, reads what needs no permission, changes nothing of a person's own (sessions, phones), and cannot make keys (403). Each key has a request budget (429 with Retry-After past it). At most 50 live keys an account (409 limit).", nil, KeyRequest{}, 201, KeyInfo{}},
	"GET /v1/keys":                                        {"The account's API keys, newest first, revoked ones too, with when each was last used (to the minute); never their secrets.", nil, nil, 200, []KeyInfo{}},
	"DELETE /v1/keys/{id}":                                {"Revoke an API key: from now on it gets 401.", nil, nil, 204, nil},
	"GET /v1/integrations":                                {"The CRMs the account can connect (hubspot, pipedrive) and how each stands: connected since, the last sync, and (to those who manage the account) the last error while nothing has gone through since; feed is the outbox subscription whose delivery log (GET /v1/webhooks/{feed}/deliveries) shows each attempt.", nil, nil, 200, []IntegrationInfo{}},
	"PUT /v1/integrations/{kind}":                         {"Connect a CRM with a token (a HubSpot private app's access token with the crm.objects.contacts scopes; a Pipedrive API token), tried at once with a search: a token the CRM refuses is 400 refused and nothing is kept. Tokens are stored encrypted with a key kept apart from the database. From then on calls with outside numbers (on call.ended; their disposition and notes on call.noted) and texts are logged on the contact with that number (made when create_contacts and there is none), through the same queue and retries as webhooks.", nil, ConnectRequest{}, 200, IntegrationInfo{}},
	"POST /v1/integrations/{kind}/authorize":              {"Start connecting a CRM by signing in to it (OAuth 2 code flow with PKCE): open the url in a browser; the CRM sends the person back to GET /v1/integrations/oauth/callback, which keeps the tokens (refreshed as they expire). 409 no_oauth when this server has no app registered with that CRM.", nil, AuthorizeRequest{}, 200, AuthorizeInfo{}},
	"GET /v1/integrations/oauth/callback":                 {"Where a CRM sends the person back after signing in (state and code, or error): a page for the browser saying whether the CRM is connected.", []string{"state", "code", "error"}, nil, 200, nil},
	"DELETE /v1/integrations/{kind}":                      {"Disconnect a CRM: its tokens, its links and its queue go.", nil, nil, 204, nil},
	"GET /v1/integrations/{kind}/contact":                 {"The contact with a number in the connected CRM (its name and the page that shows it), for the app's \"Open in HubSpot\"; 404 when there is none.", []string{"number: a phone number"}, nil, 200, ContactLink{}},
	"POST /v1/webhooks":                                   {"Subscribe an https address on the internet to events: call.started, call.answered, call.ended, call.missed, call.noted (a disposition and notes logged on a call), voicemail.created, message.received, message.sent, user.invited, credits.topped_up, credits.low (available credit fell below the auto top-up threshold, or 5 without one), credits.exhausted (less than a cent left), number.assigned. Each delivery is a POST of {id, type, account, created, data}; id is the event's, the same on every retry (the idempotency key). It carries Tether-Event, Tether-Delivery and Tether-Signature: t=UNIX,v1=HEX, HEX the HMAC-SHA256 keyed with the secret (in this answer only) of the decimal UNIX time, a dot and the body; refuse signatures older than a few minutes. Anything but a 2xx is retried 30 s later, then at doubling intervals up to 4 h, for three days; a subscription that gives up on an event with nothing delivered since is disabled and the owner emailed. At most 20 an account. With \"format\": \"slack\" the address is a Slack incoming webhook: call.missed, voicemail.created and message.received are posted as Slack messages ({\"text\"}), unsigned; \"number\" limits a subscription to events about one of the account's numbers.", nil, WebhookRequest{}, 201, WebhookInfo{}},
	"GET /v1/webhooks":                                    {"The account's webhook subscriptions, with whether each is disabled or failing (since when); never their secrets.", nil, nil, 200, []WebhookInfo{}},
	"DELETE /v1/webhooks/{id}":                            {"End a subscription; its deliveries go with it.", nil, nil, 204, nil},
	"GET /v1/webhooks/{id}/deliveries":                    {"A subscription's deliveries, newest first, each with every attempt (when, the receiver's status, the error, how long it took).", []string{"limit: 1-500 (default 50)"}, nil, 200, []DeliveryInfo{}},
	"POST /v1/webhooks/{id}/deliveries/{delivery}/replay": {"Send a delivery again, now (the same event ID).", nil, nil, 202, nil},
}

var pathParamRE = regexp.MustCompile(`\{([a-z]+)\}`)

// OpenAPI builds the API's OpenAPI 3.1 document from its routes.
func (s *Server) OpenAPI() ([]byte, error) {
	paths := map[string]map[string]any{}
	schemas := map[string]any{}
	for _, rt := range s.routes {
		key := rt.Method + " " + rt.Path
		o, ok := ops[key]
		if !ok {
			o = op{summary: "(undocumented)", status: 200}
		}
		m := map[string]any{"summary": o.summary, "operationId": operationID(rt)}
		var params []any
		for _, p := range pathParamRE.FindAllStringSubmatch(rt.Path, -1) {
			params = append(params, map[string]any{"name": p[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		for _, q := range o.query {
			name, desc, _ := strings.Cut(q, ": ")
			params = append(params, map[string]any{"name": name, "in": "query", "description": desc, "schema": map[string]any{"type": "string"}})
		}
		if params != nil {
			m["parameters"] = params
		}
		if rt.Public {
			m["security"] = []any{}
		} else if rt.Permission != "" {
			m["x-permission"] = string(rt.Permission)
		}
		if o.body != nil {
			m["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": schemaOf(reflect.TypeOf(o.body), schemas)}}}
		}
		ok200 := map[string]any{"description": http.StatusText(o.status)}
		if o.answer != nil {
			ok200["content"] = map[string]any{"application/json": map[string]any{"schema": schemaOf(reflect.TypeOf(o.answer), schemas)}}
		}
		responses := map[string]any{itoa(o.status): ok200, "4XX": map[string]any{"$ref": "#/components/responses/Error"}, "5XX": map[string]any{"$ref": "#/components/responses/Error"}}
		m["responses"] = responses
		if paths[rt.Path] == nil {
			paths[rt.Path] = map[string]any{}
		}
		paths[rt.Path][strings.ToLower(rt.Method)] = m
	}
	schemaOf(reflect.TypeOf(MessageQuoteInfo{}), schemas) // GET /v1/quote?type=sms's answer
	schemas["Error"] = map[string]any{"type": "object", "required": []string{"error"}, "properties": map[string]any{
		"error": map[string]any{"type": "object", "properties": map[string]any{
			"code": map[string]any{"type": "string"}, "message": map[string]any{"type": "string"}}}}}
	doc := map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "Tether account API", "version": "1",
			"description": "The switchboard's account API: sign-in, credits, auto top-up, numbers, IVR, team and roles, contacts, the audit log. " +
				"Money is a decimal string. Errors are {\"error\": {\"code\", \"message\"}} with a 4xx status. x-permission names the permission an endpoint needs."},
		"paths": paths,
		"components": map[string]any{
			"schemas":         schemas,
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}},
			"responses": map[string]any{"Error": map[string]any{"description": "refused", "content": map[string]any{
				"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}}},
		},
		"security": []any{map[string]any{"bearer": []any{}}},
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	return append(b, '\n'), err
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func operationID(rt Route) string {
	parts := []string{strings.ToLower(rt.Method)}
	for _, p := range strings.Split(strings.Trim(rt.Path, "/"), "/")[1:] {
		p = strings.Trim(p, "{}")
		p = strings.NewReplacer("-", " ", ".", " ").Replace(p)
		for _, w := range strings.Fields(p) {
			parts = append(parts, strings.ToUpper(w[:1])+w[1:])
		}
	}
	return strings.Join(parts, "")
}

var (
	timeType    = reflect.TypeOf(time.Time{})
	decimalType = reflect.TypeOf(decimal.Decimal{})
	permType    = reflect.TypeOf(team.Permission(""))
)

// schemaOf describes a Go type as a JSON schema, naming structs under
// components.
func schemaOf(t reflect.Type, schemas map[string]any) map[string]any {
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t == decimalType:
		return map[string]any{"type": "string", "format": "decimal"}
	case t == permType:
		var names []string
		for _, p := range team.AllPermissions {
			names = append(names, string(p))
		}
		return map[string]any{"type": "string", "enum": names}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return schemaOf(t.Elem(), schemas)
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int64, reflect.Int32:
		return map[string]any{"type": "integer"}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": schemaOf(t.Elem(), schemas)}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": schemaOf(t.Elem(), schemas)}
	case reflect.Struct:
		name := t.Name()
		if _, ok := schemas[name]; !ok {
			schemas[name] = map[string]any{} // a placeholder while recursing
			props := map[string]any{}
			addFields(t, props, schemas)
			schemas[name] = map[string]any{"type": "object", "properties": props}
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	return map[string]any{}
}

func addFields(t reflect.Type, props map[string]any, schemas map[string]any) {
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && tag == "" {
			addFields(f.Type, props, schemas)
			continue
		}
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		props[name] = schemaOf(f.Type, schemas)
	}
}
