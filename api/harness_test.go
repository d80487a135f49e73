package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/picloud/picloud/auth"
	"github.com/picloud/picloud/db/dbtest"
	"github.com/picloud/picloud/db/store"
	"github.com/picloud/picloud/record"
	"github.com/picloud/picloud/runtime"
	"github.com/picloud/picloud/secrets"
)

// testPublicURL is the public listener's URL in the tests' responses.
const testPublicURL = "https://fn.example.test"

// env is a Server on a database of the test's own, served over real HTTP,
// with an admin token.
type env struct {
	t     *testing.T
	srv   *Server
	http  *httptest.Server
	st    *store.Store
	pool  *pgxpool.Pool
	admin string // the bootstrap admin token's secret
	// rec is the recorder, when the env runs scripts.
	rec *record.Recorder
}

type envOptions struct {
	// runtime gives the Server a sandbox and a recorder.
	runtime bool
	cfg     Config
}

func newEnv(t *testing.T, opts envOptions) *env {
	t.Helper()
	ctx := t.Context()
	pool := dbtest.Fresh(t)
	st := store.New(pool)
	e := &env{t: t, st: st, pool: pool}
	cfg := opts.cfg
	cfg.Store = st
	if cfg.PublicURL == "" {
		cfg.PublicURL = testPublicURL
	}
	if cfg.Secrets == nil {
		cfg.Secrets = testSecretBox
		cfg.SecretEnv = secrets.NewSource(testSecretBox, st.Secrets, time.Nanosecond)
	}
	if opts.runtime {
		h := newHost(t)
		rec, err := record.New(st.Invocations, record.Config{FlushInterval: 5 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := rec.Close(context.Background()); err != nil {
				t.Errorf("recorder Close: %v", err)
			}
		})
		e.rec = rec
		cfg.Invoker, cfg.Recorder, cfg.Tail = h, rec, rec
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	e.http = httptestServer(t, srv)
	secret, created, err := Bootstrap(ctx, st, "")
	if err != nil || !created {
		t.Fatalf("Bootstrap = %v, %v", created, err)
	}
	e.admin = secret
	return e
}

// httptestServer serves srv's admin listener until the test ends.
func httptestServer(t *testing.T, srv *Server) *httptest.Server {
	t.Helper()
	hs := httptest.NewServer(srv.Admin())
	t.Cleanup(hs.Close)
	return hs
}

// newHost is a sandbox for one test; the compilation cache in the user's
// cache directory makes every one after the first fast.
func newHost(t *testing.T) *runtime.Host {
	t.Helper()
	h, err := runtime.New(context.Background(), runtime.Config{})
	if err != nil {
		t.Fatalf("runtime.New: %v", err)
	}
	t.Cleanup(func() {
		if err := h.Close(context.Background()); err != nil {
			t.Errorf("runtime Close: %v", err)
		}
	})
	return h
}

// token stores a token with the given scopes, restricted to app when it is
// not "", and returns its secret.
func (e *env) token(app string, scopes ...auth.Scope) string {
	e.t.Helper()
	ctx := e.t.Context()
	secret := auth.NewSecret()
	tok := store.Token{Name: "test", Prefix: auth.DisplayPrefix(secret), Hash: secretHash(secret), Scopes: scopeNames(scopes)}
	if app != "" {
		a, err := e.st.Apps.GetBySlug(ctx, app)
		if err != nil {
			e.t.Fatal(err)
		}
		tok.AppID = a.ID
	}
	if _, err := e.st.Tokens.Insert(ctx, tok); err != nil {
		e.t.Fatal(err)
	}
	return secret
}

// resp is an answer.
type resp struct {
	code   int
	header http.Header
	raw    []byte
	body   map[string]any
}

// str is a member of the JSON body as a string ("" when absent).
func (r resp) str(key string) string {
	s, _ := r.body[key].(string)
	return s
}

func (r resp) num(key string) float64 {
	f, _ := r.body[key].(float64)
	return f
}

func (r resp) items() []map[string]any {
	raw, _ := r.body["items"].([]any)
	out := make([]map[string]any, len(raw))
	for i, it := range raw {
		out[i], _ = it.(map[string]any)
	}
	return out
}

func (r resp) String() string { return fmt.Sprintf("%d %s", r.code, r.raw) }

// req is a request to make. body is JSON-encoded unless it is a string or
// []byte, which go as they are.
type req struct {
	method, path string
	token        string
	body         any
	contentType  string
	header       map[string]string
}

// do makes the request and checks the answer against the OpenAPI document.
func (e *env) do(r req) resp {
	e.t.Helper()
	var body io.Reader
	ct := r.contentType
	switch b := r.body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	case []byte:
		body = bytes.NewReader(b)
	default:
		js, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		body = bytes.NewReader(js)
		if ct == "" {
			ct = "application/json"
		}
	}
	hr, err := http.NewRequestWithContext(e.t.Context(), r.method, e.http.URL+r.path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if ct != "" {
		hr.Header.Set("Content-Type", ct)
	}
	if r.token != "" {
		hr.Header.Set("Authorization", "Bearer "+r.token)
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(hr)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	out := resp{code: res.StatusCode, header: res.Header, raw: raw}
	_ = json.Unmarshal(raw, &out.body)
	if res.StatusCode >= 400 && res.StatusCode != http.StatusMethodNotAllowed {
		if got := res.Header.Get("Content-Type"); got != "application/problem+json" {
			e.t.Errorf("%s %s: %d with Content-Type %q, want application/problem+json", r.method, r.path, res.StatusCode, got)
		}
	}
	e.checkDocumented(hr, out)
	return out
}

// checkDocumented validates a response against the OpenAPI document.
func (e *env) checkDocumented(hr *http.Request, r resp) {
	e.t.Helper()
	if !strings.HasPrefix(hr.URL.Path, apiPrefix+"/") || r.code == http.StatusMethodNotAllowed {
		return
	}
	rt, params, ok := findOperation(e.srv.OpenAPI(), hr.Method, strings.TrimPrefix(hr.URL.EscapedPath(), apiPrefix))
	if !ok {
		if r.code != http.StatusNotFound {
			e.t.Errorf("%s %s answered %d but is not in the OpenAPI document", hr.Method, hr.URL.Path, r.code)
		}
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: hr, PathParams: params, Route: rt},
		Status:                 r.code,
		Header:                 r.header,
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	in.SetBodyBytes(r.raw)
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		e.t.Errorf("%s %s: the %d response does not match the OpenAPI document: %v\n%s", hr.Method, hr.URL.Path, r.code, err, r.raw)
	}
}

var templateParam = regexp.MustCompile(`\{[^}]+\}`)

// findOperation finds the documented operation for a path relative to the
// server URL, preferring the template with the most literal segments
// (/invocations/stream over /invocations/{id}).
func findOperation(doc *openapi3.T, method, path string) (*routers.Route, map[string]string, bool) {
	var best *routers.Route
	var bestParams map[string]string
	bestLiterals := -1
	segs := strings.Split(path, "/")
	for tmpl, item := range doc.Paths.Map() {
		op := item.GetOperation(method)
		if op == nil {
			continue
		}
		tsegs := strings.Split(tmpl, "/")
		if len(tsegs) != len(segs) {
			continue
		}
		params, literals, ok := map[string]string{}, 0, true
		for i, ts := range tsegs {
			if templateParam.MatchString(ts) {
				params[strings.Trim(ts, "{}")] = segs[i]
			} else if ts == segs[i] {
				literals++
			} else {
				ok = false
				break
			}
		}
		if ok && literals > bestLiterals {
			best = &routers.Route{Spec: doc, Path: tmpl, PathItem: item, Method: method, Operation: op}
			bestParams, bestLiterals = params, literals
		}
	}
	return best, bestParams, best != nil
}

// problemCode checks that r is a problem document with status and code.
func problemCode(t *testing.T, r resp, status int, code string) {
	t.Helper()
	if r.code != status || r.str("code") != code {
		t.Fatalf("got %s, want %d %s", r, status, code)
	}
}

// waitFor waits until cond holds, checking every few milliseconds, for
// things that happen on another goroutine with no signal to await (the
// recorder's batch writes).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}
