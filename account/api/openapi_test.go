package api_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite openapi.json from the routes")

// TestOpenAPI: the checked-in document is the one the routes generate,
// documents every endpoint, and is what the server serves.
func TestOpenAPI(t *testing.T) {
	e := newEnv(t)
	got, err := e.api.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile("openapi.json", got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("openapi.json is out of date: run go test ./account/api -run OpenAPI -update")
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(want, &doc); err != nil || doc.OpenAPI != "3.1.0" {
		t.Fatalf("not an OpenAPI 3.1 document: %v", err)
	}
	for _, rt := range e.api.Routes() {
		op, ok := doc.Paths[rt.Path][strings.ToLower(rt.Method)]
		if !ok {
			t.Errorf("%s %s is not documented", rt.Method, rt.Path)
			continue
		}
		if strings.Contains(string(op), "(undocumented)") {
			t.Errorf("%s %s has no summary", rt.Method, rt.Path)
		}
		if rt.Permission != "" && !strings.Contains(string(op), `"x-permission": "`+string(rt.Permission)+`"`) {
			t.Errorf("%s %s does not name its permission", rt.Method, rt.Path)
		}
	}
	status, _, served := e.do("", "GET", "/v1/openapi.json", "")
	if status != 200 || !bytes.Equal(served, want) {
		t.Errorf("GET /v1/openapi.json: %d, %d bytes (want the checked-in %d)", status, len(served), len(want))
	}
}
