package api

import (
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestTokens(t *testing.T) {
	e := newEnv(t, envOptions{})
	tok := e.admin
	e.do(req{method: "POST", path: "/api/v1/apps", token: tok, body: map[string]any{"slug": "shop"}})

	r := e.do(req{method: "POST", path: "/api/v1/tokens", token: tok, body: map[string]any{
		"name": "ci deploys", "scopes": []string{"script:write", "script:read", "script:write"}, "app": "shop", "expires_in": "30d",
	}})
	secret := r.str("secret")
	exp, _ := time.Parse(time.RFC3339Nano, r.str("expires_at"))
	if r.code != 201 || !strings.HasPrefix(secret, "pct_") || r.str("app") != "shop" || r.str("status") != "active" ||
		fmt.Sprint(r.body["scopes"]) != "[script:read script:write]" || !strings.HasPrefix(secret, r.str("prefix")) ||
		exp.Sub(time.Now()) < 29*24*time.Hour || r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("create: %s", r)
	}
	id := int64(r.num("id"))
	if w := e.do(req{method: "GET", path: "/api/v1/whoami", token: secret}); w.str("app") != "shop" || w.str("name") != "ci deploys" {
		t.Fatalf("the new token: %s", w)
	}

	// Neither the secret nor its hash is ever shown again.
	hash := secretHash(secret)
	for _, path := range []string{"/api/v1/tokens", fmt.Sprintf("/api/v1/tokens/%d", id)} {
		r := e.do(req{method: "GET", path: path, token: tok})
		if r.code != 200 || strings.Contains(string(r.raw), secret) || strings.Contains(string(r.raw), hex.EncodeToString(hash[:])) ||
			strings.Contains(string(r.raw), `"secret"`) {
			t.Fatalf("GET %s shows the secret: %s", path, r)
		}
	}

	// Validation.
	for _, body := range []map[string]any{
		{"name": "", "scopes": []string{"admin"}},
		{"name": "x", "scopes": []string{}},
		{"name": "x", "scopes": []string{"root"}},
		{"name": "x", "scopes": []string{"admin"}, "expires_in": "soon"},
		{"name": "x", "scopes": []string{"admin"}, "expires_in": "-1h"},
		{"name": "x", "scopes": []string{"admin"}, "expires_in": "1h", "expires_at": time.Now().Add(time.Hour)},
		{"name": "x", "scopes": []string{"admin"}, "expires_at": time.Now().Add(-time.Hour)},
	} {
		problemCode(t, e.do(req{method: "POST", path: "/api/v1/tokens", token: tok, body: body}), 400, CodeInvalidField)
	}
	problemCode(t, e.do(req{method: "POST", path: "/api/v1/tokens", token: tok, body: map[string]any{"name": "x", "scopes": []string{"admin"}, "app": "nosuch"}}), 404, CodeAppNotFound)
	// Only admin manages tokens.
	problemCode(t, e.do(req{method: "GET", path: "/api/v1/tokens", token: secret}), 403, CodeInsufficientScope)

	// Revoke: the token stops working at once; revoking again is fine.
	if r := e.do(req{method: "DELETE", path: fmt.Sprintf("/api/v1/tokens/%d", id), token: tok}); r.code != 204 {
		t.Fatal(r)
	}
	problemCode(t, e.do(req{method: "GET", path: "/api/v1/whoami", token: secret}), 401, CodeInvalidToken)
	if r := e.do(req{method: "DELETE", path: fmt.Sprintf("/api/v1/tokens/%d", id), token: tok}); r.code != 204 {
		t.Fatal(r)
	}
	if r := e.do(req{method: "GET", path: fmt.Sprintf("/api/v1/tokens/%d", id), token: tok}); r.str("status") != "revoked" || r.body["revoked_at"] == nil {
		t.Fatalf("revoked token: %s", r)
	}
	problemCode(t, e.do(req{method: "DELETE", path: "/api/v1/tokens/999999", token: tok}), 404, CodeTokenNotFound)

	// The last usable admin token for every app stays.
	problemCode(t, e.do(req{method: "DELETE", path: "/api/v1/tokens/1", token: tok}), 409, CodeLastAdminToken)
	second := e.do(req{method: "POST", path: "/api/v1/tokens", token: tok, body: map[string]any{"name": "admin 2", "scopes": []string{"admin"}}})
	if r := e.do(req{method: "DELETE", path: "/api/v1/tokens/1", token: second.str("secret")}); r.code != 204 {
		t.Fatalf("revoking the first admin once there is a second: %s", r)
	}
	problemCode(t, e.do(req{method: "GET", path: "/api/v1/whoami", token: tok}), 401, CodeInvalidToken)

	// Pages.
	for i := range 3 {
		e.do(req{method: "POST", path: "/api/v1/tokens", token: second.str("secret"), body: map[string]any{"name": fmt.Sprint("t", i), "scopes": []string{"app:read"}}})
	}
	r = e.do(req{method: "GET", path: "/api/v1/tokens?limit=4", token: second.str("secret")})
	r2 := e.do(req{method: "GET", path: "/api/v1/tokens?limit=4&cursor=" + r.str("next_cursor"), token: second.str("secret")})
	if len(r.items()) != 4 || len(r2.items()) != 2 || r2.str("next_cursor") != "" {
		t.Fatalf("pages: %s then %s", r, r2)
	}
}

func TestValidateEndpoints(t *testing.T) {
	e := newEnv(t, envOptions{})
	tok := e.admin
	check := func(query string) resp {
		t.Helper()
		r := e.do(req{method: "GET", path: "/api/v1/topics/validate?" + query, token: tok})
		if r.code != 200 {
			t.Fatalf("validate %s: %s", query, r)
		}
		return r
	}
	if r := check("pattern=orders.*"); r.body["valid"] != true || r.str("kind") != "prefix" || r.body["error"] != nil {
		t.Fatalf("orders.*: %s", r)
	}
	if r := check("pattern=*"); r.str("kind") != "all" {
		t.Fatalf("*: %s", r)
	}
	if r := check("pattern=orders.created&topic=orders.created"); r.str("kind") != "exact" || r.body["matches"] != true {
		t.Fatalf("exact: %s", r)
	}
	if r := check("pattern=orders.*&topic=orders"); r.body["matches"] != false {
		t.Fatalf("orders.* against orders: %s", r)
	}
	r := check("pattern=orders*")
	perr, _ := r.body["error"].(map[string]any)
	if r.body["valid"] != false || perr == nil || perr["reason"] == "" || perr["offset"] != float64(6) {
		t.Fatalf("orders*: %s", r)
	}
	if r := check("pattern=a.*&topic=A"); r.body["topic_error"] == nil || r.body["matches"] != nil {
		t.Fatalf("bad topic: %s", r)
	}
	problemCode(t, e.do(req{method: "GET", path: "/api/v1/topics/validate", token: tok}), 400, CodeInvalidField)

	r = e.do(req{method: "GET", path: "/api/v1/cron/preview?schedule=0+9+*+*+*&tz=Europe/Berlin", token: tok})
	next, _ := r.body["next"].([]any)
	if r.code != 200 || len(next) != 5 || r.str("time_zone") != "Europe/Berlin" {
		t.Fatalf("preview: %s", r)
	}
	for _, n := range next {
		at, err := time.Parse(time.RFC3339, n.(string))
		if err != nil || at.In(mustLoc(t, "Europe/Berlin")).Hour() != 9 {
			t.Fatalf("fire time %v", n)
		}
	}
	r = e.do(req{method: "GET", path: "/api/v1/cron/preview?schedule=nonsense", token: tok})
	problemCode(t, r, 400, CodeInvalidSchedule)
	if r.body["errors"].([]any)[0].(map[string]any)["parameter"] != "schedule" {
		t.Fatalf("bad schedule: %s", r)
	}
	r = e.do(req{method: "GET", path: "/api/v1/cron/preview?schedule=@hourly&tz=Nowhere", token: tok})
	problemCode(t, r, 400, CodeInvalidSchedule)
	if r.body["errors"].([]any)[0].(map[string]any)["parameter"] != "tz" {
		t.Fatalf("bad zone: %s", r)
	}
	problemCode(t, e.do(req{method: "GET", path: "/api/v1/cron/preview?schedule=@hourly"}), 401, CodeUnauthenticated)
}
