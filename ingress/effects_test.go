package ingress_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/picloud/picloud/db/dbtest"
	"github.com/picloud/picloud/db/store"
	"github.com/picloud/picloud/effects"
	"github.com/picloud/picloud/ingress"
	"github.com/picloud/picloud/runtime"
)

// An HTTP invocation's effects are committed when the script succeeds and
// dropped when it fails, a write over the app's KV quota included.
func TestHTTPEffects(t *testing.T) {
	pool := dbtest.Fresh(t)
	st := store.New(pool)
	a := app(t, st, store.App{Slug: "fx", Limits: store.Limits{KVQuotaBytes: 200}})
	deploy(t, st, a.ID, "ok", `kv::set("n", kv::incr("hits", 1)); pubsub::publish_durable("hit", ctx.event.http.path); "done"`)
	deploy(t, st, a.ID, "fail", `kv::set("n", -1); pubsub::publish_durable("hit", 1); throw "no"`)
	deploy(t, st, a.ID, "big", `let s = ""; s.pad(150, "x"); kv::set("a", s); kv::set("b", s); "stored"`)
	sub := deploy(t, st, a.ID, "sub", `()`)
	if _, err := st.Triggers.Insert(t.Context(), store.Trigger{AppID: a.ID, ScriptID: sub.ID, Kind: store.KindPubsub,
		Enabled: true, Pubsub: &store.PubsubTrigger{Pattern: "hit"}}); err != nil {
		t.Fatal(err)
	}
	host, err := runtime.New(context.Background(), runtime.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = host.Close(context.Background()) })
	fx, err := effects.New(effects.Config{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	h, err := ingress.New(t.Context(), ingress.Config{Store: st, Invoker: host, Effects: fx})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	s := &server{t: t, pool: pool, st: st, url: srv.URL, h: h}

	value := func(key string) string {
		t.Helper()
		v, err := st.KV.Get(t.Context(), a.ID, key)
		if errors.Is(err, store.ErrNotFound) {
			return ""
		}
		if err != nil {
			t.Fatal(err)
		}
		return string(v.Value)
	}
	rows := func() int {
		t.Helper()
		var n int
		if err := pool.QueryRow(t.Context(), `SELECT count(*) FROM outbox`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for range 2 {
		if r := s.get("/fx/ok"); r.status != 200 || r.body != "done" {
			t.Fatalf("ok: %d %s", r.status, r.body)
		}
	}
	if value("hits") != "2" || value("n") != "2" || rows() != 2 {
		t.Fatalf("after two successes: hits %s, n %s, %d outbox rows", value("hits"), value("n"), rows())
	}
	if r := s.get("/fx/fail"); r.status != 500 {
		t.Fatalf("fail: %d %s", r.status, r.body)
	}
	if value("n") != "2" || rows() != 2 {
		t.Fatalf("a failed script's effects were kept: n %s, %d rows", value("n"), rows())
	}
	r := s.get("/fx/big")
	if p := r.problem(t); r.status != 500 || p["code"] != ingress.CodeScriptError {
		t.Fatalf("over the quota: %d %v", r.status, p)
	}
	if value("a") != "" {
		t.Fatal("a write over the quota was kept")
	}
}
