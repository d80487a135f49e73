package api

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/picloud/picloud/egress"
)

// The app's egress settings through create, PATCH and GET; a script's
// outbound requests recorded with its invocation. The target is a loopback
// httptest server, reached through the test-only policy that allows
// loopback.
func TestEgressSettingsAndRecord(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"ok": true}`)
	}))
	defer target.Close()
	e := newEnv(t, envOptions{runtime: true, cfg: Config{Egress: &egress.Policy{AllowLoopback: true}}})
	tok := e.admin

	r := e.do(req{method: "POST", path: "/api/v1/apps", token: tok, body: map[string]any{"slug": "shop"}})
	if r.code != 201 {
		t.Fatal(r)
	}
	eg, _ := r.body["egress"].(map[string]any)
	if al, _ := eg["allowlist"].([]any); eg == nil || len(al) != 0 || eg["allow_private"] != false {
		t.Fatalf("a new app's egress: %v", r.body["egress"])
	}
	r = e.do(req{method: "PATCH", path: "/api/v1/apps/shop", token: tok, body: map[string]any{
		"egress": map[string]any{"allowlist": []string{"127.0.0.1", "*.example.com"}, "allow_private": true}}})
	eg, _ = r.body["egress"].(map[string]any)
	if r.code != 200 || fmt.Sprint(eg["allowlist"]) != "[127.0.0.1 *.example.com]" || eg["allow_private"] != true {
		t.Fatalf("PATCH egress: %s", r)
	}
	// A PATCH without the allowlist keeps it.
	r = e.do(req{method: "PATCH", path: "/api/v1/apps/shop", token: tok, body: map[string]any{"egress": map[string]any{"allow_private": false}}})
	eg, _ = r.body["egress"].(map[string]any)
	if r.code != 200 || fmt.Sprint(eg["allowlist"]) != "[127.0.0.1 *.example.com]" || eg["allow_private"] != false {
		t.Fatalf("PATCH allow_private: %s", r)
	}
	for _, bad := range []string{"", "http://x.example.com/", "a b", "*."} {
		problemCode(t, e.do(req{method: "PATCH", path: "/api/v1/apps/shop", token: tok, body: map[string]any{
			"egress": map[string]any{"allowlist": []string{bad}}}}), 400, CodeInvalidField)
	}

	src := `let r = http::get("` + target.URL + `/x"); let out = ""; try { http::get("http://10.0.0.1/"); } catch (err) { out = err } [r.json.ok, out]`
	base := "/api/v1/apps/shop/scripts/call"
	if r := e.do(req{method: "PUT", path: base, token: tok, body: map[string]any{"source": src}}); r.code != 201 {
		t.Fatal(r)
	}
	r = e.do(req{method: "POST", path: base + "/invoke", token: tok, body: map[string]any{}})
	res, _ := r.body["result"].([]any)
	if r.code != 200 || len(res) != 2 || res[0] != true || !strings.HasPrefix(fmt.Sprint(res[1]), "blocked: ") {
		t.Fatalf("invoke: %s", r)
	}
	id := r.str("invocation_id")
	waitFor(t, "the invocation to be written", func() bool { return e.rec.Stats().Written >= 1 })
	r = e.do(req{method: "GET", path: "/api/v1/apps/shop/invocations/" + id, token: tok})
	out, _ := r.body["outbound_requests"].([]any)
	if r.code != 200 || len(out) != 2 {
		t.Fatalf("GET invocation: %s", r)
	}
	first, second := out[0].(map[string]any), out[1].(map[string]any)
	if first["method"] != "GET" || first["host"] != "127.0.0.1" || first["status"] != float64(200) || first["bytes"] != float64(12) ||
		second["host"] != "10.0.0.1" || second["error"] != "blocked" {
		t.Fatalf("outbound_requests: %v", out)
	}
}
