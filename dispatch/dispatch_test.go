package dispatch_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/picloud/picloud/db/dbtest"
	"github.com/picloud/picloud/db/listen"
	"github.com/picloud/picloud/db/store"
	"github.com/picloud/picloud/dispatch"
	"github.com/picloud/picloud/effects"
)

// recordEvent stores each ctx.event under its delivery id.
const recordEvent = `kv::set("ev:" + ctx.event.delivery_id, ctx.event);`

func TestPubsubDeliveryEvent(t *testing.T) {
	e := newEnv(t)
	sc := e.script("sub", recordEvent)
	e.trigger(sc, store.Trigger{Kind: store.KindPubsub, Pubsub: &store.PubsubTrigger{Pattern: "orders.*"}})
	e.dispatcher(dispatch.Config{})
	before := time.Now()
	if sum := e.publish("orders.eu.created", map[string]any{"id": 7}); sum.Deliveries != 1 {
		t.Fatalf("fan-out %d, want 1", sum.Deliveries)
	}
	e.eventually(10*time.Second, "the delivery ran", func() bool { return e.kvCount("ev:") == 1 })
	var got struct {
		Kind       string `json:"kind"`
		Attempt    int    `json:"attempt"`
		DeliveryID int64  `json:"delivery_id"`
		EventID    string `json:"event_id"`
		Pubsub     struct {
			Topic       string          `json:"topic"`
			Message     json.RawMessage `json:"message"`
			MessageID   string          `json:"message_id"`
			PublishedAt time.Time       `json:"published_at"`
		} `json:"pubsub"`
	}
	var raw string
	if err := e.pool.QueryRow(t.Context(), `SELECT value::text FROM kv WHERE starts_with(key, 'ev:')`).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(raw), &got); err != nil {
		t.Fatal(err)
	}
	p := got.Pubsub
	if got.Kind != "pubsub" || got.Attempt != 1 || got.DeliveryID == 0 || got.EventID != p.MessageID ||
		p.Topic != "orders.eu.created" || string(p.Message) != `{"id": 7}` || p.PublishedAt.Before(before.Add(-time.Second)) {
		t.Fatalf("ctx.event = %s", raw)
	}
	e.eventually(5*time.Second, "the row was deleted", func() bool { return e.count(`SELECT count(*) FROM outbox`) == 0 })
	// The invocation was recorded with its delivery.
	e.eventually(5*time.Second, "the invocation was recorded", func() bool {
		return e.count(`SELECT count(*) FROM invocations WHERE trigger_kind = 'pubsub' AND outbox_id = $1 AND attempt = 1 AND outcome = 'ok'`, got.DeliveryID) == 1
	})
}

// A fan-out commits all its rows or none.
func TestFanOutAllOrNothing(t *testing.T) {
	e := newEnv(t)
	sc := e.script("sub", `kv::incr("n:" + ctx.event.pubsub.message.id, 1)`)
	const n = 10
	for i := range n {
		pattern := "t.*"
		if i%2 == 0 {
			pattern = "t.x"
		}
		e.trigger(sc, store.Trigger{Kind: store.KindPubsub, Pubsub: &store.PubsubTrigger{Pattern: pattern}})
	}
	// A publish in a transaction that rolls back leaves nothing.
	stage := e.fx.Stage(e.app)
	if _, err := stage.Publish(t.Context(), "t.x", json.RawMessage(`{"id":"rolled-back"}`)); err != nil {
		t.Fatal(err)
	}
	boom := fmt.Errorf("boom")
	err := e.st.InTx(t.Context(), func(st *store.Store) error {
		sum, err := stage.Commit(t.Context(), st)
		if err != nil || sum.Deliveries != n {
			t.Errorf("fan-out in the transaction: %+v, %v", sum, err)
		}
		return boom
	})
	if err != boom || e.count(`SELECT count(*) FROM outbox`) != 0 {
		t.Fatalf("rolled-back publish: %v, %d rows", err, e.count(`SELECT count(*) FROM outbox`))
	}
	// Committed: every trigger runs once.
	if sum := e.publish("t.x", map[string]string{"id": "a"}); sum.Deliveries != n {
		t.Fatalf("fan-out %d, want %d", sum.Deliveries, n)
	}
	e.dispatcher(dispatch.Config{})
	e.eventually(10*time.Second, "every trigger ran", func() bool { return e.kv("n:a") == strconv.Itoa(n) })
	if v := e.kv("n:rolled-back"); v != "" {
		t.Fatalf("the rolled-back publish ran: %s", v)
	}
}

// A failing script is retried with backoff and then dead-lettered; the app's
// deadletter triggers get the original event, the last error and the
// attempt count; the API's retry puts it back.
func TestRetryThenDeadLetter(t *testing.T) {
	e := newEnv(t)
	failing := e.script("failing", `kv::set("never", 1); throw "no luck on attempt " + ctx.event.attempt`)
	e.trigger(failing, store.Trigger{Kind: store.KindQueue, Queue: &store.QueueTrigger{Queue: "jobs"}, MaxAttempts: 2})
	dl := e.script("dl", `kv::set("dead", ctx.event.deadletter);`)
	e.trigger(dl, store.Trigger{Kind: store.KindDeadletter, Deadletter: &store.DeadletterTrigger{}})
	d := e.dispatcher(dispatch.Config{})
	e.push("jobs", map[string]int{"n": 1}, 0)

	e.eventually(15*time.Second, "the deadletter trigger ran", func() bool { return e.kv("dead") != "" })
	var dead struct {
		Event    struct{ Queue string } `json:"event"`
		Error    string                 `json:"error"`
		Attempts int                    `json:"attempts"`
		Kind     string                 `json:"kind"`
	}
	if err := json.Unmarshal([]byte(e.kv("dead")), &dead); err != nil {
		t.Fatal(err)
	}
	if dead.Attempts != 2 || dead.Kind != "queue" || dead.Event.Queue != "jobs" || !strings.Contains(dead.Error, "no luck on attempt 2") {
		t.Fatalf("ctx.event.deadletter = %s", e.kv("dead"))
	}
	if e.kv("never") != "" {
		t.Fatal("a failed attempt's effects were committed")
	}
	// The two attempts were about a second apart (the first backoff).
	var gap float64
	e.eventually(5*time.Second, "both attempts recorded", func() bool {
		return e.count(`SELECT count(*) FROM invocations WHERE trigger_kind = 'queue'`) == 2
	})
	if err := e.pool.QueryRow(t.Context(), `SELECT extract(epoch FROM max(started_at) - min(started_at))::float8 FROM invocations WHERE trigger_kind = 'queue'`).Scan(&gap); err != nil || gap < 0.7 || gap > 5 {
		t.Fatalf("attempts %.2fs apart (%v), want the first backoff of about 1s", gap, err)
	}
	if st := d.Stats(); st.DeadLettered != 1 || st.Failed != 1 {
		t.Fatalf("stats %+v", st)
	}
	// Replay: the dead letter runs again, now with a script that succeeds.
	e.script("failing", `kv::set("replayed", ctx.event.attempt);`)
	dls, err := e.st.Outbox.DeadLetters(t.Context(), e.app.ID, nil, 10)
	if err != nil || len(dls) != 1 {
		t.Fatalf("dead letters: %v, %v", dls, err)
	}
	if _, err := e.st.Outbox.Replay(t.Context(), e.app.ID, dls[0].ID); err != nil {
		t.Fatal(err)
	}
	// The script change reaches the dispatcher's cache by notification in
	// serve; here the cache is still warm, so flush it the same way.
	for _, h := range d.Handlers() {
		if h.Channel == store.RoutesChannel {
			h.Notify(strconv.FormatInt(e.app.ID, 10))
		}
	}
	e.wakeAll()
	e.eventually(10*time.Second, "the replayed delivery ran", func() bool { return e.kv("replayed") == "1" })
}

func TestQueueDelayAndWaitingMessages(t *testing.T) {
	e := newEnv(t)
	sc := e.script("worker", `kv::set("got:" + ctx.event.queue.payload.n, #{at: time::now().to_string(), q: ctx.event.queue.queue});`)
	e.dispatcher(dispatch.Config{})

	// Messages pushed while the queue has no consumer wait for one.
	for i := range 3 {
		if sum := e.push("later", map[string]int{"n": i}, 0); !sum.Pushed[0].Waiting {
			t.Fatalf("push %d does not wait", i)
		}
	}
	if n := e.count(`SELECT count(*) FROM outbox WHERE state = 2`); n != 3 {
		t.Fatalf("%d waiting rows, want 3", n)
	}
	e.trigger(sc, store.Trigger{Kind: store.KindQueue, Queue: &store.QueueTrigger{Queue: "later"}})
	e.wakeAll()
	e.eventually(10*time.Second, "the waiting messages ran", func() bool { return e.kvCount("got:") == 3 })

	// A delayed message runs no sooner than its delay.
	pushed := time.Now()
	sum := e.push("later", map[string]int{"n": 9}, 1500*time.Millisecond)
	if sum.Pushed[0].Waiting || sum.Pushed[0].RunAt.Sub(pushed) < 1400*time.Millisecond {
		t.Fatalf("delayed push: %+v", sum.Pushed[0])
	}
	e.eventually(10*time.Second, "the delayed message ran", func() bool { return e.kv("got:9") != "" })
	ran := time.Since(pushed)
	if ran < 1500*time.Millisecond || ran > 4*time.Second {
		t.Fatalf("the delayed message ran %v after its push, want 1.5s and soon after", ran)
	}
}

func TestKVTrigger(t *testing.T) {
	e := newEnv(t)
	writer := e.script("writer", `kv::set("user:" + ctx.event.queue.payload, #{name: "n"}); kv::delete("user:gone"); kv::set("other", 1);`)
	e.trigger(writer, store.Trigger{Kind: store.KindQueue, Queue: &store.QueueTrigger{Queue: "w"}})
	watcher := e.script("watcher", `kv::set("seen:" + ctx.event.kv.op + ":" + ctx.event.kv.key, ctx.event.kv.value);`)
	e.trigger(watcher, store.Trigger{Kind: store.KindKV, KV: &store.KVTrigger{KeyPattern: "user:*"}})
	if _, err := e.st.KV.Set(t.Context(), e.app.ID, "user:gone", json.RawMessage(`1`)); err != nil {
		t.Fatal(err)
	}
	e.dispatcher(dispatch.Config{})
	e.push("w", "1", 0)
	e.eventually(10*time.Second, "the kv trigger ran for both changes", func() bool { return e.kvCount("seen:") == 2 })
	if v := e.kv("seen:set:user:1"); v != `{"name": "n"}` {
		t.Fatalf("set event value %s", v)
	}
	if v := e.kv("seen:delete:user:gone"); v != "null" {
		t.Fatalf("delete event value %s", v)
	}
}

// Two dispatchers on one database never complete a row twice: every
// message's counter ends at exactly 1 and the deliveries add up.
func TestTwoDispatchersDeliverEachRowOnce(t *testing.T) {
	e := newEnv(t)
	sc := e.script("count", `kv::incr("n:" + ctx.event.pubsub.message.i, 1);`)
	e.trigger(sc, store.Trigger{Kind: store.KindPubsub, Pubsub: &store.PubsubTrigger{Pattern: "c"}})
	none := e.script("none", `()`)
	e.trigger(none, store.Trigger{Kind: store.KindPubsub, Pubsub: &store.PubsubTrigger{Pattern: "c"}})
	a := e.dispatcher(dispatch.Config{Name: "a", MaxBatch: 10})
	b := e.dispatcher(dispatch.Config{Name: "b", MaxBatch: 10})
	const n = 500
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 4 {
				stage := e.fx.Stage(e.app)
				if _, err := stage.Publish(context.Background(), "c", json.RawMessage(fmt.Sprintf(`{"i":%d}`, i))); err != nil {
					t.Error(err)
					return
				}
				if _, err := e.fx.Commit(context.Background(), stage); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	e.eventually(60*time.Second, "every message ran", func() bool { return e.count(`SELECT count(*) FROM outbox`) == 0 })
	if got := e.count(`SELECT count(*) FROM kv WHERE starts_with(key, 'n:') AND value = '1'::jsonb`); got != n {
		t.Fatalf("%d counters at 1, want %d (others: %d)", got, n, e.kvCount("n:")-got)
	}
	sa, sb := a.Stats(), b.Stats()
	if sa.Delivered+sb.Delivered != 2*n || sa.Stale+sb.Stale != 0 {
		t.Fatalf("delivered %d + %d, stale %d + %d; want %d in all, none stale", sa.Delivered, sb.Delivered, sa.Stale, sb.Stale, 2*n)
	}
	if sa.Delivered == 0 || sb.Delivered == 0 {
		t.Logf("one dispatcher did everything: %d / %d", sa.Delivered, sb.Delivered)
	}
}

// A delivery whose lease was lost meanwhile cannot complete: its effects
// are dropped, and the row's new holder runs it.
func TestStaleCompletionIsRejected(t *testing.T) {
	e := newEnv(t)
	sc := e.script("slow", `kv::incr("runs", 1); let t = timestamp(); while t.elapsed < 1.0 { }`)
	e.trigger(sc, store.Trigger{Kind: store.KindQueue, Queue: &store.QueueTrigger{Queue: "q"}})
	d := e.dispatcher(dispatch.Config{})
	e.push("q", 1, 0)
	e.eventually(10*time.Second, "the delivery is running", func() bool { return e.count(`SELECT count(*) FROM outbox WHERE state = 1`) == 1 })
	// Another node takes the row over, as the rescue and a re-claim would.
	if _, err := e.pool.Exec(t.Context(), `UPDATE outbox SET claimed_by = -1, attempt = attempt + 1 WHERE state = 1`); err != nil {
		t.Fatal(err)
	}
	e.eventually(10*time.Second, "the stale completion was counted", func() bool { return d.Stats().Stale == 1 })
	if v := e.kv("runs"); v != "" {
		t.Fatalf("the stale attempt's effects were committed: runs = %s", v)
	}
	if n := e.count(`SELECT count(*) FROM outbox WHERE state = 1 AND claimed_by = -1`); n != 1 {
		t.Fatalf("the new holder's row is gone: %d", n)
	}
}

// The dispatcher's effects and the commit of stages that publish wake it
// without polling: a publish runs in well under the poll interval.
func TestWakeUpWithoutPolling(t *testing.T) {
	e := newEnv(t)
	sc := e.script("sub", `kv::set("at", 1);`)
	e.trigger(sc, store.Trigger{Kind: store.KindPubsub, Pubsub: &store.PubsubTrigger{Pattern: "p"}})
	e.dispatcher(dispatch.Config{PollInterval: time.Hour})
	start := time.Now()
	e.publish("p", 1)
	e.eventually(5*time.Second, "the publish ran", func() bool { return e.kv("at") != "" })
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("took %v with polling off", d)
	}
}

func TestBackoff(t *testing.T) {
	for attempt, want := range map[int32]time.Duration{1: time.Second, 2: 4 * time.Second, 3: 16 * time.Second, 6: 1024 * time.Second, 7: time.Hour, 30: time.Hour} {
		for range 100 {
			got := dispatch.Backoff(attempt, time.Hour)
			if got < want*8/10 || got > want*12/10 {
				t.Fatalf("Backoff(%d) = %v, want %v ± 20%%", attempt, got, want)
			}
		}
	}
}

func TestConfigValidation(t *testing.T) {
	e := newEnv(t)
	for _, cfg := range []dispatch.Config{
		{},
		{Store: e.st, Invoker: host(t)},
		{Store: e.st, Invoker: host(t), Effects: e.fx, Slots: -1},
		{Store: e.st, Invoker: host(t), Effects: e.fx, Heartbeat: time.Second, DeadAfter: time.Second},
	} {
		if _, err := dispatch.New(t.Context(), cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
}

// A process without a dispatcher (a manager whose API publishes) wakes the
// nodes' dispatchers through the debounced NOTIFY.
func TestNotifyWakesOtherNodes(t *testing.T) {
	pool := dbtest.Fresh(t)
	e := newEnvOn(t, pool)
	sc := e.script("sub", `kv::set("at", 1);`)
	e.trigger(sc, store.Trigger{Kind: store.KindPubsub, Pubsub: &store.PubsubTrigger{Pattern: "p"}})
	// The node: polling off, woken only by what it hears.
	d := e.dispatcher(dispatch.Config{PollInterval: time.Hour})
	l, err := listen.Start(pool.Config().ConnConfig, listen.Config{}, d.Handlers()...)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	<-l.Ready()
	// The manager: its commits only NOTIFY.
	n := dispatch.NewNotifier(e.st, 0, nil)
	defer n.Close()
	fx, err := effects.New(effects.Config{Store: e.st, Wake: n.Notify})
	if err != nil {
		t.Fatal(err)
	}
	stage := fx.Stage(e.app)
	if _, err := stage.Publish(t.Context(), "p", json.RawMessage(`1`)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := fx.Commit(t.Context(), stage); err != nil {
		t.Fatal(err)
	}
	e.eventually(5*time.Second, "the node ran the publish", func() bool { return e.kv("at") != "" })
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("took %v with polling off", d)
	}
}
