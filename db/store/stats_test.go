package store_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/picloud/picloud/db/store"
)

func TestInvocationStats(t *testing.T) {
	st, _ := txStore(t)
	ctx := t.Context()
	f := newFixture(t, st, "stats")
	other := newFixture(t, st, "stats-other")

	// Minute 0: durations 1..100 ms, every tenth an error; minute 2: one
	// timeout. Another app's invocations and older ones do not count.
	var invs []store.Invocation
	add := func(fx fixture, at time.Time, d time.Duration, o store.Outcome) {
		invs = append(invs, store.Invocation{
			ID: newID(), AppID: fx.app.ID, ScriptID: fx.script.ID, Version: 1, TriggerKind: store.KindHTTP,
			StartedAt: at, Duration: d, Outcome: o,
		})
	}
	for i := 1; i <= 100; i++ {
		o := store.OutcomeOK
		if i%10 == 0 {
			o = store.OutcomeError
		}
		add(f, t0.Add(time.Duration(i)*100*time.Millisecond), time.Duration(i)*time.Millisecond, o)
	}
	add(f, t0.Add(2*time.Minute+time.Second), 5*time.Second, store.OutcomeTimeout)
	add(f, t0.Add(-time.Minute), time.Second, store.OutcomeOK)
	add(other, t0.Add(time.Second), time.Second, store.OutcomeOK)
	if err := st.Invocations.InsertBatch(ctx, invs); err != nil {
		t.Fatal(err)
	}

	minutes, total, err := st.Invocations.Stats(ctx, f.app.ID, t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(minutes) != 2 {
		t.Fatalf("got %d minutes, want 2: %+v", len(minutes), minutes)
	}
	m0, m2 := minutes[0], minutes[1]
	if !m0.Minute.Equal(t0) || !m2.Minute.Equal(t0.Add(2*time.Minute)) {
		t.Errorf("minutes %v, %v, want %v and two minutes later", m0.Minute, m2.Minute, t0)
	}
	if m0.Outcomes[store.OutcomeOK] != 90 || m0.Outcomes[store.OutcomeError] != 10 || len(m0.Outcomes) != 2 {
		t.Errorf("minute 0 outcomes = %v, want 90 ok and 10 error", m0.Outcomes)
	}
	// percentile_cont interpolates: the median of 1..100 ms is 50.5 ms,
	// the 99th percentile 99.01 ms (rounded to microseconds).
	if m0.P50 != 50500*time.Microsecond || m0.P99 != 99010*time.Microsecond {
		t.Errorf("minute 0 p50, p99 = %v, %v, want 50.5ms, 99.01ms", m0.P50, m0.P99)
	}
	if m2.Outcomes[store.OutcomeTimeout] != 1 || m2.P50 != 5*time.Second || m2.P99 != 5*time.Second {
		t.Errorf("minute 2 = %+v, want one timeout of 5s", m2)
	}
	if total.Invocations != 101 || total.Failed != 11 || total.P50 != 51*time.Millisecond {
		t.Errorf("total = %+v, want 101 invocations, 11 failed, p50 51ms", total)
	}

	// No invocations: no minutes, zero totals.
	minutes, total, err = st.Invocations.Stats(ctx, f.app.ID, t0.Add(time.Hour))
	if err != nil || len(minutes) != 0 || total != (store.WindowStats{}) {
		t.Errorf("empty window = %v, %+v, %v", minutes, total, err)
	}
}

func TestOutboxBacklog(t *testing.T) {
	st, _ := txStore(t)
	ctx := t.Context()
	f := newFixture(t, st, "backlog")
	f.trigger(t, st, store.Trigger{Kind: store.KindQueue, Queue: &store.QueueTrigger{Queue: "bound"}})
	payload := json.RawMessage(`{}`)
	past := time.Now().Add(-time.Second)

	if got := must[store.Backlog](t)(st.Outbox.Backlog(ctx, f.app.ID)); got != (store.Backlog{}) {
		t.Fatalf("empty app: %+v", got)
	}
	must[int64](t)(pushed(st.Outbox.Push(ctx, f.app.ID, "unbound", newID(), payload, past)))
	for range 3 {
		must[int64](t)(pushed(st.Outbox.Push(ctx, f.app.ID, "bound", newID(), payload, past)))
	}
	claimed := must[[]store.Delivery](t)(st.Outbox.Claim(ctx, 1, time.Minute, 2))
	if len(claimed) != 2 {
		t.Fatalf("claimed %d, want 2", len(claimed))
	}
	must[bool](t)(st.Outbox.Fail(ctx, 1, store.Claimed{ID: claimed[0].ID, Attempt: 1}, time.Now().Add(time.Hour), "boom"))
	must[bool](t)(st.Outbox.FailFinal(ctx, 1, store.Claimed{ID: claimed[1].ID, Attempt: 1}, "boom"))

	want := store.Backlog{Pending: 1, Retrying: 1, Waiting: 1, Dead: 1}
	if got := must[store.Backlog](t)(st.Outbox.Backlog(ctx, f.app.ID)); got != want {
		t.Errorf("Backlog = %+v, want %+v", got, want)
	}
	must[[]store.Delivery](t)(st.Outbox.Claim(ctx, 1, time.Minute, 1))
	want.Pending, want.Running = 0, 1
	if got := must[store.Backlog](t)(st.Outbox.Backlog(ctx, f.app.ID)); got != want {
		t.Errorf("after a claim: Backlog = %+v, want %+v", got, want)
	}
}

// pushed drops Push's waiting result.
func pushed(id int64, _ bool, err error) (int64, error) { return id, err }
