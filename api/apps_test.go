package api

import (
	"net/http"
	"strings"
	"testing"
)

func TestApps(t *testing.T) {
	e := newEnv(t, envOptions{})
	tok := e.admin

	r := e.do(req{method: "POST", path: "/api/v1/apps", token: tok, body: map[string]any{
		"slug": "shop", "description": "the shop",
		"limits": map[string]any{"fuel_per_invocation": 1000000, "timeout_ms": 500},
		"env":    map[string]string{"REGION": "eu", "MODE": "test"},
	}})
	if r.code != http.StatusCreated || r.str("slug") != "shop" || r.header.Get("Location") != "/api/v1/apps/shop" {
		t.Fatalf("create: %s", r)
	}
	limits := r.body["limits"].(map[string]any)
	if limits["fuel_per_invocation"] != float64(1000000) || limits["timeout_ms"] != float64(500) || limits["memory_pages"] != float64(0) {
		t.Fatalf("limits: %v", limits)
	}

	// Slug errors point at the field.
	for _, bad := range []string{"", "Shop", "-shop", "shop-", strings.Repeat("a", 64), "a_b"} {
		r := e.do(req{method: "POST", path: "/api/v1/apps", token: tok, body: map[string]any{"slug": bad}})
		problemCode(t, r, 400, CodeInvalidField)
		errs, _ := r.body["errors"].([]any)
		if len(errs) != 1 || errs[0].(map[string]any)["pointer"] != "/slug" {
			t.Errorf("slug %q: errors %v, want one pointing at /slug", bad, r.body["errors"])
		}
	}
	problemCode(t, e.do(req{method: "POST", path: "/api/v1/apps", token: tok, body: map[string]any{"slug": "shop"}}), 409, CodeAppExists)
	r = e.do(req{method: "POST", path: "/api/v1/apps", token: tok, body: map[string]any{"slug": "neg", "limits": map[string]any{"timeout_ms": -1}}})
	problemCode(t, r, 400, CodeInvalidField)
	if errs := r.body["errors"].([]any); errs[0].(map[string]any)["pointer"] != "/limits/timeout_ms" {
		t.Fatalf("negative limit: %s", r)
	}
	problemCode(t, e.do(req{method: "POST", path: "/api/v1/apps", token: tok, body: map[string]any{"slug": "e", "env": map[string]string{"1X": "v"}}}), 400, CodeInvalidField)

	// Update: limits change member by member, env is merged.
	r = e.do(req{method: "PATCH", path: "/api/v1/apps/shop", token: tok, body: map[string]any{
		"limits": map[string]any{"memory_pages": 256},
		"env":    map[string]any{"MODE": nil, "NEW": "1"},
	}})
	if r.code != 200 {
		t.Fatalf("patch: %s", r)
	}
	limits = r.body["limits"].(map[string]any)
	env := r.body["env"].(map[string]any)
	if limits["memory_pages"] != float64(256) || limits["timeout_ms"] != float64(500) || r.str("description") != "the shop" ||
		len(env) != 2 || env["REGION"] != "eu" || env["NEW"] != "1" {
		t.Fatalf("patched: %s", r)
	}
	problemCode(t, e.do(req{method: "PATCH", path: "/api/v1/apps/shop", token: tok, body: map[string]any{"limits": map[string]any{"memory_pages": 70000}}}), 400, CodeInvalidField)
	if r := e.do(req{method: "GET", path: "/api/v1/apps/shop", token: tok}); r.code != 200 || r.body["limits"].(map[string]any)["memory_pages"] != float64(256) {
		t.Fatalf("a rejected patch changed the app: %s", r)
	}

	// Pages.
	for _, slug := range []string{"b", "c", "d"} {
		if r := e.do(req{method: "POST", path: "/api/v1/apps", token: tok, body: map[string]any{"slug": slug}}); r.code != 201 {
			t.Fatal(r)
		}
	}
	var slugs []string
	path := "/api/v1/apps?limit=3"
	for pages := 0; ; pages++ {
		r := e.do(req{method: "GET", path: path, token: tok})
		if r.code != 200 || pages > 3 {
			t.Fatalf("list: %s", r)
		}
		for _, it := range r.items() {
			slugs = append(slugs, it["slug"].(string))
		}
		next := r.str("next_cursor")
		if next == "" {
			break
		}
		path = "/api/v1/apps?limit=3&cursor=" + next
	}
	if strings.Join(slugs, ",") != "b,c,d,shop" {
		t.Fatalf("listed %v, want b c d shop", slugs)
	}
	problemCode(t, e.do(req{method: "GET", path: "/api/v1/apps?cursor=garbage", token: tok}), 400, CodeInvalidCursor)
	problemCode(t, e.do(req{method: "GET", path: "/api/v1/apps?limit=0", token: tok}), 400, CodeInvalidField)

	if r := e.do(req{method: "DELETE", path: "/api/v1/apps/b", token: tok}); r.code != 204 {
		t.Fatalf("delete: %s", r)
	}
	problemCode(t, e.do(req{method: "GET", path: "/api/v1/apps/b", token: tok}), 404, CodeAppNotFound)
	problemCode(t, e.do(req{method: "DELETE", path: "/api/v1/apps/b", token: tok}), 404, CodeAppNotFound)
}
