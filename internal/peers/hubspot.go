package peers

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// HubSpot is the tests' HubSpot: Stoplight Prism (npm, pinned in
// prism/package-lock.json) serving HubSpot's published OpenAPI
// descriptions of contacts, calls and communications (testdata/hubspot),
// one Prism per description behind a loopback proxy that routes by path as
// HubSpot's one address does. Prism validates every request against its
// description (security included: a Bearer token) and answers an invalid
// one with an error; answers are made up from the schemas. The proxy keeps
// every exchange, and can play HubSpot being down.
type HubSpot struct {
	URL string // the API's address, for HubSpot.API

	mu        sync.Mutex
	exchanges []Exchange
	down      bool
}

// Exchange is one request through the mock and its answer.
type Exchange struct {
	Method, Path string
	Auth         string
	Request      []byte
	Status       int
	Response     []byte
}

// prismDir is where Prism's npm packages are.
func prismDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "prism")
}

// StartPrism starts Prism mocking the OpenAPI description spec (answers
// made up from the schemas, the same for the same request: --seed; a
// request the description refuses is an error: --errors) and returns its
// address.
func StartPrism(t testing.TB, spec string) string {
	t.Helper()
	bin := filepath.Join(prismDir(), "node_modules", ".bin", "prism")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("Prism is not installed (make deps runs npm ci in internal/peers/prism): %v", err)
	}
	port := FreePort(t)
	cmd := command(bin, "mock", "-d", "--seed", "tether", "--errors", "-h", "127.0.0.1", "-p", fmt.Sprint(port), spec)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	ready := make(chan struct{})
	var tail bytes.Buffer
	var tailMu sync.Mutex
	go func() {
		re := regexp.MustCompile(`Prism is listening on`)
		sc := bufio.NewScanner(out)
		once := sync.Once{}
		for sc.Scan() {
			tailMu.Lock()
			if tail.Len() < 8<<10 {
				tail.WriteString(sc.Text() + "\n")
			}
			tailMu.Unlock()
			if re.MatchString(sc.Text()) {
				once.Do(func() { close(ready) })
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(90 * time.Second):
		tailMu.Lock()
		defer tailMu.Unlock()
		t.Fatalf("Prism did not start on %s within 90 s:\n%s", spec, tail.String())
	}
	return fmt.Sprintf("http://127.0.0.1:%d", port)
}

// hubspotSpecs are the descriptions by the path each serves.
var hubspotSpecs = map[string]string{
	"/crm/v3/objects/contacts":       "contacts.json",
	"/crm/v3/objects/calls":          "calls.json",
	"/crm/v3/objects/communications": "communications.json",
}

// StartHubSpot starts the mock HubSpot.
func StartHubSpot(t testing.TB) *HubSpot {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "testdata", "hubspot")
	type started struct {
		prefix string
		proxy  *httputil.ReverseProxy
	}
	var routes []started
	var wg sync.WaitGroup
	var mu sync.Mutex
	for prefix, spec := range hubspotSpecs {
		wg.Add(1)
		go func() { // (the three start at once: Node takes seconds each)
			defer wg.Done()
			u, _ := url.Parse(StartPrism(t, filepath.Join(dir, spec)))
			mu.Lock()
			routes = append(routes, started{prefix, httputil.NewSingleHostReverseProxy(u)})
			mu.Unlock()
		}()
	}
	wg.Wait()
	h := &HubSpot{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		x := Exchange{Method: r.Method, Path: r.URL.Path, Auth: r.Header.Get("Authorization"), Request: body}
		h.mu.Lock()
		down := h.down
		h.mu.Unlock()
		rec := httptest.NewRecorder()
		switch {
		case down:
			rec.WriteHeader(http.StatusServiceUnavailable)
			rec.WriteString(`{"status":"error","message":"down for the test","category":"SERVICE_UNAVAILABLE"}`)
		default:
			var route *started
			for i := range routes {
				if strings.HasPrefix(r.URL.Path, routes[i].prefix) {
					route = &routes[i]
				}
			}
			if route == nil {
				rec.WriteHeader(http.StatusNotFound)
				break
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			route.proxy.ServeHTTP(rec, r)
		}
		x.Status, x.Response = rec.Code, rec.Body.Bytes()
		h.mu.Lock()
		h.exchanges = append(h.exchanges, x)
		h.mu.Unlock()
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	}))
	t.Cleanup(srv.Close)
	h.URL = srv.URL
	return h
}

// Down has the mock answer 503 to everything (true) or pass requests to
// Prism again (false).
func (h *HubSpot) Down(down bool) {
	h.mu.Lock()
	h.down = down
	h.mu.Unlock()
}

// Exchanges are the requests so far, in order.
func (h *HubSpot) Exchanges() []Exchange {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Exchange(nil), h.exchanges...)
}
