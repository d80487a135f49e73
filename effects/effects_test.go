package effects_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/goleak"

	"github.com/picloud/picloud/db/dbtest"
	"github.com/picloud/picloud/db/store"
	"github.com/picloud/picloud/effects"
	"github.com/picloud/picloud/runtime"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(dbtest.Wrap(m)) }

// env is an app with pubsub and kv triggers on a database of the test's own,
// a sandbox and a Manager.
type env struct {
	t    *testing.T
	pool *pgxpool.Pool
	st   *store.Store
	fx   *effects.Manager
	host *runtime.Host
	app  store.App
	// woken counts Config.Wake calls.
	woken int
}

func newEnv(t *testing.T, cfg effects.Config) *env {
	t.Helper()
	ctx := t.Context()
	pool := dbtest.Fresh(t)
	e := &env{t: t, pool: pool, st: store.New(pool)}
	cfg.Store = e.st
	cfg.Wake = func() { e.woken++ }
	fx, err := effects.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.fx = fx
	h, err := runtime.New(context.Background(), runtime.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close(context.Background()) })
	e.host = h
	if e.app, err = e.st.Apps.Insert(ctx, store.App{Slug: "fx"}); err != nil {
		t.Fatal(err)
	}
	sc, err := e.st.Scripts.Insert(ctx, e.app.ID, "sub")
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range []store.Trigger{
		{Kind: store.KindPubsub, Pubsub: &store.PubsubTrigger{Pattern: "orders.*"}},
		{Kind: store.KindPubsub, Pubsub: &store.PubsubTrigger{Pattern: "*"}},
		{Kind: store.KindKV, KV: &store.KVTrigger{KeyPattern: "watched:*"}},
	} {
		tr.AppID, tr.ScriptID, tr.Enabled = e.app.ID, sc.ID, true
		if _, err := e.st.Triggers.Insert(ctx, tr); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// run invokes src with a fresh stage and commits it when the script
// succeeds, as every caller of the runtime does.
func (e *env) run(src string) (runtime.Result, effects.Summary, error) {
	e.t.Helper()
	stage := e.fx.Stage(e.app)
	res, err := e.host.Invoke(e.t.Context(), runtime.Request{
		App: e.app.Slug, Script: "main", Source: src, InvocationID: "inv", Effects: stage,
	})
	if err != nil {
		return res, effects.Summary{}, err
	}
	sum, err := e.fx.Commit(e.t.Context(), stage)
	return res, sum, err
}

func (e *env) count(sql string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.pool.QueryRow(e.t.Context(), sql, args...).Scan(&n); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func (e *env) value(key string) string {
	e.t.Helper()
	kv, err := e.st.KV.Get(e.t.Context(), e.app.ID, key)
	if errors.Is(err, store.ErrNotFound) {
		return ""
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return string(kv.Value)
}

func TestEffectsCommitOnSuccessOnly(t *testing.T) {
	e := newEnv(t, effects.Config{})
	// A script that writes, publishes and pushes, then throws: nothing.
	for _, src := range []string{
		`kv::set("watched:a", 1); pubsub::publish_durable("orders.new", #{id: 1}); queue::push("jobs", 1); throw "no"`,
		`kv::set("watched:a", 1); pubsub::publish_durable("orders.new", 1); loop { }`, // fuel
		`kv::set("watched:a", 1); let s = "x"; loop { s += s; }`,                      // memory
	} {
		res, _, err := e.run(src)
		if err == nil || res.Outcome == runtime.OutcomeOK {
			t.Fatalf("%s: outcome %s, %v; want a failure", src, res.Outcome, err)
		}
		if n := e.count(`SELECT count(*) FROM outbox`); n != 0 {
			t.Fatalf("%s: %d outbox rows after a failed run, want 0", src, n)
		}
		if v := e.value("watched:a"); v != "" {
			t.Fatalf("%s: key written after a failed run: %s", src, v)
		}
	}
	if e.woken != 0 {
		t.Fatalf("woken %d times by failed runs", e.woken)
	}

	// The same script that succeeds: a KV write with its change event, a
	// fan-out to both matching triggers, a push waiting for its consumer.
	res, sum, err := e.run(`
		kv::set("watched:a", #{n: 1, b: blob(2, 255)});
		let id = pubsub::publish_durable("orders.new", #{id: 1, raw: [blob(1, 65)]});
		queue::push("jobs", "j1", #{delay: "10m"});
		id`)
	if err != nil {
		t.Fatalf("outcome %s: %v", res.Outcome, err)
	}
	if sum.Deliveries != 3 || len(sum.Published) != 1 || sum.Published[0] != 2 || len(sum.Pushed) != 1 || !sum.Pushed[0].Waiting {
		t.Fatalf("summary %+v", sum)
	}
	if e.woken != 1 {
		t.Fatalf("woken %d times, want 1", e.woken)
	}
	if v := e.value("watched:a"); v != `{"b": "//8=", "n": 1}` {
		t.Fatalf("stored %s", v)
	}
	var msg string
	if err := e.pool.QueryRow(t.Context(), `SELECT payload->>'message' FROM outbox WHERE kind = 'pubsub' LIMIT 1`).Scan(&msg); err != nil {
		t.Fatal(err)
	}
	if msg != `{"id": 1, "raw": ["QQ=="]}` {
		t.Fatalf("published message %s: blobs must be base64 at any depth", msg)
	}
	var id string
	if err := json.Unmarshal(res.Value, &id); err != nil || e.count(`SELECT count(*) FROM outbox WHERE event_id = $1`, id) != 2 {
		t.Fatalf("publish_durable returned %s, which is not the fan-out's event id", res.Value)
	}
	if n := e.count(`SELECT count(*) FROM outbox WHERE kind = 'queue' AND state = 2 AND run_at > now() + interval '9 minutes'`); n != 1 {
		t.Fatalf("%d delayed waiting queue rows, want 1", n)
	}

	// No matching trigger: success, no rows.
	if err := e.st.Triggers.Delete(t.Context(), mustTrigger(t, e, store.KindPubsub, "*")); err != nil {
		t.Fatal(err)
	}
	_, sum, err = e.run(`pubsub::publish_durable("users.new", 1)`)
	if err != nil || sum.Deliveries != 0 || sum.Published[0] != 0 {
		t.Fatalf("publish without subscribers: %+v, %v", sum, err)
	}
}

func mustTrigger(t *testing.T, e *env, kind store.Kind, pattern string) int64 {
	t.Helper()
	ts, err := e.st.Triggers.List(t.Context(), e.app.ID, kind)
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range ts {
		if tr.Pubsub != nil && tr.Pubsub.Pattern == pattern {
			return tr.ID
		}
	}
	t.Fatalf("no %s trigger %q", kind, pattern)
	return 0
}

// Reads see the invocation's own staged writes over the database.
func TestReadsSeeStagedWrites(t *testing.T) {
	e := newEnv(t, effects.Config{})
	ctx := t.Context()
	for k, v := range map[string]string{"p:a": `1`, "p:b": `"b"`, "p:c": `3`, "p:d": `4`, "q": `0`} {
		if _, err := e.st.KV.Set(ctx, e.app.ID, k, json.RawMessage(v)); err != nil {
			t.Fatal(err)
		}
	}
	res, _, err := e.run(`
		let out = [];
		out.push(kv::get("p:a"));           // 1 from the database
		kv::set("p:a", "new");
		out.push(kv::get("p:a"));           // staged
		kv::delete("p:b");
		out.push(kv::get("p:b"));           // deleted: ()
		out.push(kv::incr("p:c", 10));      // 13
		out.push(kv::get("p:c"));           // 13
		out.push(kv::incr("fresh", 2));     // 2
		out.push(kv::incr("fresh"));        // 3
		kv::set("p:bb", true);
		out.push(kv::list("p:").map(|e| e.key));
		out.push(kv::list("p:", #{limit: 2}).map(|e| e.value));
		out.push(kv::list("p:", #{after: "p:bb", limit: 1}).map(|e| e.key));
		out.push(kv::get("missing"));
		let err = "";
		try { kv::incr("p:a", 1) } catch (e) { err = e }
		out.push(err);
		out`)
	if err != nil {
		t.Fatalf("%s: %v", res.Outcome, err)
	}
	want := `[1,"new",null,13,13,2,3,["p:a","p:bb","p:c","p:d"],["new",true],["p:c"],null,"kv::incr: the value of \"p:a\" is \"new\", not an integer"]`
	if string(res.Value) != want {
		t.Fatalf("got  %s\nwant %s", res.Value, want)
	}
	for k, want := range map[string]string{"p:a": `"new"`, "p:b": ``, "p:c": `13`, "fresh": `3`, "p:bb": `true`} {
		if got := e.value(k); got != want {
			t.Errorf("%s = %q after the commit, want %q", k, got, want)
		}
	}
}

// Increments staged by concurrent invocations add up.
func TestConcurrentIncrementsAddUp(t *testing.T) {
	e := newEnv(t, effects.Config{})
	stages := []*effects.Stage{e.fx.Stage(e.app), e.fx.Stage(e.app)}
	for _, s := range stages {
		if n, err := s.Incr(t.Context(), "n", 5); err != nil || n != 5 {
			t.Fatalf("Incr = %d, %v", n, err)
		}
	}
	for _, s := range stages {
		if _, err := e.fx.Commit(t.Context(), s); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.value("n"); got != "10" {
		t.Fatalf("n = %s, want 10", got)
	}
}

func TestLimitsAreCatchable(t *testing.T) {
	e := newEnv(t, effects.Config{MaxValueBytes: 100, MaxEffects: 5, DefaultQuotaBytes: 300})
	res, _, err := e.run(`
		fn s(n) { let x = ""; x.pad(n, "x"); x }
		let errs = [];
		for f in [
			|| kv::set("k", s(200)),
			|| kv::set("", 1),
			|| kv::get(s(2000)),
			|| pubsub::publish_durable("Orders.new", 1),
			|| pubsub::publish_durable("orders.*", 1),
			|| queue::push("Bad Queue", 1),
			|| queue::push("q", 1, #{delay: "soon"}),
			|| queue::push("q", 1, #{wait: 1}),
			|| kv::list("", #{limit: 0}),
		] {
			try { f.call(); errs.push("no error") } catch (e) { errs.push(e) }
		}
		// The quota: 300 bytes.
		kv::set("a", s(90));
		kv::set("b", s(90));
		kv::set("c", s(90));
		try { kv::set("d", s(90)); errs.push("no error") } catch (e) { errs.push(e) }
		kv::delete("c");
		kv::set("d", s(90)); // fits again
		// Five effects at most.
		kv::set("e", 1);
		try { kv::set("f", 1); errs.push("no error") } catch (e) { errs.push(e) }
		errs`)
	if err != nil {
		t.Fatalf("%s: %v", res.Outcome, err)
	}
	var errs []string
	if err := json.Unmarshal(res.Value, &errs); err != nil {
		t.Fatal(err)
	}
	wants := []string{
		"kv::set: the value of \"k\" is 202 bytes of JSON, over the limit of 100",
		"kv::set: the key is empty",
		"kv::get: the key is 2000 bytes, over the limit of 1024",
		`pubsub::publish_durable: invalid topic "Orders.new" at byte 0`,
		`pubsub::publish_durable: invalid topic "orders.*" at byte 7`,
		`queue::push: "Bad Queue" is not a valid queue name`,
		`queue::push: delay "soon": want a duration`,
		`queue::push: unknown option "wait": want delay`,
		`kv::list: limit must be a positive integer`,
		`kv::set: writing "d" would take the app's KV store to`,
		`kv::set: the invocation staged 5 effects`,
	}
	if len(errs) != len(wants) {
		t.Fatalf("got %d errors, want %d: %q", len(errs), len(wants), errs)
	}
	for i, w := range wants {
		if !strings.HasPrefix(errs[i], w) {
			t.Errorf("error %d: got %q, want it to start with %q", i, errs[i], w)
		}
	}
	if got := e.value("d"); got == "" {
		t.Fatal("the writes that fit were not committed")
	}
}

// An invocation without effects (no database) gets a clear, catchable
// error.
func TestNoEffects(t *testing.T) {
	e := newEnv(t, effects.Config{})
	res, err := e.host.Invoke(t.Context(), runtime.Request{App: "x", Script: "main",
		Source: `let r = (); try { kv::get("a") } catch (e) { r = e } r`})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(res.Value), "no database") {
		t.Fatalf("got %s", res.Value)
	}
}

// The commit checks the quota again: writers that committed meanwhile
// count.
func TestCommitChecksQuotaAgain(t *testing.T) {
	e := newEnv(t, effects.Config{DefaultQuotaBytes: 300})
	stage := e.fx.Stage(e.app)
	big := json.RawMessage(`"` + strings.Repeat("x", 150) + `"`)
	if err := stage.Set(t.Context(), "mine", big); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.KV.Set(t.Context(), e.app.ID, "theirs", big); err != nil {
		t.Fatal(err)
	}
	if _, err := e.fx.Commit(t.Context(), stage); !errors.Is(err, effects.ErrQuota) {
		t.Fatalf("Commit over the quota: %v, want ErrQuota", err)
	}
	if v := e.value("mine"); v != "" {
		t.Fatal("the write over the quota was kept")
	}
}

// Concurrent commits writing overlapping keys in different orders never
// deadlock: they lock the app's usage row first, then the keys in byte
// order.
func TestConcurrentCommitsDoNotDeadlock(t *testing.T) {
	e := newEnv(t, effects.Config{})
	const workers, rounds = 6, 15
	errs := make(chan error, workers)
	for w := range workers {
		go func() {
			for r := range rounds {
				stage := e.fx.Stage(e.app)
				a, b := fmt.Sprintf("k%d", (w+r)%workers), fmt.Sprintf("k%d", (w+r+1)%workers)
				if err := stage.Set(context.Background(), b, json.RawMessage(`1`)); err != nil {
					errs <- err
					return
				}
				if _, err := stage.Incr(context.Background(), a, 1); err != nil {
					errs <- err
					return
				}
				if _, err := e.fx.Commit(context.Background(), stage); err != nil {
					errs <- fmt.Errorf("worker %d round %d: %w", w, r, err)
					return
				}
			}
			errs <- nil
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
