package dispatch_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/goleak"

	"github.com/picloud/picloud/db/dbtest"
	"github.com/picloud/picloud/db/store"
	"github.com/picloud/picloud/dispatch"
	"github.com/picloud/picloud/effects"
	"github.com/picloud/picloud/record"
	"github.com/picloud/picloud/runtime"
)

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		os.Exit(helperMain())
	}
	goleak.VerifyTestMain(closeHost{dbtest.Wrap(m)})
}

// closeHost closes the shared sandbox after the tests, before goleak looks
// for goroutines left behind.
type closeHost struct{ m *dbtest.Main }

func (c closeHost) Run() int {
	code := c.m.Run()
	if sharedHost.h != nil {
		_ = sharedHost.h.Close(context.Background())
	}
	return code
}

// sharedHost is one sandbox for the package's tests: compiling the guest
// is the slow part of starting one.
var sharedHost = struct {
	once sync.Once
	h    *runtime.Host
	err  error
}{}

func host(t testing.TB) *runtime.Host {
	t.Helper()
	sharedHost.once.Do(func() {
		sharedHost.h, sharedHost.err = runtime.New(context.Background(), runtime.Config{})
	})
	if sharedHost.err != nil {
		t.Fatal(sharedHost.err)
	}
	return sharedHost.h
}

// env is a database of the test's own with an app, and what a node runs on
// it: effects, a recorder and dispatchers.
type env struct {
	t    *testing.T
	pool *pgxpool.Pool
	st   *store.Store
	fx   *effects.Manager
	rec  *record.Recorder
	app  store.App

	mu  sync.Mutex
	dis []*dispatch.Dispatcher
}

func newEnv(t *testing.T) *env {
	t.Helper()
	pool := dbtest.Fresh(t)
	return newEnvOn(t, pool)
}

func newEnvOn(t *testing.T, pool *pgxpool.Pool) *env {
	t.Helper()
	ctx := t.Context()
	e := &env{t: t, pool: pool, st: store.New(pool)}
	var err error
	e.fx, err = effects.New(effects.Config{Store: e.st, Wake: e.wakeAll})
	if err != nil {
		t.Fatal(err)
	}
	e.rec, err = record.New(e.st.Invocations, record.Config{FlushInterval: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.rec.Close(context.Background()); err != nil {
			t.Errorf("recorder: %v", err)
		}
	})
	if e.app, err = e.st.Apps.Insert(ctx, store.App{Slug: "app"}); err != nil {
		t.Fatal(err)
	}
	return e
}

// wakeAll is the effects' Wake: every dispatcher of the env runs in this
// process, as one node's would.
func (e *env) wakeAll() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, d := range e.dis {
		d.Wake()
	}
}

// dispatcher starts a dispatcher, closed when the test ends.
func (e *env) dispatcher(cfg dispatch.Config) *dispatch.Dispatcher {
	e.t.Helper()
	cfg.Store, cfg.Invoker, cfg.Effects, cfg.Recorder = e.st, host(e.t), e.fx, e.rec
	d, err := dispatch.New(e.t.Context(), cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	e.mu.Lock()
	e.dis = append(e.dis, d)
	e.mu.Unlock()
	e.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := d.Close(ctx); err != nil {
			e.t.Errorf("dispatcher Close: %v", err)
		}
	})
	return d
}

// script uploads and activates a script.
func (e *env) script(name, src string) store.Script {
	e.t.Helper()
	ctx := e.t.Context()
	sc, err := e.st.Scripts.GetByName(ctx, e.app.ID, name)
	if errors.Is(err, store.ErrNotFound) {
		sc, err = e.st.Scripts.Insert(ctx, e.app.ID, name)
	}
	if err != nil {
		e.t.Fatal(err)
	}
	v, err := e.st.Scripts.AddVersion(ctx, sc.ID, src)
	if err != nil {
		e.t.Fatal(err)
	}
	if sc, err = e.st.Scripts.Activate(ctx, sc.ID, v.Number); err != nil {
		e.t.Fatal(err)
	}
	return sc
}

// trigger creates an enabled trigger of sc.
func (e *env) trigger(sc store.Script, tr store.Trigger) store.Trigger {
	e.t.Helper()
	tr.AppID, tr.ScriptID, tr.Enabled = e.app.ID, sc.ID, true
	out, err := e.st.Triggers.Insert(e.t.Context(), tr)
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

// publish commits one publish the way the API does.
func (e *env) publish(topic string, msg any) effects.Summary {
	e.t.Helper()
	raw, err := json.Marshal(msg)
	if err != nil {
		e.t.Fatal(err)
	}
	stage := e.fx.Stage(e.app)
	if _, err := stage.Publish(e.t.Context(), topic, raw); err != nil {
		e.t.Fatal(err)
	}
	sum, err := e.fx.Commit(e.t.Context(), stage)
	if err != nil {
		e.t.Fatal(err)
	}
	return sum
}

// push commits one queue push the way the API does.
func (e *env) push(queue string, payload any, delay time.Duration) effects.Summary {
	e.t.Helper()
	raw, err := json.Marshal(payload)
	if err != nil {
		e.t.Fatal(err)
	}
	stage := e.fx.Stage(e.app)
	if _, err := stage.Push(e.t.Context(), queue, raw, delay); err != nil {
		e.t.Fatal(err)
	}
	sum, err := e.fx.Commit(e.t.Context(), stage)
	if err != nil {
		e.t.Fatal(err)
	}
	return sum
}

func (e *env) count(sql string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.pool.QueryRow(e.t.Context(), sql, args...).Scan(&n); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// eventually polls cond until it holds or the deadline passes.
func (e *env) eventually(within time.Duration, what string, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatalf("after %v: %s", within, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// kv returns key's value ("" when absent).
func (e *env) kv(key string) string {
	e.t.Helper()
	v, err := e.st.KV.Get(e.t.Context(), e.app.ID, key)
	if errors.Is(err, store.ErrNotFound) {
		return ""
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return string(v.Value)
}

// kvCount counts the keys starting with prefix.
func (e *env) kvCount(prefix string) int {
	e.t.Helper()
	return e.count(`SELECT count(*) FROM kv WHERE app_id = $1 AND starts_with(key, $2)`, e.app.ID, prefix)
}
