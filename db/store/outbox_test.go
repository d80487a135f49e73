package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/picloud/picloud/db/store"
)

var (
	payload = json.RawMessage(`{"n":1}`)
	past    = time.Now().Add(-time.Hour)
)

func newID() uuid.UUID { return uuid.Must(uuid.NewV7()) }

func mustPublish(t *testing.T, st *store.Store, appID int64, topic string, want int64) {
	t.Helper()
	n, err := st.Outbox.Publish(t.Context(), appID, topic, newID(), "", payload)
	if err != nil || n != want {
		t.Fatalf("Publish(%q) = %d, %v; want %d deliveries", topic, n, err, want)
	}
}

func TestPublishMatching(t *testing.T) {
	st, _ := txStore(t)
	ctx := t.Context()
	f := newFixture(t, st, "pub")
	other := newFixture(t, st, "other")
	for _, p := range []string{"orders.created", "orders.*", "*", "users.*", "orders.eu.*"} {
		f.trigger(t, st, store.Trigger{Kind: store.KindPubsub, Pubsub: &store.PubsubTrigger{Pattern: p}})
	}
	off := f.trigger(t, st, store.Trigger{Kind: store.KindPubsub, Pubsub: &store.PubsubTrigger{Pattern: "orders.*"}})
	if err := st.Triggers.SetEnabled(ctx, off.ID, false); err != nil {
		t.Fatal(err)
	}
	other.trigger(t, st, store.Trigger{Kind: store.KindPubsub, Pubsub: &store.PubsubTrigger{Pattern: "*"}})

	tests := []struct {
		topic string
		want  int64
	}{
		{"orders.created", 3},    // exact, orders.*, *
		{"orders.eu.created", 3}, // orders.*, *, orders.eu.*
		{"orders", 1},            // * only: orders.* needs a segment after the dot
		{"ordersx.created", 1},   // *
		{"users.1", 2},           // users.*, *
	}
	for _, tt := range tests {
		mustPublish(t, st, f.app.ID, tt.topic, tt.want)
	}

	// An idempotency key makes a repeated publish a no-op per trigger.
	event := newID()
	if n := must[int64](t)(st.Outbox.Publish(ctx, f.app.ID, "users.2", event, "key-1", payload)); n != 2 {
		t.Fatalf("first keyed publish: %d", n)
	}
	if n := must[int64](t)(st.Outbox.Publish(ctx, f.app.ID, "users.2", newID(), "key-1", payload)); n != 0 {
		t.Fatalf("repeated keyed publish: %d deliveries, want 0", n)
	}
	list := must[[]store.Delivery](t)(st.Outbox.List(ctx, f.app.ID, nil, 0, 100))
	keyed := 0
	for _, d := range list {
		if d.DedupeKey == "key-1" {
			keyed++
			if d.EventID != event || d.Kind != store.KindPubsub || d.State != store.StatePending || !jsonEqual(d.Payload, payload) {
				t.Errorf("keyed delivery %+v", d)
			}
		}
	}
	if keyed != 2 || len(list) != 12 {
		t.Fatalf("%d deliveries, %d keyed; want 12 and 2", len(list), keyed)
	}
}

func TestQueueMessagesWaitForConsumer(t *testing.T) {
	st, _ := txStore(t)
	ctx := t.Context()
	f := newFixture(t, st, "q")
	waiting := store.StateWaiting

	first, isWaiting, err := st.Outbox.Push(ctx, f.app.ID, "jobs", newID(), payload, past)
	if err != nil || !isWaiting {
		t.Fatalf("Push without consumer: waiting %v, %v", isWaiting, err)
	}
	if got := must[[]store.Delivery](t)(st.Outbox.List(ctx, f.app.ID, &waiting, 0, 10)); len(got) != 1 || got[0].ID != first || got[0].TriggerID != 0 || got[0].Queue != "jobs" {
		t.Fatalf("waiting = %+v", got)
	}
	if got := must[[]store.Delivery](t)(st.Outbox.Claim(ctx, 1, time.Minute, 10)); len(got) != 0 {
		t.Fatalf("claimed a waiting message: %+v", got)
	}

	consumer := f.trigger(t, st, store.Trigger{Kind: store.KindQueue, MaxAttempts: 4, Queue: &store.QueueTrigger{Queue: "jobs"}})
	second, isWaiting, err := st.Outbox.Push(ctx, f.app.ID, "jobs", newID(), payload, past)
	if err != nil || isWaiting {
		t.Fatalf("Push with consumer: waiting %v, %v", isWaiting, err)
	}
	all := must[[]store.Delivery](t)(st.Outbox.List(ctx, f.app.ID, nil, 0, 10))
	if len(all) != 2 {
		t.Fatalf("%d deliveries, want 2", len(all))
	}
	for _, d := range all {
		if d.State != store.StatePending || d.TriggerID != consumer.ID || d.ScriptID != f.script.ID || d.MaxAttempts != 4 {
			t.Errorf("after binding: %+v", d)
		}
	}

	if err := st.Triggers.Delete(ctx, consumer.ID); err != nil {
		t.Fatal(err)
	}
	got := must[[]store.Delivery](t)(st.Outbox.List(ctx, f.app.ID, &waiting, 0, 10))
	if len(got) != 2 || got[0].ID != first || got[1].ID != second {
		t.Fatalf("after deleting the consumer, waiting = %+v; want both messages", got)
	}
}

func TestKVChangeEvents(t *testing.T) {
	st, _ := txStore(t)
	ctx := t.Context()
	f := newFixture(t, st, "kvev")
	f.trigger(t, st, store.Trigger{Kind: store.KindKV, KV: &store.KVTrigger{KeyPattern: "user:*", Ops: []string{"set"}}})
	f.trigger(t, st, store.Trigger{Kind: store.KindKV, KV: &store.KVTrigger{KeyPattern: "config", Ops: []string{"delete"}}})
	f.trigger(t, st, store.Trigger{Kind: store.KindKV, KV: &store.KVTrigger{KeyPattern: "*"}})
	tests := []struct {
		key, op string
		want    int64
	}{
		{"user:1", "set", 2},
		{"user:1", "delete", 1},
		{"config", "delete", 2},
		{"config", "set", 1},
		{"user", "set", 1}, // "user:*" needs the colon
	}
	for _, tt := range tests {
		if n := must[int64](t)(st.Outbox.KVChanged(ctx, f.app.ID, tt.key, tt.op, newID(), payload)); n != tt.want {
			t.Errorf("KVChanged(%s, %s) = %d, want %d", tt.key, tt.op, n, tt.want)
		}
	}
}

func TestEnqueueDedupe(t *testing.T) {
	st, _ := txStore(t)
	ctx := t.Context()
	f := newFixture(t, st, "enq")
	cron := f.trigger(t, st, store.Trigger{Kind: store.KindCron, Cron: &store.CronTrigger{Schedule: "@hourly"}})
	http := f.trigger(t, st, store.Trigger{Kind: store.KindHTTP, HTTP: &store.HTTPTrigger{Method: "GET", Path: "/"}})

	id, inserted, err := st.Outbox.Enqueue(ctx, cron.ID, newID(), "2030-01-01T00:00:00Z", payload, past)
	if err != nil || !inserted || id == 0 {
		t.Fatalf("Enqueue = %d, %v, %v", id, inserted, err)
	}
	if _, inserted, err := st.Outbox.Enqueue(ctx, cron.ID, newID(), "2030-01-01T00:00:00Z", payload, past); err != nil || inserted {
		t.Fatalf("same tick again: inserted %v, %v; want a no-op", inserted, err)
	}
	if _, inserted, err := st.Outbox.Enqueue(ctx, cron.ID, newID(), "", payload, past); err != nil || !inserted {
		t.Fatalf("without a key: inserted %v, %v", inserted, err)
	}
	if _, _, err := st.Outbox.Enqueue(ctx, -1, newID(), "k", payload, past); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing trigger: got %v, want ErrNotFound", err)
	}
	if _, _, err := st.Outbox.Enqueue(ctx, http.ID, newID(), "", payload, past); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("http trigger: got %v, want ErrNotFound (http is synchronous)", err)
	}
}

// The life of deliveries: claim, fenced completion, retry, heartbeat,
// release, rescue, dead letters, replay, discard, purge.
func TestDeliveryLifecycle(t *testing.T) {
	st, pool := freshStore(t)
	ctx := t.Context()
	f := newFixture(t, st, "life")
	sub := f.trigger(t, st, store.Trigger{Kind: store.KindPubsub, MaxAttempts: 2, Pubsub: &store.PubsubTrigger{Pattern: "a"}})
	notice := f.trigger(t, st, store.Trigger{Kind: store.KindDeadletter, Deadletter: &store.DeadletterTrigger{SourceKind: store.KindPubsub}})
	const node, stale = 7, 8

	event := newID()
	must[int64](t)(st.Outbox.Publish(ctx, f.app.ID, "a", event, "", payload))
	claimed := must[[]store.Delivery](t)(st.Outbox.Claim(ctx, node, time.Minute, 10))
	if len(claimed) != 1 || claimed[0].Attempt != 1 || claimed[0].TriggerID != sub.ID || claimed[0].EventID != event || claimed[0].ClaimedBy != node {
		t.Fatalf("Claim = %+v", claimed)
	}
	d := store.Claimed{ID: claimed[0].ID, Attempt: claimed[0].Attempt}
	if again := must[[]store.Delivery](t)(st.Outbox.Claim(ctx, stale, time.Minute, 10)); len(again) != 0 {
		t.Fatalf("a claimed row was claimed again: %+v", again)
	}
	if n := must[int64](t)(st.Outbox.Heartbeat(ctx, node, []int64{d.ID}, time.Hour)); n != 1 {
		t.Fatalf("Heartbeat = %d", n)
	}
	if n := must[int64](t)(st.Outbox.Heartbeat(ctx, stale, []int64{d.ID}, time.Hour)); n != 0 {
		t.Fatalf("Heartbeat by another node = %d", n)
	}

	// Fenced: another node or another attempt changes nothing.
	if ok := must[bool](t)(st.Outbox.Fail(ctx, stale, d, past, "x")); ok {
		t.Fatal("Fail by another node succeeded")
	}
	if n := must[int64](t)(st.Outbox.Complete(ctx, node, []store.Claimed{{ID: d.ID, Attempt: 2}})); n != 0 {
		t.Fatal("Complete of another attempt succeeded")
	}

	// Attempt 1 fails: back to pending, claimable once run_at passes.
	if ok := must[bool](t)(st.Outbox.Fail(ctx, node, d, time.Now().Add(time.Hour), "first failure")); !ok {
		t.Fatal("Fail lost the row")
	}
	if got := must[[]store.Delivery](t)(st.Outbox.Claim(ctx, node, time.Minute, 10)); len(got) != 0 {
		t.Fatalf("claimed before run_at: %+v", got)
	}
	pending := store.StatePending
	rows := must[[]store.Delivery](t)(st.Outbox.List(ctx, f.app.ID, &pending, 0, 10))
	if len(rows) != 1 || rows[0].LastError != "first failure" || rows[0].ClaimedBy != 0 {
		t.Fatalf("after Fail: %+v", rows)
	}
	if _, err := pool.Exec(ctx, "UPDATE outbox SET run_at = now() - interval '1s'"); err != nil {
		t.Fatal(err)
	}

	// Attempt 2 is released by a shutting-down node: the attempt is not counted.
	claimed = must[[]store.Delivery](t)(st.Outbox.Claim(ctx, node, time.Minute, 10))
	if len(claimed) != 1 || claimed[0].Attempt != 2 {
		t.Fatalf("second Claim = %+v", claimed)
	}
	if n := must[int64](t)(st.Outbox.Release(ctx, node)); n != 1 {
		t.Fatalf("Release = %d", n)
	}
	claimed = must[[]store.Delivery](t)(st.Outbox.Claim(ctx, node, time.Minute, 10))
	if len(claimed) != 1 || claimed[0].Attempt != 2 {
		t.Fatalf("Claim after Release = %+v", claimed)
	}
	d = store.Claimed{ID: claimed[0].ID, Attempt: 2}

	// The last attempt fails: dead letter, and the deadletter trigger is told.
	if ok := must[bool](t)(st.Outbox.FailFinal(ctx, stale, d, "x")); ok {
		t.Fatal("FailFinal by another node succeeded")
	}
	if ok := must[bool](t)(st.Outbox.FailFinal(ctx, node, d, "final failure")); !ok {
		t.Fatal("FailFinal lost the row")
	}
	notices := must[[]store.Delivery](t)(st.Outbox.List(ctx, f.app.ID, nil, 0, 10))
	if len(notices) != 1 || notices[0].TriggerID != notice.ID || notices[0].Kind != store.KindDeadletter {
		t.Fatalf("after FailFinal the outbox holds %+v; want one deadletter notice", notices)
	}
	var body struct {
		Error    string          `json:"error"`
		Attempts int             `json:"attempts"`
		Event    json.RawMessage `json:"event"`
	}
	if err := json.Unmarshal(notices[0].Payload, &body); err != nil || body.Error != "final failure" || body.Attempts != 2 || !jsonEqual(body.Event, payload) {
		t.Fatalf("notice payload %s (%v)", notices[0].Payload, err)
	}
	// The notice itself is delivered.
	claimed = must[[]store.Delivery](t)(st.Outbox.Claim(ctx, node, time.Minute, 10))
	if n := must[int64](t)(st.Outbox.Complete(ctx, node, []store.Claimed{{ID: claimed[0].ID, Attempt: claimed[0].Attempt}})); n != 1 {
		t.Fatalf("Complete = %d", n)
	}

	dead := must[[]store.DeadLetter](t)(st.Outbox.DeadLetters(ctx, f.app.ID, nil, 10))
	if len(dead) != 1 || dead[0].ID != d.ID || dead[0].LastError != "final failure" || dead[0].EventID != event || dead[0].Attempt != 2 {
		t.Fatalf("DeadLetters = %+v", dead)
	}
	if got := must[store.DeadLetter](t)(st.Outbox.DeadLetter(ctx, f.app.ID, d.ID)); got.TriggerID != sub.ID {
		t.Fatalf("DeadLetter = %+v", got)
	}
	if _, err := st.Outbox.DeadLetter(ctx, f.app.ID+1, d.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("DeadLetter of another app: got %v, want ErrNotFound", err)
	}

	// Replay: back in the outbox, attempts reset, same event.
	newDelivery := must[int64](t)(st.Outbox.Replay(ctx, f.app.ID, d.ID))
	claimed = must[[]store.Delivery](t)(st.Outbox.Claim(ctx, node, time.Minute, 10))
	if len(claimed) != 1 || claimed[0].ID != newDelivery || claimed[0].Attempt != 1 || claimed[0].EventID != event {
		t.Fatalf("after Replay: %+v", claimed)
	}
	if _, err := st.Outbox.Replay(ctx, f.app.ID, d.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second Replay: got %v, want ErrNotFound", err)
	}
	if n := must[int64](t)(st.Outbox.Complete(ctx, node, []store.Claimed{{ID: newDelivery, Attempt: 1}})); n != 1 {
		t.Fatalf("Complete = %d", n)
	}
	if got := must[[]store.Delivery](t)(st.Outbox.List(ctx, f.app.ID, nil, 0, 10)); len(got) != 0 {
		t.Fatalf("outbox not empty: %+v", got)
	}
}

func TestRescueAndDeadLetterPaging(t *testing.T) {
	st, _ := freshStore(t)
	ctx := t.Context()
	f := newFixture(t, st, "rescue")
	once := f.trigger(t, st, store.Trigger{Kind: store.KindPubsub, MaxAttempts: 1, Pubsub: &store.PubsubTrigger{Pattern: "once"}})
	twice := f.trigger(t, st, store.Trigger{Kind: store.KindPubsub, MaxAttempts: 2, Pubsub: &store.PubsubTrigger{Pattern: "twice"}})
	for range 3 {
		must[int64](t)(st.Outbox.Publish(ctx, f.app.ID, "once", newID(), "", payload))
	}
	must[int64](t)(st.Outbox.Publish(ctx, f.app.ID, "twice", newID(), "", payload))

	// A node claims everything and dies: its leases are already over.
	if got := must[[]store.Delivery](t)(st.Outbox.Claim(ctx, 1, -time.Second, 10)); len(got) != 4 {
		t.Fatalf("claimed %d, want 4", len(got))
	}
	requeued, dead, err := st.Outbox.Rescue(ctx)
	if err != nil || requeued != 1 || dead != 3 {
		t.Fatalf("Rescue = %d requeued, %d dead, %v; want 1 and 3", requeued, dead, err)
	}
	pending := store.StatePending
	rows := must[[]store.Delivery](t)(st.Outbox.List(ctx, f.app.ID, &pending, 0, 10))
	if len(rows) != 1 || rows[0].TriggerID != twice.ID || !rows[0].RunAt.After(time.Now().Add(-time.Minute)) || rows[0].LastError != "lease expired" {
		t.Fatalf("requeued = %+v", rows)
	}

	// Page through the dead letters, newest first.
	var seen []int64
	var cursor *store.DeadCursor
	for {
		page := must[[]store.DeadLetter](t)(st.Outbox.DeadLetters(ctx, f.app.ID, cursor, 2))
		if len(page) == 0 {
			break
		}
		for _, d := range page {
			if d.TriggerID != once.ID {
				t.Errorf("dead letter of trigger %d", d.TriggerID)
			}
			seen = append(seen, d.ID)
		}
		last := page[len(page)-1]
		cursor = &store.DeadCursor{FailedAt: last.FailedAt, ID: last.ID}
	}
	if len(seen) != 3 || !sort.SliceIsSorted(seen, func(i, j int) bool { return seen[i] > seen[j] }) {
		t.Fatalf("paged dead letters %v, want 3 newest first", seen)
	}

	if err := st.Outbox.Discard(ctx, f.app.ID, seen[0]); err != nil {
		t.Fatal(err)
	}
	if err := st.Outbox.Discard(ctx, f.app.ID, seen[0]); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second Discard: got %v, want ErrNotFound", err)
	}
	if n := must[int64](t)(st.Outbox.PurgeDead(ctx, time.Now().Add(-time.Hour), 10)); n != 0 {
		t.Fatalf("PurgeDead of old letters = %d, want 0", n)
	}
	if n := must[int64](t)(st.Outbox.PurgeDead(ctx, time.Now().Add(time.Hour), 1)); n != 1 {
		t.Fatalf("PurgeDead batch = %d, want 1", n)
	}
	// Dead letters of a deleted trigger cannot be replayed.
	if err := st.Triggers.Delete(ctx, once.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Outbox.Replay(ctx, f.app.ID, seen[2]); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Replay without its trigger: got %v, want ErrNotFound", err)
	}
}

// Concurrent claimers never get the same delivery.
func TestClaimSkipsLockedRows(t *testing.T) {
	st, _ := freshStore(t)
	ctx := t.Context()
	f := newFixture(t, st, "skip")
	f.trigger(t, st, store.Trigger{Kind: store.KindPubsub, Pubsub: &store.PubsubTrigger{Pattern: "*"}})
	const total = 200
	for range total {
		must[int64](t)(st.Outbox.Publish(ctx, f.app.ID, "t", newID(), "", payload))
	}
	var mu sync.Mutex
	owner := map[int64]int64{}
	var wg sync.WaitGroup
	for node := int64(1); node <= 4; node++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				got, err := st.Outbox.Claim(context.WithoutCancel(ctx), node, time.Minute, 7)
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, d := range got {
					if prev, dup := owner[d.ID]; dup {
						t.Errorf("delivery %d claimed by %d and %d", d.ID, prev, node)
					}
					owner[d.ID] = node
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(owner) != total {
		t.Fatalf("claimed %d deliveries, want %d", len(owner), total)
	}
}
