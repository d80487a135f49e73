package api

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/picloud/picloud/auth"
	"github.com/picloud/picloud/db/store"
)

func TestAppStats(t *testing.T) {
	now := time.Date(2030, 5, 6, 12, 30, 45, 0, time.UTC)
	e := newEnv(t, envOptions{cfg: Config{Now: func() time.Time { return now }}})
	f := newFixture(t, e, "shop")
	ctx := t.Context()

	// Two minutes ago: 3 ok of 10, 20, 30 ms; this minute: one error of 40 ms;
	// an hour ago: one that falls outside the default window.
	var invs []store.Invocation
	for _, inv := range []struct {
		ago time.Duration
		ms  int
		o   store.Outcome
	}{
		{2 * time.Minute, 10, store.OutcomeOK}, {2 * time.Minute, 20, store.OutcomeOK}, {2 * time.Minute, 30, store.OutcomeOK},
		{0, 40, store.OutcomeError}, {time.Hour, 50, store.OutcomeOK},
	} {
		invs = append(invs, store.Invocation{
			ID: uuid.Must(uuid.NewV7()), AppID: f.app.ID, ScriptID: f.script.ID, Version: 1, TriggerKind: store.KindManual,
			StartedAt: now.Add(-inv.ago), Duration: time.Duration(inv.ms) * time.Millisecond, Outcome: inv.o,
		})
	}
	if err := e.st.Invocations.InsertBatch(ctx, invs); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.st.Outbox.Push(ctx, f.app.ID, "nobody", uuid.Must(uuid.NewV7()), []byte(`{}`), now); err != nil {
		t.Fatal(err)
	}

	tok := e.token("shop", auth.ScriptRead)
	r := e.do(req{method: "GET", path: "/api/v1/apps/shop/stats?minutes=5", token: tok})
	if r.code != 200 {
		t.Fatal(r)
	}
	buckets, _ := r.body["buckets"].([]any)
	if len(buckets) != 5 || r.str("since") != "2030-05-06T12:26:00Z" {
		t.Fatalf("got %d buckets since %s, want 5 since 12:26", len(buckets), r.str("since"))
	}
	b := func(i int) map[string]any { m, _ := buckets[i].(map[string]any); return m }
	if b(2)["minute"] != "2030-05-06T12:28:00Z" || b(2)["ok"] != float64(3) || b(2)["p50_us"] != float64(20000) || b(2)["p99_us"] != float64(29800) {
		t.Errorf("bucket 12:28 = %v, want 3 ok, p50 20ms, p99 29.8ms", b(2))
	}
	if b(4)["error"] != float64(1) || b(4)["ok"] != float64(0) || b(4)["p50_us"] != float64(40000) {
		t.Errorf("bucket 12:30 = %v, want 1 error of 40ms", b(4))
	}
	if b(0)["ok"] != float64(0) || b(0)["p99_us"] != float64(0) {
		t.Errorf("bucket 12:26 = %v, want zeros", b(0))
	}
	totals, _ := r.body["totals"].(map[string]any)
	if totals["invocations"] != float64(4) || totals["failed"] != float64(1) || totals["p50_us"] != float64(25000) {
		t.Errorf("totals = %v, want 4 invocations, 1 failed, p50 25ms", totals)
	}
	backlog, _ := r.body["backlog"].(map[string]any)
	if backlog["waiting"] != float64(1) || backlog["pending"] != float64(0) || backlog["dead"] != float64(0) {
		t.Errorf("backlog = %v, want one waiting queue message", backlog)
	}

	// The default window is an hour, the current minute included.
	r = e.do(req{method: "GET", path: "/api/v1/apps/shop/stats", token: tok})
	if buckets, _ := r.body["buckets"].([]any); r.code != 200 || len(buckets) != 60 || r.num("minutes") != 60 {
		t.Errorf("default window: %d buckets, %s", len(buckets), r)
	}
	for _, bad := range []string{"0", "1441", "x"} {
		problemCode(t, e.do(req{method: "GET", path: "/api/v1/apps/shop/stats?minutes=" + bad, token: tok}), 400, CodeInvalidField)
	}
	// Another app's token sees no such app.
	other := e.token("", auth.ScriptRead)
	problemCode(t, e.do(req{method: "GET", path: "/api/v1/apps/nope/stats", token: other}), 404, CodeAppNotFound)
}
