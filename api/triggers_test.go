package api

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/picloud/picloud/db/store"
)

func TestTriggers(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := t.Context()
	tok := e.admin
	for _, slug := range []string{"shop", "blog"} {
		if r := e.do(req{method: "POST", path: "/api/v1/apps", token: tok, body: map[string]any{"slug": slug}}); r.code != 201 {
			t.Fatal(r)
		}
		if r := e.do(req{method: "PUT", path: "/api/v1/apps/" + slug + "/scripts/hello", token: tok, body: map[string]any{"source": "1"}}); r.code != 201 {
			t.Fatal(r)
		}
	}
	shop, _ := e.st.Apps.GetBySlug(ctx, "shop")
	blog, _ := e.st.Apps.GetBySlug(ctx, "blog")
	base := "/api/v1/apps/shop/triggers/"
	create := func(kind string, body map[string]any) resp {
		t.Helper()
		if _, ok := body["script"]; !ok {
			body["script"] = "hello"
		}
		return e.do(req{method: "POST", path: base + kind, token: tok, body: body})
	}
	count := func() int {
		t.Helper()
		ts, err := e.st.Triggers.List(ctx, shop.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		return len(ts)
	}

	// One of each kind.
	r := create("http", map[string]any{"method": "get", "path": "/users/:id"})
	h := r.body["http"].(map[string]any)
	if r.code != 201 || r.str("kind") != "http" || r.str("script") != "hello" || r.body["enabled"] != true ||
		h["method"] != "GET" || h["path"] != "/users/:id" || h["url"] != testPublicURL+"/shop/users/:id" ||
		r.header.Get("Location") != base+"http/"+strconv.Itoa(int(r.num("id"))) {
		t.Fatalf("http: %s", r)
	}
	httpID := int(r.num("id"))
	r = create("cron", map[string]any{"schedule": "0 9 * * *", "time_zone": "Europe/Berlin", "max_attempts": 3})
	c := r.body["cron"].(map[string]any)
	fires, _ := c["next_fire_times"].([]any)
	next, _ := time.Parse(time.RFC3339, c["next_run_at"].(string))
	if r.code != 201 || r.num("max_attempts") != 3 || c["time_zone"] != "Europe/Berlin" || len(fires) != 5 || next.Before(time.Now()) {
		t.Fatalf("cron: %s", r)
	}
	if first, _ := time.Parse(time.RFC3339, fires[0].(string)); first.In(mustLoc(t, "Europe/Berlin")).Hour() != 9 {
		t.Fatalf("cron fires at %v, want 09:00 Berlin", fires[0])
	}
	cronID := int(r.num("id"))
	if r := create("pubsub", map[string]any{"pattern": "orders.*"}); r.code != 201 || r.body["pubsub"].(map[string]any)["pattern"] != "orders.*" {
		t.Fatalf("pubsub: %s", r)
	}
	if r := create("queue", map[string]any{"queue": "jobs"}); r.code != 201 {
		t.Fatalf("queue: %s", r)
	}
	r = create("kv", map[string]any{"key_pattern": "user:*", "ops": []string{"set", "set"}})
	if ops := r.body["kv"].(map[string]any)["ops"].([]any); r.code != 201 || len(ops) != 1 {
		t.Fatalf("kv: %s", r)
	}
	if r := create("kv", map[string]any{"key_pattern": "cfg"}); r.code != 201 || len(r.body["kv"].(map[string]any)["ops"].([]any)) != 2 {
		t.Fatalf("kv with default ops: %s", r)
	}
	if r := create("deadletter", map[string]any{"source_kind": "queue", "enabled": false}); r.code != 201 || r.body["enabled"] != false {
		t.Fatalf("deadletter: %s", r)
	}
	if r := create("deadletter", map[string]any{}); r.code != 201 || r.body["deadletter"].(map[string]any)["source_kind"] != nil {
		t.Fatalf("deadletter for all: %s", r)
	}
	total := count()

	// Rejections: clear problems, and no row left behind.
	for _, tt := range []struct {
		kind   string
		body   map[string]any
		status int
		code   string
	}{
		{"http", map[string]any{"path": "users"}, 400, CodeInvalidPathPattern},
		{"http", map[string]any{"path": "/a/*rest/b"}, 400, CodeInvalidPathPattern},
		{"http", map[string]any{"method": "FETCH", "path": "/a"}, 400, CodeInvalidField},
		{"http", map[string]any{"method": "GET", "path": "/users/:uid"}, 409, CodeRouteExists}, // same as /users/:id
		{"http", map[string]any{"method": "GET", "path": "/users/:id/"}, 409, CodeRouteExists},
		{"http", map[string]any{"path": "/x", "script": "nosuch"}, 400, CodeUnknownScript},
		{"http", map[string]any{"path": "/x", "script": ""}, 400, CodeInvalidField},
		{"http", map[string]any{"path": "/x", "schedule": "@hourly"}, 400, CodeUnknownField},
		{"cron", map[string]any{"schedule": "61 * * * *"}, 400, CodeInvalidSchedule},
		{"cron", map[string]any{"schedule": "@every 10ms"}, 400, CodeInvalidSchedule},
		{"cron", map[string]any{"schedule": "@hourly", "time_zone": "Mars/Base"}, 400, CodeInvalidSchedule},
		{"pubsub", map[string]any{"pattern": "orders*"}, 400, CodeInvalidTopicPattern},
		{"pubsub", map[string]any{"pattern": "*.created"}, 400, CodeInvalidTopicPattern},
		{"pubsub", map[string]any{"pattern": "Orders"}, 400, CodeInvalidTopicPattern},
		{"queue", map[string]any{"queue": "jobs"}, 409, CodeQueueHasConsumer},
		{"queue", map[string]any{"queue": "Jobs!"}, 400, CodeInvalidField},
		{"kv", map[string]any{"key_pattern": "a*b"}, 400, CodeInvalidField},
		{"kv", map[string]any{"key_pattern": "a", "ops": []string{"get"}}, 400, CodeInvalidField},
		{"kv", map[string]any{"key_pattern": "a", "ops": []string{}}, 400, CodeInvalidField},
		{"deadletter", map[string]any{"source_kind": "http"}, 400, CodeInvalidField},
		{"queue", map[string]any{"queue": "q2", "max_attempts": 0}, 400, CodeInvalidField},
		{"queue", map[string]any{"queue": "q2", "max_attempts": 101}, 400, CodeInvalidField},
		{"webhook", map[string]any{}, 404, CodeNotFound},
	} {
		r := create(tt.kind, tt.body)
		if r.code != tt.status || r.str("code") != tt.code {
			t.Errorf("%s %v: got %s, want %d %s", tt.kind, tt.body, r, tt.status, tt.code)
		}
	}
	if got := count(); got != total {
		t.Fatalf("%d triggers after the rejected requests, want %d", got, total)
	}

	// The reasons reach the client.
	r = create("pubsub", map[string]any{"pattern": "orders*"})
	if r.str("reason") == "" || r.body["offset"] == nil || r.body["errors"].([]any)[0].(map[string]any)["pointer"] != "/pattern" {
		t.Fatalf("topic pattern problem: %s", r)
	}
	r = create("http", map[string]any{"path": "/a//b"})
	if r.num("offset") != 3 || r.str("reason") == "" {
		t.Fatalf("path pattern problem: %s", r)
	}
	r = create("cron", map[string]any{"schedule": "@hourly", "time_zone": "Mars/Base"})
	if r.body["errors"].([]any)[0].(map[string]any)["pointer"] != "/time_zone" {
		t.Fatalf("time zone problem: %s", r)
	}

	// Lists.
	if r := e.do(req{method: "GET", path: base[:len(base)-1], token: tok}); len(r.items()) != total {
		t.Fatalf("all: %s", r)
	}
	if r := e.do(req{method: "GET", path: base[:len(base)-1] + "?kind=kv", token: tok}); len(r.items()) != 2 {
		t.Fatalf("?kind=kv: %s", r)
	}
	problemCode(t, e.do(req{method: "GET", path: base[:len(base)-1] + "?kind=webhook", token: tok}), 400, CodeInvalidField)
	r = e.do(req{method: "GET", path: base + "deadletter?limit=1", token: tok})
	r2 := e.do(req{method: "GET", path: base + "deadletter?limit=1&cursor=" + r.str("next_cursor"), token: tok})
	if len(r.items()) != 1 || len(r2.items()) != 1 || r2.str("next_cursor") != "" || r.items()[0]["id"] == r2.items()[0]["id"] {
		t.Fatalf("pages: %s then %s", r, r2)
	}

	// Get, disable, enable; the cron cursor follows.
	cron := base + "cron/" + strconv.Itoa(cronID)
	if r := e.do(req{method: "GET", path: cron, token: tok}); r.code != 200 || int(r.num("id")) != cronID {
		t.Fatalf("get: %s", r)
	}
	problemCode(t, e.do(req{method: "GET", path: base + "http/" + strconv.Itoa(cronID), token: tok}), 404, CodeTriggerNotFound)
	problemCode(t, e.do(req{method: "GET", path: "/api/v1/apps/blog/triggers/cron/" + strconv.Itoa(cronID), token: tok}), 404, CodeTriggerNotFound)
	r = e.do(req{method: "PATCH", path: cron, token: tok, body: map[string]any{"enabled": false}})
	if r.code != 200 || r.body["enabled"] != false || r.body["cron"].(map[string]any)["next_run_at"] != nil {
		t.Fatalf("disable: %s", r)
	}
	problemCode(t, e.do(req{method: "PATCH", path: cron, token: tok, body: map[string]any{}}), 400, CodeInvalidField)
	problemCode(t, e.do(req{method: "PATCH", path: cron, token: tok, body: map[string]any{"enabled": true, "script": "x"}}), 400, CodeUnknownField)
	r = e.do(req{method: "POST", path: cron + "/enable", token: tok})
	if r.code != 200 || r.body["enabled"] != true || r.body["cron"].(map[string]any)["next_run_at"] == nil {
		t.Fatalf("enable: %s", r)
	}
	if r := e.do(req{method: "POST", path: base + "http/" + strconv.Itoa(httpID) + "/disable", token: tok}); r.body["enabled"] != false {
		t.Fatalf("disable http: %s", r)
	}
	routes, _ := e.st.Triggers.HTTPRoutes(ctx, shop.ID)
	if len(routes) != 0 {
		t.Fatalf("a disabled HTTP trigger still routes: %+v", routes)
	}

	// Delete.
	if r := e.do(req{method: "DELETE", path: cron, token: tok}); r.code != 204 {
		t.Fatal(r)
	}
	problemCode(t, e.do(req{method: "DELETE", path: cron, token: tok}), 404, CodeTriggerNotFound)
	problemCode(t, e.do(req{method: "POST", path: cron + "/enable", token: tok}), 404, CodeTriggerNotFound)
	problemCode(t, e.do(req{method: "GET", path: base + "cron/abc", token: tok}), 404, CodeTriggerNotFound)

	// Every change is announced on store.RoutesChannel when it commits, and
	// a failed one not at all: blog's failure comes first, shop's success
	// second, and only shop's id arrives.
	conn, err := e.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "LISTEN "+store.RoutesChannel); err != nil {
		t.Fatal(err)
	}
	if r := e.do(req{method: "POST", path: "/api/v1/apps/blog/triggers/http", token: tok, body: map[string]any{"script": "nosuch", "path": "/x"}}); r.code != 400 {
		t.Fatal(r)
	}
	if r := create("queue", map[string]any{"queue": "more"}); r.code != 201 {
		t.Fatal(r)
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	n, err := conn.Conn().WaitForNotification(wctx)
	if err != nil {
		t.Fatal(err)
	}
	if n.Payload != strconv.FormatInt(shop.ID, 10) {
		t.Fatalf("first notification for app %s, want shop's %d (blog is %d)", n.Payload, shop.ID, blog.ID)
	}
}

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
