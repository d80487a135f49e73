package api

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/picloud/picloud/egress"
	"github.com/picloud/picloud/secrets"
)

var testSecretBox = func() *secrets.Box {
	b, err := secrets.New(bytes.Repeat([]byte{42}, secrets.KeySize))
	if err != nil {
		panic(err)
	}
	return b
}()

// syncBuffer is a log sink the test can search.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Variables one at a time, and secrets: set, listed by name, replaced,
// deleted; the value is in no API response, no log line and no invocation
// record, and not in the database in clear.
func TestEnvAndSecrets(t *testing.T) {
	const secret = "sk_live_TOPSECRET_4242"
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e := newEnv(t, envOptions{runtime: true, cfg: Config{Logger: logger, Egress: &egress.Policy{AllowLoopback: true}}})
	tok := e.admin
	var bodies []string
	do := func(r req) resp {
		t.Helper()
		out := e.do(r)
		bodies = append(bodies, out.String())
		return out
	}
	if r := do(req{method: "POST", path: "/api/v1/apps", token: tok, body: map[string]any{"slug": "shop", "env": map[string]string{"A": "1"}}}); r.code != 201 {
		t.Fatal(r)
	}
	base := "/api/v1/apps/shop"

	// Variables.
	r := do(req{method: "PUT", path: base + "/env/REGION", token: tok, body: map[string]any{"value": "eu"}})
	if env, _ := r.body["env"].(map[string]any); r.code != 200 || env["REGION"] != "eu" || env["A"] != "1" {
		t.Fatalf("PUT env: %s", r)
	}
	problemCode(t, do(req{method: "PUT", path: base + "/env/9bad", token: tok, body: map[string]any{"value": "x"}}), 400, CodeInvalidField)
	problemCode(t, do(req{method: "PUT", path: base + "/env/X", token: tok, body: map[string]any{}}), 400, CodeInvalidField)
	if r := do(req{method: "DELETE", path: base + "/env/A", token: tok}); r.code != 204 {
		t.Fatal(r)
	}
	problemCode(t, do(req{method: "DELETE", path: base + "/env/A", token: tok}), 404, CodeNotFound)
	if r := do(req{method: "GET", path: base, token: tok}); fmt.Sprint(r.body["env"]) != "map[REGION:eu]" {
		t.Fatalf("env after PUT and DELETE: %s", r)
	}

	// Secrets.
	if r := do(req{method: "PUT", path: base + "/secrets/API_TOKEN", token: tok, body: map[string]any{"value": "first"}}); r.code != 201 || r.str("name") != "API_TOKEN" {
		t.Fatalf("PUT secret: %s", r)
	}
	if r := do(req{method: "PUT", path: base + "/secrets/API_TOKEN", token: tok, body: map[string]any{"value": secret}}); r.code != 200 {
		t.Fatalf("replace secret: %s", r)
	}
	if r := do(req{method: "PUT", path: base + "/secrets/REGION", token: tok, body: map[string]any{"value": "shadow"}}); r.code != 201 {
		t.Fatal(r)
	}
	r = do(req{method: "GET", path: base + "/secrets", token: tok})
	items, _ := r.body["items"].([]any)
	if r.code != 200 || len(items) != 2 || items[0].(map[string]any)["name"] != "API_TOKEN" {
		t.Fatalf("list secrets: %s", r)
	}
	problemCode(t, do(req{method: "PUT", path: base + "/secrets/no-dash", token: tok, body: map[string]any{"value": "x"}}), 400, CodeInvalidField)

	// Scripts see both as ctx.env; a secret shadows a variable. The script
	// logs the secret and returns it: logs and results are the script's
	// own doing, but the record of its outbound request never holds it.
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }))
	defer target.Close()
	src := `http::get("` + target.URL + `/?q=1", #{headers: #{"X-Token": ctx.env.API_TOKEN}}); [ctx.env.REGION, ctx.env.API_TOKEN.len()]`
	if r := do(req{method: "PUT", path: base + "/scripts/s", token: tok, body: map[string]any{"source": src}}); r.code != 201 {
		t.Fatal(r)
	}
	r = do(req{method: "POST", path: base + "/scripts/s/invoke", token: tok, body: map[string]any{}})
	if r.code != 200 || fmt.Sprint(r.body["result"]) != fmt.Sprintf("[shadow %d]", len(secret)) {
		t.Fatalf("invoke: %s", r)
	}
	id := r.str("invocation_id")
	waitFor(t, "the invocation to be written", func() bool { return e.rec.Stats().Written >= 1 })
	r = do(req{method: "GET", path: base + "/invocations/" + id, token: tok})
	if out, _ := r.body["outbound_requests"].([]any); r.code != 200 || len(out) != 1 {
		t.Fatalf("GET invocation: %s", r)
	}
	do(req{method: "GET", path: base + "/invocations", token: tok})
	do(req{method: "GET", path: base, token: tok})

	// Nowhere: API responses, logs, the database in clear (invocations,
	// their logs, apps, secrets).
	for _, b := range bodies {
		if strings.Contains(b, secret) {
			t.Fatalf("a response holds the secret: %s", b)
		}
	}
	if strings.Contains(logs.String(), secret) {
		t.Fatal("a log line holds the secret")
	}
	var n int
	err := e.pool.QueryRow(context.Background(), `
		SELECT (SELECT count(*) FROM invocations WHERE row_to_json(invocations)::text LIKE '%' || $1 || '%')
		     + (SELECT count(*) FROM invocation_logs WHERE message LIKE '%' || $1 || '%')
		     + (SELECT count(*) FROM apps WHERE row_to_json(apps)::text LIKE '%' || $1 || '%')
		     + (SELECT count(*) FROM app_secrets WHERE position(convert_to($1, 'UTF8') in sealed) > 0)`, secret).Scan(&n)
	if err != nil || n != 0 {
		t.Fatalf("the database holds the secret in clear in %d rows (%v)", n, err)
	}

	if r := do(req{method: "DELETE", path: base + "/secrets/API_TOKEN", token: tok}); r.code != 204 {
		t.Fatal(r)
	}
	problemCode(t, do(req{method: "DELETE", path: base + "/secrets/API_TOKEN", token: tok}), 404, CodeNotFound)
}

// ${secret:NAME} in an outbound header: the target receives the secret,
// the script never holds it, and a host off the allowlist is refused.
func TestSecretInjection(t *testing.T) {
	const secret = "sk_live_INJECTED_777"
	var mu sync.Mutex
	var got string
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = r.Header.Get("Authorization")
		mu.Unlock()
		fmt.Fprint(w, "ok")
	}))
	defer target.Close()
	e := newEnv(t, envOptions{runtime: true, cfg: Config{Egress: &egress.Policy{AllowLoopback: true}}})
	tok := e.admin
	base := "/api/v1/apps/shop"
	for _, r := range []req{
		{method: "POST", path: "/api/v1/apps", body: map[string]any{"slug": "shop"}},
		{method: "PUT", path: base + "/secrets/API_TOKEN", body: map[string]any{"value": secret}},
		{method: "PUT", path: base + "/scripts/call", body: map[string]any{"source": `let r = http::get("` + target.URL + `/", #{headers: #{"Authorization": "Bearer ${secret:API_TOKEN}"}}); r.body`}},
	} {
		r.token = tok
		if out := e.do(r); out.code >= 300 {
			t.Fatal(out)
		}
	}
	invoke := func() resp {
		r := e.do(req{method: "POST", path: base + "/scripts/call/invoke", token: tok, body: map[string]any{}})
		if r.code != 200 || strings.Contains(r.String(), secret) {
			t.Fatalf("invoke: %s", r)
		}
		return r
	}
	// No allowlist: refused.
	if r := invoke(); r.str("outcome") != "error" || !strings.Contains(r.String(), "blocked: secrets are injected only") {
		t.Fatalf("without an allowlist: %s", r)
	}
	if r := e.do(req{method: "PATCH", path: base, token: tok, body: map[string]any{"egress": map[string]any{"allowlist": []string{"127.0.0.1"}}}}); r.code != 200 {
		t.Fatal(r)
	}
	if r := invoke(); r.str("outcome") != "ok" || r.body["result"] != "ok" {
		t.Fatalf("allowlisted: %s", r)
	}
	mu.Lock()
	defer mu.Unlock()
	if got != "Bearer "+secret {
		t.Fatalf("the target saw Authorization %q", got)
	}
}
