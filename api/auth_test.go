package api

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/picloud/picloud/auth"
	"github.com/picloud/picloud/db/dbtest"
	"github.com/picloud/picloud/db/store"
)

// fixture is what the route tests act on: app shop with script hello
// (version 1 active), a queue trigger, an invocation and a spare token.
type fixture struct {
	app        store.App
	script     store.Script
	trigger    store.Trigger
	invocation uuid.UUID
	tokenID    int64
}

func newFixture(t *testing.T, e *env, slug string) fixture {
	t.Helper()
	ctx := t.Context()
	if r := e.do(req{method: "POST", path: "/api/v1/apps", token: e.admin, body: map[string]any{"slug": slug}}); r.code != 201 {
		t.Fatal(r)
	}
	if r := e.do(req{method: "PUT", path: "/api/v1/apps/" + slug + "/scripts/hello", token: e.admin, body: map[string]any{"source": `"hello"`}}); r.code != 201 {
		t.Fatal(r)
	}
	f := fixture{}
	f.app, _ = e.st.Apps.GetBySlug(ctx, slug)
	f.script, _ = e.st.Scripts.GetByName(ctx, f.app.ID, "hello")
	r := e.do(req{method: "POST", path: "/api/v1/apps/" + slug + "/triggers/queue", token: e.admin, body: map[string]any{"script": "hello", "queue": "jobs"}})
	if r.code != 201 {
		t.Fatal(r)
	}
	f.trigger, _ = e.st.Triggers.Get(ctx, int64(r.num("id")))
	f.invocation = uuid.Must(uuid.NewV7())
	err := e.st.Invocations.InsertBatch(ctx, []store.Invocation{{
		ID: f.invocation, AppID: f.app.ID, ScriptID: f.script.ID, Version: 1, TriggerKind: store.KindManual,
		StartedAt: time.Now(), Outcome: store.OutcomeOK, Result: []byte(`"hello"`),
		Logs: []store.LogLine{{Seq: 0, Level: "info", Message: "hi", At: time.Now()}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := e.st.Tokens.Insert(ctx, store.Token{Name: "spare", Prefix: "pct_x", Hash: sha256.Sum256([]byte(slug)), Scopes: []string{"app:read"}, AppID: f.app.ID})
	if err != nil {
		t.Fatal(err)
	}
	f.tokenID = tok.ID
	return f
}

// routeCase is one admin route as the scope table calls it. path and body
// are built per call, for routes that consume what they act on.
type routeCase struct {
	method, route string // route as registered, for the coverage check
	path          func() string
	body          func() any
	access        access
	scope         auth.Scope
	ok            int // the status of an allowed call
}

func routeCases(t *testing.T, e *env, f fixture) []routeCase {
	ctx := t.Context()
	n := 0
	uniq := func(prefix string) string { n++; return prefix + strconv.Itoa(n) }
	fixed := func(p string) func() string { return func() string { return p } }
	shop := "/api/v1/apps/" + f.app.Slug
	trig := shop + "/triggers/queue/" + strconv.FormatInt(f.trigger.ID, 10)
	freshApp := func() string {
		a, err := e.st.Apps.Insert(ctx, store.App{Slug: uniq("gone")})
		if err != nil {
			t.Fatal(err)
		}
		return "/api/v1/apps/" + a.Slug
	}
	freshScript := func() string {
		sc, err := e.st.Scripts.Insert(ctx, f.app.ID, uniq("gone"))
		if err != nil {
			t.Fatal(err)
		}
		return shop + "/scripts/" + sc.Name
	}
	freshTrigger := func() string {
		tr, err := e.st.Triggers.Insert(ctx, store.Trigger{AppID: f.app.ID, ScriptID: f.script.ID, Kind: store.KindQueue, Queue: &store.QueueTrigger{Queue: uniq("gone")}})
		if err != nil {
			t.Fatal(err)
		}
		return shop + "/triggers/queue/" + strconv.FormatInt(tr.ID, 10)
	}
	freshToken := func() string {
		tk, err := e.st.Tokens.Insert(ctx, store.Token{Name: "gone", Prefix: "pct_x", Hash: sha256.Sum256([]byte(uniq("gone"))), Scopes: []string{"app:read"}})
		if err != nil {
			t.Fatal(err)
		}
		return "/api/v1/tokens/" + strconv.FormatInt(tk.ID, 10)
	}
	body := func(v any) func() any { return func() any { return v } }
	scoped := func(method, route string, path func() string, b func() any, scope auth.Scope, ok int) routeCase {
		return routeCase{method: method, route: route, path: path, body: b, access: accessScope, scope: scope, ok: ok}
	}
	return append([]routeCase{
		{method: "GET", route: "/openapi.json", path: fixed("/api/v1/openapi.json"), access: accessPublic, ok: 200},
		{method: "GET", route: "/whoami", path: fixed("/api/v1/whoami"), access: accessToken, ok: 200},
		{method: "GET", route: "/topics/validate", path: fixed("/api/v1/topics/validate?pattern=a.*"), access: accessToken, ok: 200},
		{method: "GET", route: "/cron/preview", path: fixed("/api/v1/cron/preview?schedule=@hourly"), access: accessToken, ok: 200},
		{method: "POST", route: "/scripts/check", path: fixed("/api/v1/scripts/check"), body: body(map[string]any{"source": "1"}), access: accessToken, ok: 200},

		scoped("GET", "/apps", fixed("/api/v1/apps"), nil, auth.AppRead, 200),
		scoped("POST", "/apps", fixed("/api/v1/apps"), func() any { return map[string]any{"slug": uniq("new")} }, auth.AppWrite, 201),
		scoped("GET", "/apps/:app", fixed(shop), nil, auth.AppRead, 200),
		scoped("PATCH", "/apps/:app", fixed(shop), body(map[string]any{"description": "d"}), auth.AppWrite, 200),
		scoped("DELETE", "/apps/:app", freshApp, nil, auth.AppWrite, 204),
		scoped("PUT", "/apps/:app/env/:name", fixed(shop+"/env/REGION"), body(map[string]any{"value": "eu"}), auth.AppWrite, 200),
		scoped("DELETE", "/apps/:app/env/:name", func() string {
			name := uniq("GONE")
			if _, err := e.st.Apps.Update(ctx, store.App{ID: f.app.ID, Env: map[string]string{name: "x"}}); err != nil {
				t.Fatal(err)
			}
			return shop + "/env/" + name
		}, nil, auth.AppWrite, 204),
		scoped("GET", "/apps/:app/secrets", fixed(shop+"/secrets"), nil, auth.AppRead, 200),
		scoped("PUT", "/apps/:app/secrets/:name", func() string { return shop + "/secrets/" + uniq("S") }, body(map[string]any{"value": "v"}), auth.AppWrite, 201),
		scoped("DELETE", "/apps/:app/secrets/:name", func() string {
			name := uniq("GONE")
			if _, err := e.st.Secrets.Put(ctx, f.app.ID, name, []byte{1}); err != nil {
				t.Fatal(err)
			}
			return shop + "/secrets/" + name
		}, nil, auth.AppWrite, 204),
		scoped("GET", "/apps/:app/stats", fixed(shop+"/stats"), nil, auth.ScriptRead, 200),

		scoped("GET", "/apps/:app/scripts", fixed(shop+"/scripts"), nil, auth.ScriptRead, 200),
		scoped("GET", "/apps/:app/scripts/:script", fixed(shop+"/scripts/hello"), nil, auth.ScriptRead, 200),
		scoped("PUT", "/apps/:app/scripts/:script", fixed(shop+"/scripts/hello"), body(map[string]any{"source": `"hello"`}), auth.ScriptWrite, 201),
		scoped("POST", "/apps/:app/scripts/:script", fixed(shop+"/scripts/hello"), body(map[string]any{"source": `"hello"`}), auth.ScriptWrite, 201),
		scoped("DELETE", "/apps/:app/scripts/:script", freshScript, nil, auth.ScriptWrite, 204),
		scoped("GET", "/apps/:app/scripts/:script/versions", fixed(shop+"/scripts/hello/versions"), nil, auth.ScriptRead, 200),
		scoped("GET", "/apps/:app/scripts/:script/versions/:version", fixed(shop+"/scripts/hello/versions/1"), nil, auth.ScriptRead, 200),
		scoped("POST", "/apps/:app/scripts/:script/versions/:version/activate", fixed(shop+"/scripts/hello/versions/1/activate"), nil, auth.ScriptWrite, 200),
		// No sandbox in this env: an allowed call gets as far as 503.
		scoped("POST", "/apps/:app/scripts/:script/invoke", fixed(shop+"/scripts/hello/invoke"), body(map[string]any{}), auth.ScriptWrite, 503),

		scoped("GET", "/apps/:app/triggers", fixed(shop+"/triggers"), nil, auth.TriggerRead, 200),
		scoped("POST", "/apps/:app/triggers/:kind", fixed(shop+"/triggers/queue"), func() any { return map[string]any{"script": "hello", "queue": uniq("q")} }, auth.TriggerWrite, 201),
		scoped("GET", "/apps/:app/triggers/:kind", fixed(shop+"/triggers/queue"), nil, auth.TriggerRead, 200),
		scoped("GET", "/apps/:app/triggers/:kind/:id", fixed(trig), nil, auth.TriggerRead, 200),
		scoped("PATCH", "/apps/:app/triggers/:kind/:id", fixed(trig), body(map[string]any{"enabled": true}), auth.TriggerWrite, 200),
		scoped("DELETE", "/apps/:app/triggers/:kind/:id", freshTrigger, nil, auth.TriggerWrite, 204),
		scoped("POST", "/apps/:app/triggers/:kind/:id/enable", fixed(trig+"/enable"), nil, auth.TriggerWrite, 200),
		scoped("POST", "/apps/:app/triggers/:kind/:id/disable", fixed(trig+"/disable"), nil, auth.TriggerWrite, 200),

		scoped("GET", "/apps/:app/invocations", fixed(shop+"/invocations"), nil, auth.ScriptRead, 200),
		// No live tail in this env: an allowed call gets as far as 503.
		scoped("GET", "/apps/:app/invocations/stream", fixed(shop+"/invocations/stream"), nil, auth.ScriptRead, 503),
		scoped("GET", "/apps/:app/invocations/:id", fixed(shop+"/invocations/"+f.invocation.String()), nil, auth.ScriptRead, 200),

		scoped("GET", "/tokens", fixed("/api/v1/tokens"), nil, auth.Admin, 200),
		scoped("POST", "/tokens", fixed("/api/v1/tokens"), body(map[string]any{"name": "n", "scopes": []string{"app:read"}}), auth.Admin, 201),
		scoped("GET", "/tokens/:id", fixed("/api/v1/tokens/"+strconv.FormatInt(f.tokenID, 10)), nil, auth.Admin, 200),
		scoped("DELETE", "/tokens/:id", freshToken, nil, auth.Admin, 204),
	}, eventRouteCases(t, e, f)...) // events_test.go
}

// implies is the scope rule of DESIGN.md, written out independently of
// auth.Principal.Has: admin implies everything, a write scope its read.
func implies(have, want auth.Scope) bool {
	return have == want || have == auth.Admin ||
		strings.HasSuffix(string(want), ":read") && string(have) == strings.TrimSuffix(string(want), ":read")+":write"
}

// Every admin route against every kind of caller: no token, a bad one, an
// expired and a revoked one (401), and a token of each single scope (403
// without the route's scope, the route's answer with it).
func TestEveryRouteEveryScope(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := t.Context()
	f := newFixture(t, e, "shop")
	cases := routeCases(t, e, f)

	covered := map[string]bool{}
	for _, c := range cases {
		covered[c.method+" "+c.route] = true
	}
	for _, r := range e.srv.routes() {
		if !covered[r.method+" "+r.path] {
			t.Errorf("the scope table misses %s %s", r.method, r.path)
		}
	}

	expired := e.token("", auth.Admin)
	revoked := e.token("", auth.Admin)
	for _, secret := range []string{expired, revoked} {
		tok, err := e.st.Tokens.GetByHash(ctx, secretHash(secret))
		if err != nil {
			t.Fatal(err)
		}
		if secret == revoked {
			err = e.st.Tokens.Revoke(ctx, tok.ID)
		} else {
			_, err = execOn(ctx, e, "UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = $1", tok.ID)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	type caller struct {
		name   string
		secret string
		scope  auth.Scope // "" for the 401 callers
	}
	callers := []caller{
		{"no token", "", ""}, {"unknown token", "pct_not-a-token", ""},
		{"expired token", expired, ""}, {"revoked token", revoked, ""},
	}
	for _, s := range auth.Scopes {
		callers = append(callers, caller{string(s), e.token("", s), s})
	}

	for _, c := range cases {
		for _, who := range callers {
			var body any
			if c.body != nil {
				body = c.body()
			}
			path := c.path()
			r := e.do(req{method: c.method, path: path, token: who.secret, body: body})
			var want int
			var code string
			switch {
			case c.access == accessPublic:
				want = c.ok
			case who.scope == "":
				want, code = 401, CodeInvalidToken
				if who.secret == "" {
					code = CodeUnauthenticated
				}
			case c.access == accessToken || implies(who.scope, c.scope):
				want = c.ok
			default:
				want, code = 403, CodeInsufficientScope
			}
			if r.code != want || code != "" && r.str("code") != code {
				t.Errorf("%s %s as %s: got %s, want %d %s", c.method, path, who.name, r, want, code)
			}
			if r.code == 401 && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), `Bearer realm="picloud"`) {
				t.Errorf("%s %s as %s: 401 without a Bearer challenge", c.method, path, who.name)
			}
			if r.code == 403 && r.str("scope") != string(c.scope) {
				t.Errorf("%s %s as %s: 403 names scope %q, want %q", c.method, path, who.name, r.str("scope"), c.scope)
			}
		}
	}
}

// execOn runs a statement the API has no route for (time travel).
func execOn(ctx context.Context, e *env, sql string, args ...any) (int64, error) {
	tag, err := e.pool.Exec(ctx, sql, args...)
	return tag.RowsAffected(), err
}

// A token restricted to one app cannot read, change or even learn of
// another app's objects: every answer about them is the one a missing
// object gets, byte for byte once the names in it are aligned.
func TestAppRestrictedToken(t *testing.T) {
	e := newEnv(t, envOptions{})
	shop := newFixture(t, e, "shop")
	newFixture(t, e, "other")
	restricted := e.token("other", auth.Admin)

	// Under /apps/{app}: shop answers exactly as an app that does not exist.
	for _, c := range routeCases(t, e, shop) {
		if !strings.HasPrefix(c.route, "/apps/:app") {
			continue
		}
		var body any
		if c.body != nil {
			body = c.body()
		}
		path := c.path()
		got := e.do(req{method: c.method, path: path, token: restricted, body: body})
		missing := e.do(req{method: c.method, path: strings.Replace(path, "/apps/shop", "/apps/nosuch", 1), token: restricted, body: body})
		problemCode(t, got, 404, CodeAppNotFound)
		if strings.ReplaceAll(string(got.raw), "shop", "nosuch") != string(missing.raw) {
			t.Errorf("%s %s: got %s, a missing app gets %s", c.method, path, got.raw, missing.raw)
		}
	}
	// Its own app's objects are reachable.
	if r := e.do(req{method: "GET", path: "/api/v1/apps/other/scripts/hello", token: restricted}); r.code != 200 {
		t.Fatalf("own script: %s", r)
	}
	// Ids of shop's objects under other's path: as missing as ids that were
	// never used.
	for _, p := range [][2]string{
		{"/api/v1/apps/other/triggers/queue/" + strconv.FormatInt(shop.trigger.ID, 10), "/api/v1/apps/other/triggers/queue/999999"},
		{"/api/v1/apps/other/invocations/" + shop.invocation.String(), "/api/v1/apps/other/invocations/" + uuid.Must(uuid.NewV7()).String()},
		{"/api/v1/tokens/" + strconv.FormatInt(shop.tokenID, 10), "/api/v1/tokens/999999"},
		{"/api/v1/tokens/1", "/api/v1/tokens/999998"}, // the bootstrap admin token
	} {
		got := e.do(req{method: "GET", path: p[0], token: restricted})
		missing := e.do(req{method: "GET", path: p[1], token: restricted})
		id, missingID := p[0][strings.LastIndex(p[0], "/")+1:], p[1][strings.LastIndex(p[1], "/")+1:]
		if got.code != 404 || strings.ReplaceAll(string(got.raw), id, missingID) != string(missing.raw) {
			t.Errorf("GET %s: got %s, a missing one gets %s", p[0], got, missing)
		}
	}
	if r := e.do(req{method: "DELETE", path: "/api/v1/tokens/1", token: restricted}); r.code != 404 {
		t.Fatalf("revoking an unrestricted token: %s", r)
	}

	// Lists show its app only.
	r := e.do(req{method: "GET", path: "/api/v1/apps", token: restricted})
	if items := r.items(); len(items) != 1 || items[0]["slug"] != "other" {
		t.Fatalf("apps: %s", r)
	}
	r = e.do(req{method: "GET", path: "/api/v1/tokens", token: restricted})
	for _, it := range r.items() {
		if it["app"] != "other" {
			t.Fatalf("tokens: %s", r)
		}
	}
	// It cannot create apps, nor tokens beyond its app.
	problemCode(t, e.do(req{method: "POST", path: "/api/v1/apps", token: restricted, body: map[string]any{"slug": "new"}}), 403, CodeAppRestricted)
	got := e.do(req{method: "POST", path: "/api/v1/tokens", token: restricted, body: map[string]any{"name": "x", "scopes": []string{"admin"}, "app": "shop"}})
	missing := e.do(req{method: "POST", path: "/api/v1/tokens", token: restricted, body: map[string]any{"name": "x", "scopes": []string{"admin"}, "app": "nosuch"}})
	problemCode(t, got, 404, CodeAppNotFound)
	if strings.ReplaceAll(string(got.raw), "shop", "nosuch") != string(missing.raw) {
		t.Errorf("token for shop: %s, for a missing app: %s", got.raw, missing.raw)
	}
	r = e.do(req{method: "POST", path: "/api/v1/tokens", token: restricted, body: map[string]any{"name": "x", "scopes": []string{"script:read"}}})
	if r.code != 201 || r.str("app") != "other" {
		t.Fatalf("a restricted admin's token must be restricted to its app: %s", r)
	}
	// A restricted token without the scope gets 403 for its own app and for
	// another alike: the scope is checked before the app.
	reader := e.token("other", auth.AppRead)
	a := e.do(req{method: "GET", path: "/api/v1/apps/other/scripts", token: reader})
	b := e.do(req{method: "GET", path: "/api/v1/apps/shop/scripts", token: reader})
	if a.code != 403 || string(a.raw) != string(b.raw) {
		t.Fatalf("no scope: own app %s, other app %s", a, b)
	}
}

func TestAuthentication(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := t.Context()
	who := func(header string) resp {
		t.Helper()
		return e.do(req{method: "GET", path: "/api/v1/whoami", header: map[string]string{"Authorization": header}})
	}
	r := who("")
	problemCode(t, r, 401, CodeUnauthenticated)
	if r.header.Get("WWW-Authenticate") != `Bearer realm="picloud"` {
		t.Fatalf("challenge %q", r.header.Get("WWW-Authenticate"))
	}
	problemCode(t, who("Basic "+e.admin), 401, CodeUnauthenticated)
	r = who("Bearer pct_wrong")
	problemCode(t, r, 401, CodeInvalidToken)
	if !strings.Contains(r.header.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Fatalf("challenge %q", r.header.Get("WWW-Authenticate"))
	}
	r = who("bearer " + e.admin)
	if r.code != 200 || r.str("name") != BootstrapTokenName || r.body["app"] != nil {
		t.Fatalf("whoami: %s", r)
	}

	// A token's use is recorded at most once a minute.
	secret := e.token("", auth.AppRead)
	tok, _ := e.st.Tokens.GetByHash(ctx, secretHash(secret))
	lastUsed := func() time.Time {
		t.Helper()
		got, err := e.st.Tokens.Get(ctx, tok.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.LastUsedAt
	}
	if !lastUsed().IsZero() {
		t.Fatal("an unused token has last_used_at")
	}
	who("Bearer " + secret)
	first := lastUsed()
	if first.IsZero() {
		t.Fatal("the first use was not recorded")
	}
	who("Bearer " + secret)
	if got := lastUsed(); !got.Equal(first) {
		t.Fatalf("a second use within the minute wrote last_used_at: %v then %v", first, got)
	}
	if _, err := execOn(ctx, e, "UPDATE api_tokens SET last_used_at = now() - interval '61 seconds' WHERE id = $1", tok.ID); err != nil {
		t.Fatal(err)
	}
	stale := lastUsed()
	who("Bearer " + secret)
	if got := lastUsed(); !got.After(stale) {
		t.Fatalf("a use after a minute was not recorded: %v then %v", stale, got)
	}

	// Expiry and revocation take effect at once.
	exp := e.do(req{method: "POST", path: "/api/v1/tokens", token: e.admin, body: map[string]any{"name": "short", "scopes": []string{"app:read"}, "expires_in": "1h"}})
	if exp.code != 201 {
		t.Fatal(exp)
	}
	if r := who("Bearer " + exp.str("secret")); r.code != 200 {
		t.Fatalf("fresh token: %s", r)
	}
	e.srv.cfg.Now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	r = who("Bearer " + exp.str("secret"))
	problemCode(t, r, 401, CodeInvalidToken)
	if !strings.Contains(r.str("detail"), "expired") {
		t.Fatalf("expired: %s", r)
	}
	e.srv.cfg.Now = time.Now
	if r := e.do(req{method: "DELETE", path: fmt.Sprintf("/api/v1/tokens/%d", int64(exp.num("id"))), token: e.admin}); r.code != 204 {
		t.Fatal(r)
	}
	r = who("Bearer " + exp.str("secret"))
	problemCode(t, r, 401, CodeInvalidToken)
	if !strings.Contains(r.str("detail"), "revoked") {
		t.Fatalf("revoked: %s", r)
	}

	// Missing scope: 403 with the scope named in the body and the challenge.
	r = e.do(req{method: "POST", path: "/api/v1/apps", token: secret, body: map[string]any{"slug": "x"}})
	problemCode(t, r, 403, CodeInsufficientScope)
	if r.str("scope") != "app:write" || !strings.Contains(r.header.Get("WWW-Authenticate"), `scope="app:write"`) {
		t.Fatalf("403: %s %v", r, r.header)
	}
}

// The first start creates one admin token and shows its secret once; an
// operator's PICLOUD_ADMIN_TOKEN is stored as a hash only.
func TestBootstrap(t *testing.T) {
	ctx := t.Context()
	st := store.New(dbtest.Fresh(t))
	secret, created, err := Bootstrap(ctx, st, "")
	if err != nil || !created || !strings.HasPrefix(secret, "pct_") {
		t.Fatalf("Bootstrap = %q, %v, %v", secret, created, err)
	}
	again, created, err := Bootstrap(ctx, st, "")
	if err != nil || created || again != "" {
		t.Fatalf("second Bootstrap = %q, %v, %v; want nothing created", again, created, err)
	}
	tokens, _ := st.Tokens.List(ctx)
	if len(tokens) != 1 || tokens[0].Scopes[0] != "admin" || tokens[0].AppID != 0 || tokens[0].Hash != sha256.Sum256([]byte(secret)) {
		t.Fatalf("tokens: %+v", tokens)
	}
	srv, err := New(Config{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, srv: srv, st: st}
	e.http = httptestServer(t, srv)
	if r := e.do(req{method: "GET", path: "/api/v1/tokens", token: secret}); r.code != 200 || len(r.items()) != 1 {
		t.Fatalf("the bootstrap token cannot list tokens: %s", r)
	}

	// The operator's secret.
	st2 := store.New(dbtest.Fresh(t))
	if _, _, err := Bootstrap(ctx, st2, "short"); err == nil {
		t.Fatal("a short operator secret was accepted")
	}
	op := "operator-chosen-secret-0123456789"
	shown, created, err := Bootstrap(ctx, st2, op)
	if err != nil || !created || shown != "" {
		t.Fatalf("Bootstrap(operator) = %q, %v, %v; want created, nothing to show", shown, created, err)
	}
	tokens, _ = st2.Tokens.List(ctx)
	if len(tokens) != 1 || tokens[0].Hash != sha256.Sum256([]byte(op)) || strings.Contains(tokens[0].Prefix, op) {
		t.Fatalf("tokens: %+v", tokens)
	}
	// Once tokens exist, the variable changes nothing.
	if _, created, err := Bootstrap(ctx, st2, "another-operator-secret-0123456789"); err != nil || created {
		t.Fatalf("Bootstrap with tokens present: %v, %v", created, err)
	}
}
