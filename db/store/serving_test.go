package store_test

import (
	"crypto/sha256"
	"testing"

	"github.com/picloud/picloud/db/store"
)

// The public router's view: scripts with an active version, their sources
// and the enabled HTTP routes, of one app or of all.
func TestServing(t *testing.T) {
	st, _ := txStore(t)
	ctx := t.Context()
	a := newFixture(t, st, "a")
	b := newFixture(t, st, "b")
	// A script with no version and one with a version not activated are not
	// served.
	must[store.Script](t)(st.Scripts.Insert(ctx, a.app.ID, "empty"))
	draft := must[store.Script](t)(st.Scripts.Insert(ctx, a.app.ID, "draft"))
	must[store.ScriptVersion](t)(st.Scripts.AddVersion(ctx, draft.ID, "1"))
	// b/main gets version 2 and a disabled cron trigger.
	v2 := must[store.ScriptVersion](t)(st.Scripts.AddVersion(ctx, b.script.ID, `"v2"`))
	must[store.Script](t)(st.Scripts.Activate(ctx, b.script.ID, 2))
	b.trigger(t, st, store.Trigger{Kind: store.KindCron, Cron: &store.CronTrigger{Schedule: "@hourly"}})
	get := a.trigger(t, st, store.Trigger{Kind: store.KindHTTP, HTTP: &store.HTTPTrigger{Method: "GET", Path: "/users/:id"}})
	off := a.trigger(t, st, store.Trigger{Kind: store.KindHTTP, HTTP: &store.HTTPTrigger{Method: "POST", Path: "/users"}})
	if err := st.Triggers.SetEnabled(ctx, off.ID, false); err != nil {
		t.Fatal(err)
	}
	rest := b.trigger(t, st, store.Trigger{Kind: store.KindHTTP, HTTP: &store.HTTPTrigger{Method: "ANY", Path: "/*rest"}})

	all := must[[]store.ServingScript](t)(st.Scripts.Serving(ctx, 0))
	if len(all) != 2 {
		t.Fatalf("Serving(0) = %+v, want a/main and b/main", all)
	}
	if s := all[0]; s.ID != a.script.ID || s.AppID != a.app.ID || s.Name != "main" || s.Version != 1 || !s.HasTrigger ||
		s.SHA256 != sha256.Sum256([]byte(`"hello"`)) {
		t.Fatalf("Serving(0)[0] = %+v", s)
	}
	if s := all[1]; s.ID != b.script.ID || s.Version != 2 || s.VersionID != v2.ID || !s.HasTrigger || s.SHA256 != v2.SHA256 {
		t.Fatalf("Serving(0)[1] = %+v", s)
	}
	one := must[[]store.ServingScript](t)(st.Scripts.Serving(ctx, b.app.ID))
	if len(one) != 1 || one[0].ID != b.script.ID {
		t.Fatalf("Serving(b) = %+v", one)
	}
	// A script with no trigger at all says so.
	c := newFixture(t, st, "c")
	if got := must[[]store.ServingScript](t)(st.Scripts.Serving(ctx, c.app.ID)); len(got) != 1 || got[0].HasTrigger {
		t.Fatalf("Serving(c) = %+v, want one script without triggers", got)
	}

	src := must[map[int64]string](t)(st.Scripts.Sources(ctx, []int64{all[0].VersionID, v2.ID, -1}))
	if len(src) != 2 || src[all[0].VersionID] != `"hello"` || src[v2.ID] != `"v2"` {
		t.Fatalf("Sources = %v", src)
	}

	routes := must[[]store.ServingRoute](t)(st.Triggers.ServingRoutes(ctx, 0))
	want := []store.ServingRoute{
		{AppID: a.app.ID, HTTPRoute: store.HTTPRoute{TriggerID: get.ID, ScriptID: a.script.ID, Method: "GET", Path: "/users/:id"}},
		{AppID: b.app.ID, HTTPRoute: store.HTTPRoute{TriggerID: rest.ID, ScriptID: b.script.ID, Method: "ANY", Path: "/*rest"}},
	}
	if len(routes) != len(want) || routes[0] != want[0] || routes[1] != want[1] {
		t.Fatalf("ServingRoutes(0) = %+v, want %+v", routes, want)
	}
	if got := must[[]store.ServingRoute](t)(st.Triggers.ServingRoutes(ctx, b.app.ID)); len(got) != 1 || got[0] != want[1] {
		t.Fatalf("ServingRoutes(b) = %+v", got)
	}
}
