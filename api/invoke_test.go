package api

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

const helloV1 = `log::info("hi " + ctx.event.name);
print("printed");
debug("debugged");
"v1:" + ctx.event.name`

const helloV2 = `let x = 1;
throw "boom " + x;`

// Deploy, invoke, see the invocation with its logs; roll back and the
// answer changes.
func TestDeployInvokeRollback(t *testing.T) {
	e := newEnv(t, envOptions{runtime: true})
	tok := e.admin
	if r := e.do(req{method: "POST", path: "/api/v1/apps", token: tok, body: map[string]any{"slug": "shop", "env": map[string]string{"REGION": "eu"}}}); r.code != 201 {
		t.Fatal(r)
	}
	base := "/api/v1/apps/shop/scripts/hello"
	if r := e.do(req{method: "PUT", path: base, token: tok, body: map[string]any{"source": helloV1}}); r.code != 201 {
		t.Fatal(r)
	}
	invoke := func(body map[string]any) resp {
		t.Helper()
		r := e.do(req{method: "POST", path: base + "/invoke", token: tok, body: body})
		if r.code != 200 {
			t.Fatalf("invoke: %s", r)
		}
		return r
	}

	r := invoke(map[string]any{"event": map[string]any{"name": "ada"}})
	logs, _ := r.body["logs"].([]any)
	if r.str("outcome") != "ok" || r.body["result"] != "v1:ada" || r.num("version") != 1 || r.num("fuel_used") <= 0 ||
		r.num("duration_us") <= 0 || r.body["error"] != nil || r.body["recorded"] != true || len(logs) != 3 {
		t.Fatalf("invoke v1: %s", r)
	}
	if l := logs[0].(map[string]any); l["level"] != "info" || l["message"] != "hi ada" {
		t.Fatalf("first log line: %v", l)
	}
	firstID := r.str("invocation_id")

	// The invocation is recorded like any other, with its logs; the app
	// keeps no debug() lines unless it asks for them.
	waitFor(t, "the invocation to be written", func() bool { return e.rec.Stats().Written >= 1 })
	r = e.do(req{method: "GET", path: "/api/v1/apps/shop/invocations/" + firstID, token: tok})
	logs, _ = r.body["logs"].([]any)
	if r.code != 200 || r.str("outcome") != "ok" || r.str("trigger_kind") != "manual" || r.str("script") != "hello" ||
		r.body["result"] != "v1:ada" || r.body["event"].(map[string]any)["name"] != "ada" || len(logs) != 2 ||
		logs[1].(map[string]any)["message"] != "printed" {
		t.Fatalf("recorded invocation: %s", r)
	}

	// Version 2 fails with a position; the invocation says so.
	if r := e.do(req{method: "PUT", path: base, token: tok, body: helloV2, contentType: "text/plain"}); r.code != 201 || r.num("version") != 2 {
		t.Fatal(r)
	}
	r = invoke(map[string]any{})
	rerr, _ := r.body["error"].(map[string]any)
	if r.str("outcome") != "error" || r.body["result"] != nil || rerr == nil || rerr["line"] != float64(2) ||
		rerr["column"] == nil || !strings.Contains(rerr["message"].(string), "boom 1") || rerr["kind"] != "ErrorRuntime" {
		t.Fatalf("invoke v2: %s", r)
	}
	// An explicit version runs that one.
	if r := invoke(map[string]any{"event": map[string]any{"name": "bob"}, "version": 1}); r.body["result"] != "v1:bob" {
		t.Fatalf("invoke version 1: %s", r)
	}
	problemCode(t, e.do(req{method: "POST", path: base + "/invoke", token: tok, body: map[string]any{"version": 7}}), 404, CodeVersionNotFound)

	// Rollback changes the answer.
	if r := e.do(req{method: "POST", path: base + "/versions/1/activate", token: tok}); r.code != 200 {
		t.Fatal(r)
	}
	if r := invoke(map[string]any{"event": map[string]any{"name": "cy"}}); r.str("outcome") != "ok" || r.body["result"] != "v1:cy" {
		t.Fatalf("after rollback: %s", r)
	}

	// The history, filtered and paged.
	waitFor(t, "four invocations to be written", func() bool { return e.rec.Stats().Written >= 4 })
	list := func(query string) []map[string]any {
		t.Helper()
		r := e.do(req{method: "GET", path: "/api/v1/apps/shop/invocations" + query, token: tok})
		if r.code != 200 {
			t.Fatalf("list %s: %s", query, r)
		}
		return r.items()
	}
	if got := list(""); len(got) != 4 || got[3]["id"] != firstID || got[0]["logs"] != nil {
		t.Fatalf("all, newest first: %v", got)
	}
	if got := list("?outcome=error"); len(got) != 1 || got[0]["error"].(map[string]any)["line"] != float64(2) {
		t.Fatalf("errors: %v", got)
	}
	if got := list("?script=hello&trigger_kind=manual&since=1h"); len(got) != 4 {
		t.Fatalf("script, kind, since: %v", got)
	}
	if got := list("?until=" + time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)); len(got) != 0 {
		t.Fatalf("until an hour ago: %v", got)
	}
	if got := list("?trigger_kind=http"); len(got) != 0 {
		t.Fatalf("http: %v", got)
	}
	var ids []string
	for q := "?limit=3"; ; {
		r := e.do(req{method: "GET", path: "/api/v1/apps/shop/invocations" + q, token: tok})
		for _, it := range r.items() {
			ids = append(ids, it["id"].(string))
		}
		if r.str("next_cursor") == "" {
			break
		}
		q = "?limit=3&cursor=" + r.str("next_cursor")
	}
	if len(ids) != 4 || ids[3] != firstID {
		t.Fatalf("paged ids %v", ids)
	}
	problemCode(t, e.do(req{method: "GET", path: "/api/v1/apps/shop/invocations?outcome=meh", token: tok}), 400, CodeInvalidField)
	problemCode(t, e.do(req{method: "GET", path: "/api/v1/apps/shop/invocations?since=yesterday", token: tok}), 400, CodeInvalidField)
	problemCode(t, e.do(req{method: "GET", path: "/api/v1/apps/shop/invocations?script=nosuch", token: tok}), 404, CodeScriptNotFound)
	problemCode(t, e.do(req{method: "GET", path: "/api/v1/apps/shop/invocations/not-a-uuid", token: tok}), 404, CodeInvocationNotFound)

	// Limits: an app's fuel ends a loop with its own outcome.
	if r := e.do(req{method: "PATCH", path: "/api/v1/apps/shop", token: tok, body: map[string]any{"limits": map[string]any{"fuel_per_invocation": 5000}}}); r.code != 200 {
		t.Fatal(r)
	}
	if r := e.do(req{method: "PUT", path: "/api/v1/apps/shop/scripts/spin", token: tok, body: map[string]any{"source": "let n = 0; loop { n += 1; }"}}); r.code != 201 {
		t.Fatal(r)
	}
	r = e.do(req{method: "POST", path: "/api/v1/apps/shop/scripts/spin/invoke", token: tok, body: map[string]any{}})
	if r.code != 200 || r.str("outcome") != "fuel_exhausted" || r.body["error"] == nil {
		t.Fatalf("spin: %s", r)
	}

	// A script with no active version cannot run.
	app, _ := e.st.Apps.GetBySlug(t.Context(), "shop")
	if _, err := e.st.Scripts.Insert(t.Context(), app.ID, "draft"); err != nil {
		t.Fatal(err)
	}
	problemCode(t, e.do(req{method: "POST", path: "/api/v1/apps/shop/scripts/draft/invoke", token: tok, body: map[string]any{}}), 409, CodeScriptNotDeployed)
	problemCode(t, e.do(req{method: "POST", path: "/api/v1/apps/shop/scripts/none/invoke", token: tok, body: map[string]any{}}), 404, CodeScriptNotFound)
	problemCode(t, e.do(req{method: "POST", path: base + "/invoke", token: tok, body: map[string]any{"evnt": 1}}), 400, CodeUnknownField)
	// No body at all runs the active version with the manual event.
	if r := e.do(req{method: "POST", path: base + "/invoke", token: tok}); r.code != 200 || r.str("outcome") != "ok" || r.body["result"] != "v1:" {
		t.Fatalf("invoke without a body: %s", r)
	}
}

// sse reads a text/event-stream.
type sse struct {
	t    *testing.T
	body *bufio.Reader
}

// next returns the next event (its name and data), skipping comments,
// and reports the comments it skipped.
func (s *sse) next() (event, data string, comments []string) {
	s.t.Helper()
	for {
		line, err := s.body.ReadString('\n')
		if err != nil {
			s.t.Fatalf("reading the stream: %v", err)
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "":
			if event != "" {
				return event, data, comments
			}
		case strings.HasPrefix(line, ":"):
			comments = append(comments, strings.TrimSpace(line[1:]))
		case strings.HasPrefix(line, "event: "):
			event = line[len("event: "):]
		case strings.HasPrefix(line, "data: "):
			data = line[len("data: "):]
		}
	}
}

func openStream(t *testing.T, ctx context.Context, url string) (*http.Response, *sse) {
	t.Helper()
	hr, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	res, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	return res, &sse{t: t, body: bufio.NewReader(res.Body)}
}

// The live tail streams each invocation as it is recorded, with heartbeats,
// and ends when the client goes away or the server shuts down.
func TestLiveTail(t *testing.T) {
	e := newEnv(t, envOptions{runtime: true, cfg: Config{Heartbeat: 20 * time.Millisecond}})
	tok := e.admin
	e.do(req{method: "POST", path: "/api/v1/apps", token: tok, body: map[string]any{"slug": "shop"}})
	e.do(req{method: "PUT", path: "/api/v1/apps/shop/scripts/hello", token: tok, body: map[string]any{"source": helloV1}})
	e.do(req{method: "PUT", path: "/api/v1/apps/shop/scripts/other", token: tok, body: map[string]any{"source": `"other"`}})

	problemCode(t, e.do(req{method: "GET", path: "/api/v1/apps/shop/invocations/stream?script=nosuch", token: tok}), 404, CodeScriptNotFound)
	reader := e.token("shop", "script:read")

	ctx, cancel := context.WithCancel(t.Context())
	// EventSource clients pass the token in the query.
	res, stream := openStream(t, ctx, e.http.URL+"/api/v1/apps/shop/invocations/stream?script=hello&access_token="+reader)
	defer res.Body.Close()

	e.do(req{method: "POST", path: "/api/v1/apps/shop/scripts/other/invoke", token: tok, body: map[string]any{}})
	r := e.do(req{method: "POST", path: "/api/v1/apps/shop/scripts/hello/invoke", token: tok, body: map[string]any{"event": map[string]any{"name": "ada"}}})
	event, data, _ := stream.next()
	var got invocationJSON
	if err := json.Unmarshal([]byte(data), &got); err != nil {
		t.Fatalf("event data %q: %v", data, err)
	}
	if event != "invocation" || got.ID.String() != r.str("invocation_id") || got.Script != "hello" || got.Outcome != "ok" ||
		len(got.Logs) != 2 || got.Logs[0].Message != "hi ada" {
		t.Fatalf("event %s %s; invoked %s", event, data, r)
	}
	// Idle: heartbeats.
	heartbeats := 0
	for heartbeats == 0 {
		line, err := stream.body.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if line == ": heartbeat\n" {
			heartbeats++
		}
	}
	// The client leaves: the handler ends (the server's Close would wait
	// for it otherwise, and goleak would see its goroutine).
	cancel()

	// The token goes in the header or the query; nowhere else.
	problemCode(t, e.do(req{method: "GET", path: "/api/v1/apps/shop/invocations?access_token=" + reader}), 401, CodeUnauthenticated)
}

// A server shutting down ends the live tails instead of waiting for them.
func TestLiveTailEndsAtShutdown(t *testing.T) {
	e := newEnv(t, envOptions{runtime: true, cfg: Config{ShutdownTimeout: time.Minute}})
	e.do(req{method: "POST", path: "/api/v1/apps", token: e.admin, body: map[string]any{"slug": "shop"}})
	admin, _ := net.Listen("tcp", "127.0.0.1:0")
	public, _ := net.Listen("tcp", "127.0.0.1:0")
	ctx, cancel := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() { served <- e.srv.Serve(ctx, admin, public) }()

	res, stream := openStream(t, t.Context(), "http://"+admin.Addr().String()+"/api/v1/apps/shop/invocations/stream?access_token="+e.admin)
	defer res.Body.Close()
	stream.body.ReadString('\n') // ": connected"
	start := time.Now()
	cancel()
	if err := <-served; err != nil {
		t.Fatalf("Serve = %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("shutdown took %v: the stream held it up", d)
	}
}
