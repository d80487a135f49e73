package cron_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"sort"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/goleak"

	"github.com/picloud/picloud/cron"
	"github.com/picloud/picloud/db/dbtest"
	"github.com/picloud/picloud/db/store"
	"github.com/picloud/picloud/dispatch"
	"github.com/picloud/picloud/effects"
	"github.com/picloud/picloud/runtime"
)

// helperEnv, set to a database URL, makes the test binary a process that
// runs a Scheduler on that database until it is interrupted.
const helperEnv = "PICLOUD_CRON_HELPER_DB"

func TestMain(m *testing.M) {
	if url := os.Getenv(helperEnv); url != "" {
		os.Exit(helperMain(url))
	}
	goleak.VerifyTestMain(dbtest.Wrap(m))
}

func helperMain(url string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer pool.Close()
	s, err := cron.New(ctx, cron.Config{Store: store.New(pool)})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("ready")
	<-ctx.Done()
	s.Close()
	fmt.Printf("fired %d\n", s.Fired())
	return 0
}

type env struct {
	t    *testing.T
	pool *pgxpool.Pool
	url  string
	st   *store.Store
	app  store.App
	sc   store.Script
}

func newEnv(t *testing.T, src string) *env {
	t.Helper()
	ctx := t.Context()
	url := dbtest.FreshURL(t)
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	e := &env{t: t, pool: pool, url: url, st: store.New(pool)}
	if e.app, err = e.st.Apps.Insert(ctx, store.App{Slug: "cron"}); err != nil {
		t.Fatal(err)
	}
	if e.sc, err = e.st.Scripts.Insert(ctx, e.app.ID, "tick"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.Scripts.AddVersion(ctx, e.sc.ID, src); err != nil {
		t.Fatal(err)
	}
	if e.sc, err = e.st.Scripts.Activate(ctx, e.sc.ID, 1); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) cronTrigger(expr string, next time.Time) store.Trigger {
	e.t.Helper()
	tr, err := e.st.Triggers.Insert(e.t.Context(), store.Trigger{
		AppID: e.app.ID, ScriptID: e.sc.ID, Kind: store.KindCron, Enabled: true,
		Cron: &store.CronTrigger{Schedule: expr, TimeZone: "UTC", NextRunAt: next},
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return tr
}

func (e *env) count(sql string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.pool.QueryRow(e.t.Context(), sql, args...).Scan(&n); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// dispatcher runs a dispatcher on the env's database until the test ends.
func (e *env) dispatcher() *dispatch.Dispatcher {
	e.t.Helper()
	h, err := runtime.New(context.Background(), runtime.Config{})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { _ = h.Close(context.Background()) })
	var d *dispatch.Dispatcher
	fx, err := effects.New(effects.Config{Store: e.st, Wake: func() { d.Wake() }})
	if err != nil {
		e.t.Fatal(err)
	}
	d, err = dispatch.New(e.t.Context(), dispatch.Config{Store: e.st, Invoker: h, Effects: fx})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = d.Close(ctx)
	})
	return d
}

func (e *env) eventually(within time.Duration, what string, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatalf("after %v: %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ticks returns the ticks the script counted, in order, and how often each.
func (e *env) ticks() ([]time.Time, map[time.Time]int) {
	e.t.Helper()
	rows, err := e.pool.Query(e.t.Context(), `SELECT substr(key, 6), value::text FROM kv WHERE starts_with(key, 'tick:')`)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	counts := map[time.Time]int{}
	var order []time.Time
	for rows.Next() {
		var at, n string
		if err := rows.Scan(&at, &n); err != nil {
			e.t.Fatal(err)
		}
		ts, err := time.Parse(time.RFC3339Nano, at)
		if err != nil {
			e.t.Fatalf("fired_at %q: %v", at, err)
		}
		var c int
		if err := json.Unmarshal([]byte(n), &c); err != nil {
			e.t.Fatal(err)
		}
		counts[ts] = c
		order = append(order, ts)
	}
	sort.Slice(order, func(i, j int) bool { return order[i].Before(order[j]) })
	return order, counts
}

// countTicks is the script: it counts each tick it runs for.
const countTicks = `kv::incr("tick:" + ctx.event.cron.fired_at, 1); if ctx.event.cron.schedule != "* * * * * *" { throw "schedule " + ctx.event.cron.schedule }`

// Two processes run a scheduler on one database with a per-second
// schedule: every tick fires exactly once, and none is skipped.
func TestTwoProcessesFireEachTickOnce(t *testing.T) {
	e := newEnv(t, countTicks)
	e.dispatcher()
	e.cronTrigger("* * * * * *", time.Now().Truncate(time.Second).Add(time.Second))

	var helpers []*exec.Cmd
	var logged []chan struct{}
	for range 2 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), helperEnv+"="+e.url)
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		lines := bufio.NewScanner(out)
		if !lines.Scan() || lines.Text() != "ready" {
			t.Fatalf("helper: %q", lines.Text())
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			for lines.Scan() {
				t.Logf("helper %d: %s", cmd.Process.Pid, lines.Text())
			}
		}()
		helpers, logged = append(helpers, cmd), append(logged, done)
	}
	time.Sleep(4500 * time.Millisecond) // the bounded run: four or five ticks
	for _, h := range helpers {
		if err := h.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
	}
	for i, h := range helpers {
		<-logged[i] // its output ends when it exits
		if err := h.Wait(); err != nil {
			t.Fatalf("helper: %v", err)
		}
	}
	e.eventually(20*time.Second, "every enqueued tick ran", func() bool { return e.count(`SELECT count(*) FROM outbox`) == 0 })
	order, counts := e.ticks()
	if len(order) < 3 {
		t.Fatalf("%d ticks fired in 4.5s, want at least 3", len(order))
	}
	for i, ts := range order {
		if counts[ts] != 1 {
			t.Errorf("tick %v ran %d times", ts, counts[ts])
		}
		if i > 0 && ts.Sub(order[i-1]) != time.Second {
			t.Errorf("ticks %v and %v: a tick is missing or extra", order[i-1], ts)
		}
	}
}

// After downtime a trigger fires once for the ticks it missed, then
// follows its schedule from now.
func TestCatchUpIsOneDelivery(t *testing.T) {
	e := newEnv(t, countTicks)
	missed := time.Now().Add(-time.Hour).Truncate(time.Minute)
	tr := e.cronTrigger("*/5 * * * *", missed)
	s, err := cron.New(t.Context(), cron.Config{Store: e.st})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	e.eventually(10*time.Second, "the catch-up tick was enqueued", func() bool { return s.Fired() == 1 })
	var payload json.RawMessage
	var dedupe string
	if err := e.pool.QueryRow(t.Context(), `SELECT payload, dedupe_key FROM outbox WHERE trigger_id = $1`, tr.ID).Scan(&payload, &dedupe); err != nil {
		t.Fatal(err)
	}
	var ev struct {
		Schedule string    `json:"schedule"`
		FiredAt  time.Time `json:"fired_at"`
	}
	if err := json.Unmarshal(payload, &ev); err != nil || !ev.FiredAt.Equal(missed) || ev.Schedule != "*/5 * * * *" {
		t.Fatalf("payload %s (%v), want fired_at %v", payload, err, missed)
	}
	if dedupe != missed.UTC().Format(time.RFC3339Nano) {
		t.Fatalf("dedupe_key %q", dedupe)
	}
	got, err := e.st.Triggers.Get(t.Context(), tr.ID)
	if err != nil {
		t.Fatal(err)
	}
	if next := got.Cron.NextRunAt; !next.After(time.Now()) || next.Sub(time.Now()) > 5*time.Minute {
		t.Fatalf("next_run_at %v: want the schedule's next tick after now", next)
	}
	// Only one row, whatever the hour of missed ticks.
	s.Changed("")
	time.Sleep(50 * time.Millisecond)
	if n := e.count(`SELECT count(*) FROM outbox`); n != 1 {
		t.Fatalf("%d deliveries after a missed hour, want 1", n)
	}
}

func TestDisabledAndInvalid(t *testing.T) {
	e := newEnv(t, countTicks)
	tr := e.cronTrigger("* * * * * *", time.Now().Add(-time.Second))
	if err := e.st.Triggers.SetEnabled(t.Context(), tr.ID, false); err != nil {
		t.Fatal(err)
	}
	bad := e.cronTrigger("* * * * * *", time.Now().Add(-time.Second))
	if _, err := e.pool.Exec(t.Context(), `UPDATE trigger_cron SET schedule = 'not a schedule' WHERE trigger_id = $1`, bad.ID); err != nil {
		t.Fatal(err)
	}
	s, err := cron.New(t.Context(), cron.Config{Store: e.st, PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	e.eventually(5*time.Second, "the invalid schedule was unscheduled", func() bool {
		return e.count(`SELECT count(*) FROM trigger_cron WHERE trigger_id = $1 AND next_run_at IS NULL`, bad.ID) == 1
	})
	if s.Fired() != 0 || e.count(`SELECT count(*) FROM outbox`) != 0 {
		t.Fatalf("fired %d for a disabled and an invalid trigger", s.Fired())
	}
	if _, err := cron.New(t.Context(), cron.Config{}); err == nil {
		t.Fatal("a Config without Store was accepted")
	}
}
