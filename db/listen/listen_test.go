package listen_test

import (
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/picloud/picloud/db/dbtest"
	"github.com/picloud/picloud/db/listen"
	"github.com/picloud/picloud/db/store"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(dbtest.Wrap(m)) }

// wait returns the next value of ch, failing the test if none comes in
// ten seconds (a guard against a hang, not a speed check).
func wait[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("no %s", what)
		panic("unreachable")
	}
}

// Notifications arrive; after the connection is killed the listener
// reconnects, asks for a resync and goes on delivering.
func TestListener(t *testing.T) {
	pool := dbtest.Fresh(t)
	ctx := t.Context()
	payloads := make(chan string, 10)
	resyncs := make(chan struct{}, 10)
	l, err := listen.Start(pool.Config().ConnConfig, listen.Config{RetryMin: time.Millisecond},
		listen.Handler{
			Channel: store.RoutesChannel,
			Notify:  func(p string) { payloads <- p },
			Resync:  func() { resyncs <- struct{}{} },
		})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	<-l.Ready()
	wait(t, resyncs, "resync after the first connection")

	st := store.New(pool)
	if err := st.NotifyRoutes(ctx, 7); err != nil {
		t.Fatal(err)
	}
	if got := wait(t, payloads, "notification"); got != "7" {
		t.Fatalf("payload %q, want 7", got)
	}

	// Kill the listening backend: the listener must come back by itself.
	var killed bool
	err = pool.QueryRow(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND query LIKE 'LISTEN%'`).Scan(&killed)
	if err != nil || !killed {
		t.Fatalf("terminate the listener's backend: %v, %v", killed, err)
	}
	wait(t, resyncs, "resync after reconnecting")
	if err := st.NotifyRoutes(ctx, 8); err != nil {
		t.Fatal(err)
	}
	if got := wait(t, payloads, "notification after reconnecting"); got != "8" {
		t.Fatalf("payload %q, want 8", got)
	}
}

func TestConfig(t *testing.T) {
	pool := dbtest.Fresh(t)
	cc := pool.Config().ConnConfig
	for name, start := range map[string]func() (*listen.Listener, error){
		"no channel": func() (*listen.Listener, error) {
			return listen.Start(cc, listen.Config{}, listen.Handler{Notify: func(string) {}})
		},
		"duplicate": func() (*listen.Listener, error) {
			h := listen.Handler{Channel: "c", Notify: func(string) {}}
			return listen.Start(cc, listen.Config{}, h, h)
		},
		"retry": func() (*listen.Listener, error) {
			return listen.Start(cc, listen.Config{RetryMin: time.Second, RetryMax: time.Millisecond})
		},
		"nil config": func() (*listen.Listener, error) { return listen.Start(nil, listen.Config{}) },
	} {
		if l, err := start(); err == nil {
			l.Close()
			t.Errorf("%s: Start succeeded", name)
		}
	}
}
