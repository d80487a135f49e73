package store_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/picloud/picloud/db/store"
)

// The batch KV writes an invocation's commit uses, and the usage counter the
// statement triggers keep for the quota.
func TestKVBatchAndUsage(t *testing.T) {
	st, tx := txStore(t)
	ctx := t.Context()
	f := newFixture(t, st, "batch")
	usage := func() int64 {
		t.Helper()
		return must[int64](t)(st.KV.Usage(ctx, f.app.ID))
	}
	exact := func() int64 {
		t.Helper()
		return int64(count(t, tx, `SELECT coalesce(sum(octet_length(key) + octet_length(value::text)), 0)::int FROM kv WHERE app_id = $1`, f.app.ID))
	}
	if got := usage(); got != 0 {
		t.Fatalf("usage of an empty store: %d", got)
	}
	if n := count(t, tx, `SELECT count(*) FROM kv_usage WHERE app_id = $1`, f.app.ID); n != 1 {
		t.Fatalf("a new app has %d kv_usage rows, want 1", n)
	}
	set := must[[]store.KVPair](t)(st.KV.SetMany(ctx, f.app.ID, []string{"a", "b", "c"},
		[]json.RawMessage{json.RawMessage(`{"x":[1,2]}`), json.RawMessage(`"bee"`), json.RawMessage(`3`)}))
	if len(set) != 3 || set[0].Key != "a" || !jsonEqual(set[0].Value, []byte(`{"x":[1,2]}`)) {
		t.Fatalf("SetMany returned %+v", set)
	}
	if got, want := usage(), exact(); got != want || got == 0 {
		t.Fatalf("usage after inserts: %d, want %d", got, want)
	}
	if locked := must[int64](t)(st.KV.LockUsage(ctx, f.app.ID)); locked != exact() {
		t.Fatalf("LockUsage = %d, want %d", locked, exact())
	}
	must[[]store.KVPair](t)(st.KV.SetMany(ctx, f.app.ID, []string{"b"}, []json.RawMessage{json.RawMessage(`"a much longer value"`)}))
	if got, want := usage(), exact(); got != want {
		t.Fatalf("usage after an update: %d, want %d", got, want)
	}
	inc := must[[]store.KVPair](t)(st.KV.IncrMany(ctx, f.app.ID, []string{"c", "n"}, []int64{4, -2}))
	if len(inc) != 2 || string(inc[0].Value) != "7" || string(inc[1].Value) != "-2" {
		t.Fatalf("IncrMany returned %+v", inc)
	}
	if err := try(t, st, func(st *store.Store) ([]store.KVPair, error) {
		return st.KV.IncrMany(ctx, f.app.ID, []string{"b"}, []int64{1})
	}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("incrementing a string: %v, want ErrInvalid", err)
	}
	sizes := must[map[string]int64](t)(st.KV.Sizes(ctx, f.app.ID, []string{"a", "c", "missing"}))
	if len(sizes) != 2 || sizes["c"] != 2 || sizes["a"] != int64(len("a")+len(`{"x": [1, 2]}`)) {
		t.Fatalf("Sizes = %v", sizes)
	}
	gone := must[[]string](t)(st.KV.DeleteMany(ctx, f.app.ID, []string{"a", "missing", "n"}))
	if len(gone) != 2 {
		t.Fatalf("DeleteMany = %v, want a and n", gone)
	}
	if got, want := usage(), exact(); got != want {
		t.Fatalf("usage after deletes: %d, want %d", got, want)
	}
	// Deleting the app takes its counter with it.
	if err := st.Apps.Delete(ctx, f.app.ID); err != nil {
		t.Fatal(err)
	}
	if n := count(t, tx, `SELECT count(*) FROM kv_usage WHERE app_id = $1`, f.app.ID); n != 0 {
		t.Fatalf("%d kv_usage rows left after the app's deletion", n)
	}
}

func TestKVChangedMany(t *testing.T) {
	st, _ := txStore(t)
	ctx := t.Context()
	f := newFixture(t, st, "kvmany")
	f.trigger(t, st, store.Trigger{Kind: store.KindKV, KV: &store.KVTrigger{KeyPattern: "user:*"}})
	f.trigger(t, st, store.Trigger{Kind: store.KindKV, KV: &store.KVTrigger{KeyPattern: "user:1", Ops: []string{"delete"}}})
	f.trigger(t, st, store.Trigger{Kind: store.KindKV, KV: &store.KVTrigger{KeyPattern: "*", Ops: []string{"set"}}})
	n := must[int64](t)(st.Outbox.KVChangedMany(ctx, f.app.ID, []store.KVChange{
		{Key: "user:1", Op: "set", EventID: newID(), Payload: payload},    // user:*, *
		{Key: "user:1", Op: "delete", EventID: newID(), Payload: payload}, // user:*, user:1
		{Key: "other", Op: "delete", EventID: newID(), Payload: payload},  // none
		{Key: "other", Op: "set", EventID: newID(), Payload: payload},     // *
	}))
	if n != 5 {
		t.Fatalf("KVChangedMany made %d deliveries, want 5", n)
	}
}

// Nodes, the rescue of a dead node's deliveries, the leader lock and the
// helpers of the delivery API.
func TestNodesAndOrphanRescue(t *testing.T) {
	st, pool := freshStore(t)
	ctx := t.Context()
	f := newFixture(t, st, "nodes")
	tr := f.trigger(t, st, store.Trigger{Kind: store.KindPubsub, Pubsub: &store.PubsubTrigger{Pattern: "*"}, MaxAttempts: 2})

	if _, ok, err := st.Outbox.NextRunAt(ctx); err != nil || ok {
		t.Fatalf("NextRunAt of an empty outbox: ok %v, %v", ok, err)
	}
	alive := must[int64](t)(st.Nodes.Register(ctx, "alive"))
	dead := must[int64](t)(st.Nodes.Register(ctx, "dead"))
	if others := must[int](t)(st.Nodes.Beat(ctx, alive, "alive", time.Minute)); others != 1 {
		t.Fatalf("Beat saw %d other nodes, want 1", others)
	}
	for range 3 {
		mustPublish(t, st, f.app.ID, "t", 1)
	}
	if next, ok, err := st.Outbox.NextRunAt(ctx); err != nil || !ok || time.Since(next) > time.Minute {
		t.Fatalf("NextRunAt = %v, %v, %v", next, ok, err)
	}
	a := must[[]store.Delivery](t)(st.Outbox.Claim(ctx, alive, time.Hour, 1))
	d := must[[]store.Delivery](t)(st.Outbox.Claim(ctx, dead, time.Hour, 2))
	if len(a) != 1 || len(d) != 2 {
		t.Fatalf("claimed %d and %d", len(a), len(d))
	}
	// The second of dead's rows is on its last attempt: fail it once first.
	if ok := must[bool](t)(st.Outbox.Fail(ctx, dead, store.Claimed{ID: d[1].ID, Attempt: 1}, past, "boom")); !ok {
		t.Fatal("Fail did not apply")
	}
	if again := must[[]store.Delivery](t)(st.Outbox.Claim(ctx, dead, time.Hour, 1)); len(again) != 1 || again[0].Attempt != 2 {
		t.Fatalf("re-claim: %+v", again)
	}
	if _, err := pool.Exec(ctx, `UPDATE dispatcher_nodes SET last_seen = now() - interval '1 hour' WHERE id = $1`, dead); err != nil {
		t.Fatal(err)
	}
	var requeued, deadLettered int64
	err := st.InTx(ctx, func(st *store.Store) error {
		lead, err := st.Nodes.TryLead(ctx, 42)
		if err != nil || !lead {
			t.Errorf("TryLead = %v, %v", lead, err)
		}
		// Another session cannot take it meanwhile.
		other := store.New(pool)
		if err := other.InTx(ctx, func(o *store.Store) error {
			if lead, err := o.Nodes.TryLead(ctx, 42); err != nil || lead {
				t.Errorf("second TryLead = %v, %v", lead, err)
			}
			return nil
		}); err != nil {
			return err
		}
		requeued, deadLettered, err = st.Outbox.RescueOrphans(ctx, 10*time.Second)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if requeued != 1 || deadLettered != 1 {
		t.Fatalf("RescueOrphans: %d requeued, %d dead; want 1 and 1", requeued, deadLettered)
	}
	if n := must[int64](t)(st.Nodes.ForgetDead(ctx, 10*time.Second)); n != 1 {
		t.Fatalf("ForgetDead = %d, want 1", n)
	}
	// The dead node comes back: its heartbeat registers it again.
	if _, err := st.Nodes.Beat(ctx, dead, "dead", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if n := count(t, pool, `SELECT count(*) FROM dispatcher_nodes`); n != 2 {
		t.Fatalf("%d nodes after the beat, want 2", n)
	}
	if err := st.Nodes.Unregister(ctx, dead); err != nil {
		t.Fatal(err)
	}

	// The rescued row is pending with a backoff and counts as retrying.
	retrying := must[[]store.Delivery](t)(st.Outbox.ListRetrying(ctx, f.app.ID, 0, 10))
	if len(retrying) != 1 || retrying[0].ID != d[0].ID || retrying[0].LastError == "" || !retrying[0].RunAt.After(time.Now()) {
		t.Fatalf("ListRetrying = %+v", retrying)
	}
	if n := must[int64](t)(st.Outbox.RunNow(ctx, f.app.ID, []int64{d[0].ID, a[0].ID})); n != 1 {
		t.Fatalf("RunNow changed %d rows, want 1 (the running one is left alone)", n)
	}
	got := must[store.Delivery](t)(st.Outbox.Get(ctx, f.app.ID, d[0].ID))
	if got.State != store.StatePending || got.RunAt.After(time.Now()) || got.TriggerID != tr.ID {
		t.Fatalf("Get after RunNow: %+v", got)
	}
	if err := st.Outbox.DiscardPending(ctx, f.app.ID, a[0].ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("discarding a running delivery: %v, want ErrNotFound", err)
	}
	if err := st.Outbox.DiscardPending(ctx, f.app.ID, d[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Outbox.Get(ctx, f.app.ID, d[0].ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get after discard: %v", err)
	}
}

func TestCronNextDue(t *testing.T) {
	st, _ := txStore(t)
	ctx := t.Context()
	f := newFixture(t, st, "crondue")
	if _, ok, err := st.Triggers.CronNextDue(ctx); err != nil || ok {
		t.Fatalf("no cron triggers: ok %v, %v", ok, err)
	}
	at := time.Now().Add(time.Hour).Truncate(time.Second)
	f.trigger(t, st, store.Trigger{Kind: store.KindCron, Cron: &store.CronTrigger{Schedule: "@hourly", NextRunAt: at}})
	f.trigger(t, st, store.Trigger{Kind: store.KindCron, Cron: &store.CronTrigger{Schedule: "@daily", NextRunAt: at.Add(time.Hour)}})
	next, ok, err := st.Triggers.CronNextDue(ctx)
	if err != nil || !ok || !next.Equal(at) {
		t.Fatalf("CronNextDue = %v, %v, %v; want %v", next, ok, err, at)
	}
}

// A push with a delay counts from the database's clock.
func TestPushAfter(t *testing.T) {
	st, _ := txStore(t)
	ctx := t.Context()
	f := newFixture(t, st, "pushafter")
	id, waiting, runAt, err := st.Outbox.PushAfter(ctx, f.app.ID, "jobs", newID(), payload, 10*time.Minute)
	if err != nil || !waiting || id == 0 || time.Until(runAt) < 9*time.Minute {
		t.Fatalf("PushAfter = %d, %v, %v, %v", id, waiting, runAt, err)
	}
	f.trigger(t, st, store.Trigger{Kind: store.KindQueue, Queue: &store.QueueTrigger{Queue: "jobs"}})
	_, waiting, runAt, err = st.Outbox.PushAfter(ctx, f.app.ID, "jobs", newID(), payload, 0)
	if err != nil || waiting || time.Since(runAt) > time.Minute {
		t.Fatalf("PushAfter to a consumed queue = %v, %v, %v", waiting, runAt, err)
	}
}
