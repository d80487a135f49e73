package api

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/picloud/picloud/auth"
	"github.com/picloud/picloud/dispatch"
)

// eventRouteCases are the scope table's rows for events.go's routes.
func eventRouteCases(t *testing.T, e *env, f fixture) []routeCase {
	ctx := t.Context()
	shop := "/api/v1/apps/" + f.app.Slug
	n := 0
	freshKey := func() string {
		n++
		key := "gone" + strconv.Itoa(n)
		if _, err := e.st.KV.Set(ctx, f.app.ID, key, json.RawMessage(`1`)); err != nil {
			t.Fatal(err)
		}
		return shop + "/kv/" + key
	}
	freshDelivery := func() int64 {
		id, _, _, err := e.st.Outbox.PushAfter(ctx, f.app.ID, "jobs", uuid.Must(uuid.NewV7()), json.RawMessage(`1`), time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	kept := strconv.FormatInt(freshDelivery(), 10)
	if _, err := e.st.KV.Set(ctx, f.app.ID, "kept", json.RawMessage(`1`)); err != nil {
		t.Fatal(err)
	}
	fixed := func(p string) func() string { return func() string { return p } }
	body := func(v any) func() any { return func() any { return v } }
	scoped := func(method, route string, path func() string, b func() any, scope auth.Scope, ok int) routeCase {
		return routeCase{method: method, route: route, path: path, body: b, access: accessScope, scope: scope, ok: ok}
	}
	return []routeCase{
		scoped("POST", "/apps/:app/pubsub/publish", fixed(shop+"/pubsub/publish"), body(map[string]any{"topic": "t", "message": 1}), auth.ScriptWrite, 200),
		scoped("POST", "/apps/:app/queues/:queue/push", fixed(shop+"/queues/other/push"), body(map[string]any{"payload": 1}), auth.ScriptWrite, 200),
		scoped("GET", "/apps/:app/kv", fixed(shop+"/kv"), nil, auth.ScriptRead, 200),
		scoped("GET", "/apps/:app/kv/:key", fixed(shop+"/kv/kept"), nil, auth.ScriptRead, 200),
		scoped("PUT", "/apps/:app/kv/:key", fixed(shop+"/kv/kept"), body(map[string]any{"value": 2}), auth.ScriptWrite, 200),
		scoped("DELETE", "/apps/:app/kv/:key", freshKey, nil, auth.ScriptWrite, 204),
		scoped("GET", "/apps/:app/deliveries", fixed(shop+"/deliveries"), nil, auth.TriggerRead, 200),
		scoped("POST", "/apps/:app/deliveries/retry", fixed(shop+"/deliveries/retry"), body(map[string]any{"state": "dead"}), auth.TriggerWrite, 200),
		scoped("GET", "/apps/:app/deliveries/:id", fixed(shop+"/deliveries/"+kept), nil, auth.TriggerRead, 200),
		scoped("POST", "/apps/:app/deliveries/:id/retry", fixed(shop+"/deliveries/"+kept+"/retry"), nil, auth.TriggerWrite, 200),
		scoped("DELETE", "/apps/:app/deliveries/:id", func() string { return shop + "/deliveries/" + strconv.FormatInt(freshDelivery(), 10) }, nil, auth.TriggerWrite, 204),
	}
}

// post is an admin POST.
func (e *env) post(path string, body any) resp {
	e.t.Helper()
	return e.do(req{method: "POST", path: path, token: e.admin, body: body})
}

func (e *env) mustApp(slug string) {
	e.t.Helper()
	if r := e.post("/api/v1/apps", map[string]any{"slug": slug}); r.code != 201 {
		e.t.Fatal(r)
	}
}

func (e *env) mustScript(app, name, src string) {
	e.t.Helper()
	if r := e.do(req{method: "PUT", path: "/api/v1/apps/" + app + "/scripts/" + name, token: e.admin, body: map[string]any{"source": src}}); r.code != 201 {
		e.t.Fatal(r)
	}
}

func TestPublishAndPush(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.mustApp("shop")
	e.mustScript("shop", "sub", `()`)
	for _, p := range []string{"orders.*", "*"} {
		if r := e.post("/api/v1/apps/shop/triggers/pubsub", map[string]any{"script": "sub", "pattern": p}); r.code != 201 {
			t.Fatal(r)
		}
	}
	r := e.post("/api/v1/apps/shop/pubsub/publish", map[string]any{"topic": "orders.eu.new", "message": map[string]any{"id": 1}})
	if r.code != 200 || r.num("deliveries") != 2 || r.str("message_id") == "" {
		t.Fatal(r)
	}
	r = e.post("/api/v1/apps/shop/pubsub/publish", map[string]any{"topic": "users", "message": nil})
	if r.code != 200 || r.num("deliveries") != 1 {
		t.Fatalf("publish to a topic only * matches: %s", r)
	}
	r = e.post("/api/v1/apps/shop/pubsub/publish", map[string]any{"topic": "Orders..x", "message": 1})
	problemCode(t, r, 400, CodeInvalidTopic)
	if r.str("reason") == "" || r.body["offset"] == nil {
		t.Fatalf("invalid topic without reason or offset: %s", r)
	}
	problemCode(t, e.post("/api/v1/apps/shop/pubsub/publish", map[string]any{"topic": "t"}), 400, CodeInvalidField)

	// A queue without a consumer keeps its messages; the delay counts.
	r = e.post("/api/v1/apps/shop/queues/jobs/push", map[string]any{"payload": "p", "delay": "10m"})
	if r.code != 200 || r.body["waiting"] != true {
		t.Fatal(r)
	}
	at, err := time.Parse(time.RFC3339Nano, r.str("run_at"))
	if err != nil || time.Until(at) < 9*time.Minute {
		t.Fatalf("run_at %q, want about 10 minutes from now", r.str("run_at"))
	}
	problemCode(t, e.post("/api/v1/apps/shop/queues/jobs/push", map[string]any{"payload": 1, "delay": "soon"}), 400, CodeInvalidField)
	problemCode(t, e.post("/api/v1/apps/shop/queues/Bad/push", map[string]any{"payload": 1}), 400, CodeInvalidField)
	r = e.do(req{method: "GET", path: "/api/v1/apps/shop/deliveries?state=waiting", token: e.admin})
	if r.code != 200 || len(r.items()) != 1 || r.items()[0]["queue"] != "jobs" {
		t.Fatal(r)
	}
	r = e.do(req{method: "GET", path: "/api/v1/apps/shop/deliveries?state=pending&limit=1", token: e.admin})
	if r.code != 200 || len(r.items()) != 1 || r.str("next_cursor") == "" {
		t.Fatal(r)
	}
	r2 := e.do(req{method: "GET", path: "/api/v1/apps/shop/deliveries?state=pending&limit=5&cursor=" + r.str("next_cursor"), token: e.admin})
	if r2.code != 200 || len(r2.items()) != 2 || r2.str("next_cursor") != "" {
		t.Fatalf("second page: %s", r2)
	}
	problemCode(t, e.do(req{method: "GET", path: "/api/v1/apps/shop/deliveries?state=lost", token: e.admin}), 400, CodeInvalidField)
}

// Trigger creation rejects invalid patterns and schedules with the reason.
func TestInvalidTriggersRejected(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.mustApp("shop")
	e.mustScript("shop", "s", `()`)
	for _, p := range []string{"orders*", "*.created", "orders.*.eu", "a..b", "Orders", ""} {
		r := e.post("/api/v1/apps/shop/triggers/pubsub", map[string]any{"script": "s", "pattern": p})
		if r.code != 400 || (r.str("code") != CodeInvalidTopicPattern && r.str("code") != CodeInvalidField) {
			t.Errorf("pattern %q: %s", p, r)
		}
		if p != "" && r.str("reason") == "" {
			t.Errorf("pattern %q: no reason in %s", p, r)
		}
	}
	for _, body := range []map[string]any{
		{"script": "s", "schedule": "61 * * * *"},
		{"script": "s", "schedule": "@every 10ms"},
		{"script": "s", "schedule": "@hourly", "time_zone": "Mars/Olympus"},
	} {
		problemCode(t, e.post("/api/v1/apps/shop/triggers/cron", body), 400, CodeInvalidSchedule)
	}
	problemCode(t, e.post("/api/v1/apps/shop/triggers/kv", map[string]any{"script": "s", "key_pattern": "a*b"}), 400, CodeInvalidField)
	problemCode(t, e.post("/api/v1/apps/shop/triggers/queue", map[string]any{"script": "s", "queue": "Bad Name"}), 400, CodeInvalidField)
	if r := e.post("/api/v1/apps/shop/triggers/deadletter", map[string]any{"script": "s", "source_kind": "queue"}); r.code != 201 {
		t.Fatal(r)
	}
}

func TestKVEndpoints(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.mustApp("shop")
	ctx := t.Context()
	app, _ := e.st.Apps.GetBySlug(ctx, "shop")
	app.Limits.KVQuotaBytes = 100
	if _, err := e.st.Apps.Update(ctx, app); err != nil {
		t.Fatal(err)
	}
	e.mustScript("shop", "watch", `()`)
	if r := e.post("/api/v1/apps/shop/triggers/kv", map[string]any{"script": "watch", "key_pattern": "user/*"}); r.code != 201 {
		t.Fatal(r)
	}
	put := func(key string, v any) resp {
		return e.do(req{method: "PUT", path: "/api/v1/apps/shop/kv/" + url.PathEscape(key), token: e.admin, body: map[string]any{"value": v}})
	}
	for i, key := range []string{"user/1", "user/2", "user/3", "other"} {
		if r := put(key, map[string]any{"n": i}); r.code != 200 || r.str("key") != key {
			t.Fatalf("PUT %s: %s", key, r)
		}
	}
	// The kv trigger fired for each user/ key, in the same transaction.
	var events int
	if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE kind = 'kv'`).Scan(&events); err != nil || events != 3 {
		t.Fatalf("%d kv events, want 3 (%v)", events, err)
	}
	r := e.do(req{method: "GET", path: "/api/v1/apps/shop/kv/" + url.PathEscape("user/2"), token: e.admin})
	if r.code != 200 || string(mustJSON(t, r.body["value"])) != `{"n":1}` {
		t.Fatal(r)
	}
	r = e.do(req{method: "GET", path: "/api/v1/apps/shop/kv?prefix=user/&limit=2", token: e.admin})
	if r.code != 200 || len(r.items()) != 2 || r.str("next_cursor") == "" {
		t.Fatal(r)
	}
	r = e.do(req{method: "GET", path: "/api/v1/apps/shop/kv?prefix=user/&limit=2&cursor=" + r.str("next_cursor"), token: e.admin})
	if r.code != 200 || len(r.items()) != 1 || r.items()[0]["key"] != "user/3" {
		t.Fatal(r)
	}
	problemCode(t, put("big", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"), 507, CodeKVQuotaExceeded)
	if r := e.do(req{method: "DELETE", path: "/api/v1/apps/shop/kv/other", token: e.admin}); r.code != 204 {
		t.Fatal(r)
	}
	problemCode(t, e.do(req{method: "DELETE", path: "/api/v1/apps/shop/kv/other", token: e.admin}), 404, CodeKVKeyNotFound)
	problemCode(t, e.do(req{method: "GET", path: "/api/v1/apps/shop/kv/other", token: e.admin}), 404, CodeKVKeyNotFound)
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A delivery that keeps failing is dead-lettered; the API lists it, and
// its retry runs it again once the script is fixed.
func TestDeadLetterRetryFromAPI(t *testing.T) {
	e := newEnv(t, envOptions{runtime: true})
	e.mustApp("shop")
	e.mustScript("shop", "work", `if kv::get("fixed") == () { throw "not yet" } kv::set("done", ctx.event.queue.payload);`)
	if r := e.post("/api/v1/apps/shop/triggers/queue", map[string]any{"script": "work", "queue": "jobs", "max_attempts": 1}); r.code != 201 {
		t.Fatal(r)
	}
	d, err := dispatch.New(t.Context(), dispatch.Config{Store: e.st, Invoker: e.srv.cfg.Invoker, Effects: e.srv.cfg.Effects,
		Recorder: e.rec, PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close(context.Background()) })

	if r := e.post("/api/v1/apps/shop/queues/jobs/push", map[string]any{"payload": "p1"}); r.code != 200 {
		t.Fatal(r)
	}
	var dead map[string]any
	waitFor(t, "the dead letter", func() bool {
		r := e.do(req{method: "GET", path: "/api/v1/apps/shop/deliveries?state=dead", token: e.admin})
		if len(r.items()) == 1 {
			dead = r.items()[0]
		}
		return dead != nil
	})
	if dead["last_error"] == nil || dead["attempt"] != float64(1) || dead["script"] != "work" {
		t.Fatalf("dead letter %v", dead)
	}
	id := strconv.FormatFloat(dead["id"].(float64), 'f', 0, 64)
	if r := e.do(req{method: "GET", path: "/api/v1/apps/shop/deliveries/" + id, token: e.admin}); r.code != 200 || r.str("state") != "dead" {
		t.Fatal(r)
	}
	if r := e.do(req{method: "PUT", path: "/api/v1/apps/shop/kv/fixed", token: e.admin, body: map[string]any{"value": true}}); r.code != 200 {
		t.Fatal(r)
	}
	r := e.post("/api/v1/apps/shop/deliveries/"+id+"/retry", nil)
	if r.code != 200 || r.str("id") == id && r.num("id") == dead["id"] {
		t.Fatal(r)
	}
	waitFor(t, "the retried delivery", func() bool {
		v, err := e.st.KV.Get(t.Context(), mustAppID(t, e), "done")
		return err == nil && string(v.Value) == `"p1"`
	})
	problemCode(t, e.post("/api/v1/apps/shop/deliveries/"+id+"/retry", nil), 404, CodeDeliveryNotFound)

	// Discard: a second dead letter, then gone.
	if r := e.do(req{method: "DELETE", path: "/api/v1/apps/shop/kv/fixed", token: e.admin}); r.code != 204 {
		t.Fatal(r)
	}
	e.post("/api/v1/apps/shop/queues/jobs/push", map[string]any{"payload": "p2"})
	waitFor(t, "the second dead letter", func() bool {
		r := e.do(req{method: "GET", path: "/api/v1/apps/shop/deliveries?state=dead", token: e.admin})
		return len(r.items()) == 1
	})
	r = e.do(req{method: "GET", path: "/api/v1/apps/shop/deliveries?state=dead", token: e.admin})
	id = strconv.FormatFloat(r.items()[0]["id"].(float64), 'f', 0, 64)
	if r := e.do(req{method: "DELETE", path: "/api/v1/apps/shop/deliveries/" + id, token: e.admin}); r.code != 204 {
		t.Fatal(r)
	}
	problemCode(t, e.do(req{method: "GET", path: "/api/v1/apps/shop/deliveries/" + id, token: e.admin}), 404, CodeDeliveryNotFound)
	// Retry many: nothing dead now.
	if r := e.post("/api/v1/apps/shop/deliveries/retry", map[string]any{"state": "dead"}); r.code != 200 || len(r.body["retried"].([]any)) != 0 {
		t.Fatal(r)
	}
	problemCode(t, e.post("/api/v1/apps/shop/deliveries/retry", map[string]any{}), 400, CodeInvalidField)
}

func mustAppID(t *testing.T, e *env) int64 {
	t.Helper()
	a, err := e.st.Apps.GetBySlug(t.Context(), "shop")
	if err != nil {
		t.Fatal(err)
	}
	return a.ID
}
