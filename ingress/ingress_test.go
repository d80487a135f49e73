package ingress_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/goleak"

	"github.com/picloud/picloud/db/dbtest"
	"github.com/picloud/picloud/db/listen"
	"github.com/picloud/picloud/db/store"
	"github.com/picloud/picloud/ingress"
	"github.com/picloud/picloud/record"
	"github.com/picloud/picloud/runtime"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(dbtest.Wrap(m)) }

// server is the public listener wired as picloud serve wires it: a
// database of its own, the sandbox, the recorder and the ingress handler
// behind a real HTTP server.
type server struct {
	t    testing.TB
	pool *pgxpool.Pool
	st   *store.Store
	url  string
	h    *ingress.Handler
	rec  *record.Recorder
	// reloads receives the app ids of every reload (nil: a full one).
	reloads chan []int64
}

// setup is what a test puts in the database before the server starts.
type setup func(t testing.TB, st *store.Store)

func newServer(t testing.TB, cfg ingress.Config, before setup) *server {
	t.Helper()
	pool := dbtest.Fresh(t)
	s := &server{t: t, pool: pool, st: store.New(pool), reloads: make(chan []int64, 100)}
	if before != nil {
		before(t, s.st)
	}
	host, err := runtime.New(context.Background(), runtime.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = host.Close(context.Background()) })
	s.rec, err = record.New(s.st.Invocations, record.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.rec.Close(context.Background()) })
	cfg.Store, cfg.Invoker, cfg.Recorder = s.st, host, s.rec
	cfg.Reloaded = func(ids []int64) { s.reloads <- ids }
	s.h, err = ingress.New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.h.Close)
	srv := httptest.NewServer(s.h)
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

// app creates an app with the given settings.
func app(t testing.TB, st *store.Store, a store.App) store.App {
	t.Helper()
	a, err := st.Apps.Insert(t.Context(), a)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// deploy uploads and activates a script, as the API's deploy does.
func deploy(t testing.TB, st *store.Store, appID int64, name, src string) store.Script {
	t.Helper()
	ctx := t.Context()
	sc, err := st.Scripts.GetByName(ctx, appID, name)
	if err != nil {
		if sc, err = st.Scripts.Insert(ctx, appID, name); err != nil {
			t.Fatal(err)
		}
	}
	v, err := st.Scripts.AddVersion(ctx, sc.ID, src)
	if err != nil {
		t.Fatal(err)
	}
	if sc, err = st.Scripts.Activate(ctx, sc.ID, v.Number); err != nil {
		t.Fatal(err)
	}
	return sc
}

func httpTrigger(t testing.TB, st *store.Store, sc store.Script, method, path string) store.Trigger {
	t.Helper()
	tr, err := st.Triggers.Insert(t.Context(), store.Trigger{
		AppID: sc.AppID, ScriptID: sc.ID, Kind: store.KindHTTP, Enabled: true,
		HTTP: &store.HTTPTrigger{Method: method, Path: path},
	})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// response is what a request got.
type response struct {
	status int
	header http.Header
	body   string
}

func (r response) problem(t *testing.T) map[string]any {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q, want application/problem+json (status %d, body %s)", ct, r.status, r.body)
	}
	var p map[string]any
	if err := json.Unmarshal([]byte(r.body), &p); err != nil {
		t.Fatalf("problem body %q: %v", r.body, err)
	}
	if p["status"] != float64(r.status) || p["code"] == "" || p["title"] == "" {
		t.Fatalf("problem %v does not match status %d", p, r.status)
	}
	return p
}

func (s *server) do(method, path, body string, header ...string) response {
	s.t.Helper()
	req, err := http.NewRequestWithContext(s.t.Context(), method, s.url+path, strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

func (s *server) get(path string) response {
	s.t.Helper()
	return s.do(http.MethodGet, path, "")
}

// A deployed script answers; its invocation and logs are recorded.
func TestDeployCallRecord(t *testing.T) {
	var a store.App
	var sc store.Script
	s := newServer(t, ingress.Config{}, func(t testing.TB, st *store.Store) {
		a = app(t, st, store.App{Slug: "shop"})
		sc = deploy(t, st, a.ID, "hello", `log::info("hi " + ctx.app); print("printed"); debug("hidden"); "Hello, world!"`)
	})
	r := s.get("/shop/hello")
	if r.status != 200 || r.body != "Hello, world!" || r.header.Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Fatalf("GET /shop/hello = %d %q %q", r.status, r.header.Get("Content-Type"), r.body)
	}
	if err := s.rec.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	invs, err := s.st.Invocations.List(t.Context(), store.InvocationFilter{AppID: a.ID, Limit: 10})
	if err != nil || len(invs) != 1 {
		t.Fatalf("invocations = %+v, %v; want 1", invs, err)
	}
	inv := invs[0]
	if inv.ScriptID != sc.ID || inv.Version != 1 || inv.TriggerKind != store.KindHTTP || inv.Outcome != store.OutcomeOK ||
		inv.FuelUsed == 0 || string(inv.Result) != `"Hello, world!"` {
		t.Fatalf("invocation = %+v", inv)
	}
	var ev struct {
		Kind string
		HTTP struct{ Method, Path string }
	}
	if err := json.Unmarshal(inv.Event, &ev); err != nil || ev.Kind != "http" || ev.HTTP.Method != "GET" || ev.HTTP.Path != "/hello" {
		t.Fatalf("recorded event %s (%v)", inv.Event, err)
	}
	logs, err := s.st.Invocations.Logs(t.Context(), inv.ID)
	if err != nil || len(logs) != 2 || logs[0].Message != "hi shop" || logs[1].Message != "printed" || logs[1].Level != "info" {
		t.Fatalf("logs = %+v, %v; want the info and the print line, not the debug one", logs, err)
	}
}

// The request reaches the script as ctx.event.http.
func TestEvent(t *testing.T) {
	s := newServer(t, ingress.Config{}, func(t testing.TB, st *store.Store) {
		a := app(t, st, store.App{Slug: "ev", Env: map[string]string{"REGION": "eu"}})
		sc := deploy(t, st, a.ID, "echo", `#{event: ctx.event, app: ctx.app, script: ctx.script, env: ctx.env, id: ctx.invocation_id}`)
		httpTrigger(t, st, sc, "POST", "/users/:id/files/*rest")
	})
	r := s.do("POST", "/ev/users/J%C3%B6rg/files/a/b.txt?q=1&q=2&x=y", `{"n": [1, 2]}`, "X-Test", "yes", "Content-Type", "application/json")
	if r.status != 200 || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("POST = %d %s %s", r.status, r.header.Get("Content-Type"), r.body)
	}
	var got struct {
		Event struct {
			Kind string `json:"kind"`
			HTTP struct {
				Method  string            `json:"method"`
				Path    string            `json:"path"`
				Params  map[string]string `json:"params"`
				Query   map[string]string `json:"query"`
				Headers map[string]string `json:"headers"`
				Body    string            `json:"body"`
				JSON    map[string][]int  `json:"json"`
			} `json:"http"`
		} `json:"event"`
		App, Script, ID string
		Env             map[string]string
	}
	if err := json.Unmarshal([]byte(r.body), &got); err != nil {
		t.Fatal(err)
	}
	e := got.Event.HTTP
	if got.Event.Kind != "http" || e.Method != "POST" || e.Path != "/users/Jörg/files/a/b.txt" {
		t.Fatalf("event = %+v", got.Event)
	}
	if e.Params["id"] != "Jörg" || e.Params["rest"] != "a/b.txt" || len(e.Params) != 2 {
		t.Fatalf("params = %v", e.Params)
	}
	if e.Query["q"] != "1" || e.Query["x"] != "y" {
		t.Fatalf("query = %v", e.Query)
	}
	if e.Headers["x-test"] != "yes" || e.Headers["content-type"] != "application/json" || !strings.HasPrefix(e.Headers["host"], "127.0.0.1:") {
		t.Fatalf("headers = %v", e.Headers)
	}
	if e.Body != `{"n": [1, 2]}` || !slices.Equal(e.JSON["n"], []int{1, 2}) {
		t.Fatalf("body %q, json %v", e.Body, e.JSON)
	}
	if got.App != "ev" || got.Script != "echo" || got.Env["REGION"] != "eu" || len(got.ID) != 36 {
		t.Fatalf("ctx = %+v", got)
	}

	// A body that is not JSON has no json.
	r = s.do("POST", "/ev/users/1/files/", "plain text")
	if strings.Contains(r.body, `"json"`) || !strings.Contains(r.body, `"body":"plain text"`) {
		t.Fatalf("plain body: %s", r.body)
	}
}

// The most specific route wins; methods and ANY; a script without a trigger
// answers at /{app}/{script}.
func TestRouting(t *testing.T) {
	s := newServer(t, ingress.Config{}, func(t testing.TB, st *store.Store) {
		a := app(t, st, store.App{Slug: "r"})
		for _, rt := range []struct{ name, method, path string }{
			{"user", "GET", "/users/:id"},
			{"me", "GET", "/users/me"},
			{"create", "POST", "/users"},
			{"anyuser", "ANY", "/users/:id"},
			{"files", "GET", "/files/*path"},
			{"fallback", "ANY", "/*rest"},
		} {
			sc := deploy(t, st, a.ID, rt.name, `ctx.script`)
			httpTrigger(t, st, sc, rt.method, rt.path)
		}
		deploy(t, st, a.ID, "plain", `ctx.script`) // no trigger
		cron := deploy(t, st, a.ID, "cronjob", `ctx.script`)
		if _, err := st.Triggers.Insert(t.Context(), store.Trigger{AppID: a.ID, ScriptID: cron.ID, Kind: store.KindCron, Enabled: true,
			Cron: &store.CronTrigger{Schedule: "@hourly"}}); err != nil {
			t.Fatal(err)
		}
		b := app(t, st, store.App{Slug: "b"})
		sc := deploy(t, st, b.ID, "only", `ctx.script`)
		httpTrigger(t, st, sc, "GET", "/only")
	})
	for _, c := range []struct{ method, path, want string }{
		{"GET", "/r/users/42", "user"},
		{"GET", "/r/users/me", "me"},
		{"HEAD", "/r/users/me", ""},
		{"DELETE", "/r/users/42", "anyuser"},
		{"POST", "/r/users", "create"},
		{"GET", "/r/users", "fallback"},
		{"GET", "/r/files/a/b/c", "files"},
		{"GET", "/r/files", "files"},
		{"GET", "/r/plain", "plain"}, // a literal beats the catch-all
		{"GET", "/r/", "fallback"},
		{"GET", "/r", "fallback"},
		{"PUT", "/b/only", ""},
	} {
		r := s.do(c.method, c.path, "")
		if c.want == "" {
			continue
		}
		if r.status != 200 || r.body != c.want {
			t.Errorf("%s %s = %d %q, want %q", c.method, c.path, r.status, r.body, c.want)
		}
	}
	if r := s.do("GET", "/b/plain", ""); r.status != 404 || r.problem(t)["code"] != ingress.CodeNotFound {
		t.Errorf("GET /b/plain = %d %s", r.status, r.body)
	}
	r := s.do("PUT", "/b/only", "")
	if r.status != 405 || r.header.Get("Allow") != "GET, HEAD" || r.problem(t)["code"] != ingress.CodeMethodNotAllowed {
		t.Errorf("PUT /b/only = %d Allow %q %s", r.status, r.header.Get("Allow"), r.body)
	}
	if r := s.get("/nope/x"); r.status != 404 || r.problem(t)["code"] != ingress.CodeNotFound {
		t.Errorf("GET /nope/x = %d %s", r.status, r.body)
	}
	if r := s.get("/"); r.status != 404 {
		t.Errorf("GET / = %d %s", r.status, r.body)
	}
}

// The default route of a script with no trigger, and a script with a cron
// trigger only gets none.
func TestDefaultRoute(t *testing.T) {
	s := newServer(t, ingress.Config{}, func(t testing.TB, st *store.Store) {
		a := app(t, st, store.App{Slug: "d"})
		deploy(t, st, a.ID, "plain", `ctx.event.http.method`)
		cron := deploy(t, st, a.ID, "cronjob", `1`)
		if _, err := st.Triggers.Insert(t.Context(), store.Trigger{AppID: a.ID, ScriptID: cron.ID, Kind: store.KindCron, Enabled: true,
			Cron: &store.CronTrigger{Schedule: "@hourly"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Scripts.Insert(t.Context(), a.ID, "undeployed"); err != nil {
			t.Fatal(err)
		}
	})
	for _, m := range []string{"GET", "POST", "DELETE"} {
		if r := s.do(m, "/d/plain", ""); r.status != 200 || r.body != m {
			t.Errorf("%s /d/plain = %d %q", m, r.status, r.body)
		}
	}
	for _, p := range []string{"/d/cronjob", "/d/undeployed", "/d/plain/x"} {
		if r := s.get(p); r.status != 404 {
			t.Errorf("GET %s = %d %s, want 404", p, r.status, r.body)
		}
	}
}

// The script's value becomes the response.
func TestResponses(t *testing.T) {
	s := newServer(t, ingress.Config{}, func(t testing.TB, st *store.Store) {
		a := app(t, st, store.App{Slug: "resp"})
		for name, src := range map[string]string{
			"text":     `"plain"`,
			"number":   `42`,
			"unit":     `()`,
			"object":   `#{name: "x", list: [1, 2]}`,
			"full":     `#{status: 201, headers: #{"X-A": "b", "Cache-Control": "no-store"}, body: #{ok: true}}`,
			"strbody":  `#{status: 202, body: "<p>hi</p>", headers: #{"content-type": "text/html"}}`,
			"status":   `#{status: 204}`,
			"redirect": `#{status: 302, headers: #{location: "/resp/text"}}`,
			"badstat":  `#{status: 99}`,
			"badhdr":   `#{headers: #{"bad header": "x"}}`,
			"crlf":     `#{headers: #{"x-a": "a\r\nb: c"}}`,
			"big":      `let s = "x"; for i in 0..12 { s += s; } s`,
		} {
			deploy(t, st, a.ID, name, src)
		}
	})
	for _, c := range []struct {
		path, status, ctype, body string
	}{
		{"/resp/text", "200", "text/plain; charset=utf-8", "plain"},
		{"/resp/number", "200", "application/json", "42"},
		{"/resp/unit", "200", "application/json", "null"},
		{"/resp/object", "200", "application/json", `{"list":[1,2],"name":"x"}`},
		{"/resp/full", "201", "application/json", `{"ok":true}`},
		{"/resp/strbody", "202", "text/html", "<p>hi</p>"},
		{"/resp/status", "204", "", ""},
	} {
		r := s.get(c.path)
		if got := []string{http.StatusText(r.status), r.header.Get("Content-Type"), r.body}; got[0] != http.StatusText(atoi(c.status)) || got[1] != c.ctype || got[2] != c.body {
			t.Errorf("GET %s = %d %q %q, want %s %q %q", c.path, r.status, got[1], got[2], c.status, c.ctype, c.body)
		}
	}
	if r := s.get("/resp/full"); r.header.Get("X-A") != "b" || r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("headers = %v", r.header)
	}
	req, _ := http.NewRequest("GET", s.url+"/resp/redirect", nil)
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 302 || resp.Header.Get("Location") != "/resp/text" {
		t.Errorf("redirect = %d %v", resp.StatusCode, resp.Header)
	}
	for _, p := range []string{"/resp/badstat", "/resp/badhdr", "/resp/crlf"} {
		r := s.get(p)
		if r.status != 500 || r.problem(t)["code"] != ingress.CodeInvalidResponse || r.header.Get("X-A") != "" {
			t.Errorf("GET %s = %d %v %s", p, r.status, r.header, r.body)
		}
	}
	_ = s.get("/resp/big") // 4 KiB: within the default limit
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

// Bodies over the app's limit are refused, requests and responses alike.
func TestBodyLimits(t *testing.T) {
	s := newServer(t, ingress.Config{}, func(t testing.TB, st *store.Store) {
		a := app(t, st, store.App{Slug: "lim", Limits: store.Limits{MaxBodyBytes: 100}})
		deploy(t, st, a.ID, "echo", `ctx.event.http.body`)
		deploy(t, st, a.ID, "big", `let s = "x"; for i in 0..8 { s += s; } s`)
	})
	if r := s.do("POST", "/lim/echo", strings.Repeat("a", 100)); r.status != 200 || len(r.body) != 100 {
		t.Fatalf("100 bytes: %d %q", r.status, r.body)
	}
	r := s.do("POST", "/lim/echo", strings.Repeat("a", 101))
	if r.status != 413 || r.problem(t)["code"] != ingress.CodeBodyTooLarge {
		t.Fatalf("101 bytes: %d %s", r.status, r.body)
	}
	// Without a Content-Length the limit holds too.
	req, _ := http.NewRequest("POST", s.url+"/lim/echo", io.MultiReader(strings.NewReader(strings.Repeat("a", 60)), strings.NewReader(strings.Repeat("b", 60))))
	req.ContentLength = -1
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 413 {
		t.Fatalf("chunked 120 bytes: %d", resp.StatusCode)
	}
	if r := s.get("/lim/big"); r.status != 500 || r.problem(t)["code"] != ingress.CodeResponseTooLarge {
		t.Fatalf("256-byte response: %d %s", r.status, r.body)
	}
}

// Limit outcomes and script errors become problem documents; the error's
// position shows only with the app's debug output on.
func TestFailures(t *testing.T) {
	s := newServer(t, ingress.Config{}, func(t testing.TB, st *store.Store) {
		quiet := app(t, st, store.App{Slug: "quiet", Limits: store.Limits{FuelPerInvocation: 10_000}})
		loud := app(t, st, store.App{Slug: "loud", DebugOutput: true, Limits: store.Limits{MemoryPages: 256}})
		slow := app(t, st, store.App{Slug: "slow", Limits: store.Limits{FuelPerInvocation: 1 << 50, TimeoutMS: 50}})
		for _, a := range []store.App{quiet, loud, slow} {
			deploy(t, st, a.ID, "loop", `loop {}`)
			deploy(t, st, a.ID, "boom", "let x = 1;\nthrow \"boom \" + x;")
			deploy(t, st, a.ID, "hog", `let a = []; loop { a.push("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" + a.len()); }`)
		}
	})
	check := func(path string, status int, code string, detail ...string) {
		t.Helper()
		r := s.get(path)
		if r.status != status {
			t.Errorf("GET %s = %d %s, want %d", path, r.status, r.body, status)
			return
		}
		p := r.problem(t)
		if p["code"] != code || p["invocation_id"] == nil {
			t.Errorf("GET %s: problem %v, want code %s and an invocation_id", path, p, code)
		}
		for _, d := range detail {
			has := strings.Contains(p["detail"].(string), strings.TrimPrefix(d, "!"))
			if has == strings.HasPrefix(d, "!") {
				t.Errorf("GET %s: detail %q, want %s", path, p["detail"], d)
			}
		}
	}
	check("/quiet/loop", 503, ingress.CodeFuelExhausted, "!1:1")
	check("/quiet/boom", 500, ingress.CodeScriptError, "!boom", "!2:")
	check("/loud/boom", 500, ingress.CodeScriptError, "boom 1", "2:1")
	check("/loud/hog", 503, ingress.CodeMemoryExceeded)
	check("/slow/loop", 504, ingress.CodeTimeout)

	if err := s.rec.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	for slug, want := range map[string][]store.Outcome{
		"quiet": {store.OutcomeError, store.OutcomeFuelExhausted},
		"loud":  {store.OutcomeMemoryExceeded, store.OutcomeError},
		"slow":  {store.OutcomeTimeout},
	} {
		a, err := s.st.Apps.GetBySlug(t.Context(), slug)
		if err != nil {
			t.Fatal(err)
		}
		invs, err := s.st.Invocations.List(t.Context(), store.InvocationFilter{AppID: a.ID, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		var got []store.Outcome
		for _, inv := range invs {
			got = append(got, inv.Outcome)
			if inv.Outcome == store.OutcomeError && (inv.ErrorLine != 2 || !strings.Contains(inv.Error, "boom")) {
				t.Errorf("%s: recorded error %q at %d:%d", slug, inv.Error, inv.ErrorLine, inv.ErrorColumn)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: recorded outcomes %v, want %v (newest first)", slug, got, want)
		}
	}
}

// A route change made through the API's path (a transaction that notifies
// store.RoutesChannel) reaches the table through LISTEN/NOTIFY.
func TestRouteChangeNotified(t *testing.T) {
	var a store.App
	var sc store.Script
	s := newServer(t, ingress.Config{Resync: time.Hour}, func(t testing.TB, st *store.Store) {
		a = app(t, st, store.App{Slug: "live"})
		sc = deploy(t, st, a.ID, "main", `"v1"`)
	})
	l, err := listen.Start(s.pool.Config().ConnConfig, listen.Config{}, listen.Handler{Channel: store.RoutesChannel, Notify: s.h.Changed, Resync: s.h.Resync})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	<-l.Ready()
	s.awaitReload(0) // the full reload after connecting

	if r := s.get("/live/main"); r.body != "v1" {
		t.Fatalf("before: %d %q", r.status, r.body)
	}
	change := func(fn func(st *store.Store) error) {
		t.Helper()
		err := s.st.InTx(t.Context(), func(st *store.Store) error {
			if err := fn(st); err != nil {
				return err
			}
			return st.NotifyRoutes(t.Context(), a.ID)
		})
		if err != nil {
			t.Fatal(err)
		}
		s.awaitReload(a.ID)
	}
	// A new version.
	change(func(st *store.Store) error {
		v, err := st.Scripts.AddVersion(t.Context(), sc.ID, `"v2"`)
		if err == nil {
			_, err = st.Scripts.Activate(t.Context(), sc.ID, v.Number)
		}
		return err
	})
	if r := s.get("/live/main"); r.body != "v2" {
		t.Fatalf("after a new version: %d %q", r.status, r.body)
	}
	// A trigger replaces the default route.
	var tr store.Trigger
	change(func(st *store.Store) (err error) {
		tr, err = st.Triggers.Insert(t.Context(), store.Trigger{AppID: a.ID, ScriptID: sc.ID, Kind: store.KindHTTP, Enabled: true,
			HTTP: &store.HTTPTrigger{Method: "GET", Path: "/hello/:who"}})
		return err
	})
	if r := s.get("/live/hello/you"); r.body != "v2" {
		t.Fatalf("after adding a trigger: %d %q", r.status, r.body)
	}
	if r := s.get("/live/main"); r.status != 404 {
		t.Fatalf("the default route outlived the new trigger: %d %q", r.status, r.body)
	}
	// Disabled, then the app's limits change and it is deleted.
	change(func(st *store.Store) error { return st.Triggers.SetEnabled(t.Context(), tr.ID, false) })
	if r := s.get("/live/hello/you"); r.status != 404 {
		t.Fatalf("after disabling: %d %q", r.status, r.body)
	}
	change(func(st *store.Store) error { return st.Apps.Delete(t.Context(), a.ID) })
	if r := s.get("/live/main"); r.status != 404 || r.problem(t)["code"] != ingress.CodeNotFound {
		t.Fatalf("after deleting the app: %d %q", r.status, r.body)
	}

	// An app deleted and another made with its slug, in one reload: the new
	// one serves, whatever order the reload takes them in.
	for i := range 3 {
		old := a
		change(func(st *store.Store) error {
			if i > 0 {
				if err := st.Apps.Delete(t.Context(), old.ID); err != nil {
					return err
				}
				if err := st.NotifyRoutes(t.Context(), old.ID); err != nil {
					return err
				}
			}
			var err error
			if a, err = st.Apps.Insert(t.Context(), store.App{Slug: "live"}); err != nil {
				return err
			}
			sc, err := st.Scripts.Insert(t.Context(), a.ID, "main")
			if err != nil {
				return err
			}
			v, err := st.Scripts.AddVersion(t.Context(), sc.ID, fmt.Sprintf(`"new %d"`, i))
			if err == nil {
				_, err = st.Scripts.Activate(t.Context(), sc.ID, v.Number)
			}
			return err
		})
		if r := s.get("/live/main"); r.body != fmt.Sprintf("new %d", i) {
			t.Fatalf("after replacing the app (%d): %d %q", i, r.status, r.body)
		}
	}
}

// awaitReload waits for a reload that covers app id: its own, or a full
// one. A route change must reach the table within a second.
func (s *server) awaitReload(id int64) {
	s.t.Helper()
	deadline := time.After(time.Second)
	for {
		select {
		case ids := <-s.reloads:
			if ids == nil || slices.Contains(ids, id) {
				return
			}
		case <-deadline:
			s.t.Fatalf("app %d was not reloaded within a second of the notification", id)
		}
	}
}
