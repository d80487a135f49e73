package dispatch_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/picloud/picloud/db/migrations"
	"github.com/picloud/picloud/db/pgcluster"
	"github.com/picloud/picloud/db/store"
	"github.com/picloud/picloud/dispatch"
)

// PostgreSQL restarted in immediate mode (every session cut, the server
// recovering from its WAL) while a publisher publishes steadily: every
// publish that was acknowledged is delivered, and its effects happen
// exactly once.
func TestDatabaseRestartDuringSteadyPublish(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL cluster of its own")
	}
	if _, err := pgcluster.FindBinDir(""); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI needs PostgreSQL: %v", err)
		}
		t.Skipf("skipping: %v", err)
	}
	dir := t.TempDir()
	if os.Geteuid() == 0 { // the cluster runs as postgres, who must reach it
		for _, d := range []string{filepath.Dir(dir), dir} {
			if err := os.Chmod(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	// fsync on: an immediate restart must keep every acknowledged commit.
	c, err := pgcluster.Start(t.Context(), pgcluster.Config{Dir: filepath.Join(dir, "pg")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop(context.Background()) })
	pool, err := pgxpool.New(t.Context(), c.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	m, err := migrations.New(pool, migrations.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Up(t.Context()); err != nil {
		t.Fatal(err)
	}
	m.Close()

	e := newEnvOn(t, pool)
	sc := e.script("count", `kv::incr("n:" + ctx.event.pubsub.message.i, 1);`)
	e.trigger(sc, store.Trigger{Kind: store.KindPubsub, Pubsub: &store.PubsubTrigger{Pattern: "steady"}})
	// Short leases and beats, so the attempts the restart cut come back
	// within the test's bounds.
	e.dispatcher(dispatch.Config{Lease: 3 * time.Second, Heartbeat: 500 * time.Millisecond,
		DeadAfter: 2 * time.Second, RescueInterval: 500 * time.Millisecond, PollInterval: 200 * time.Millisecond})

	var mu sync.Mutex
	acked := map[int]bool{}
	failed := 0
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { // 200 publishes/s until stopped
		defer close(done)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			stage := e.fx.Stage(e.app)
			if _, err := stage.Publish(context.Background(), "steady", json.RawMessage(fmt.Sprintf(`{"i":%d}`, i))); err != nil {
				t.Error(err)
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_, err := e.fx.Commit(ctx, stage)
			cancel()
			mu.Lock()
			if err == nil {
				acked[i] = true
			} else {
				failed++
			}
			mu.Unlock()
		}
	}()
	time.Sleep(time.Second) // publishing steadily, delivering as it goes
	if err := c.Restart(t.Context()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond) // publishing again after recovery
	close(stop)
	<-done

	mu.Lock()
	defer mu.Unlock()
	if len(acked) < 200 {
		t.Fatalf("only %d publishes acknowledged (%d failed)", len(acked), failed)
	}
	e.eventually(60*time.Second, "every delivery ran", func() bool {
		var n int
		err := pool.QueryRow(t.Context(), `SELECT count(*) FROM outbox`).Scan(&n)
		return err == nil && n == 0
	})
	counts := map[string]int{}
	rows, err := pool.Query(t.Context(), `SELECT key, value::text FROM kv WHERE starts_with(key, 'n:')`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		var n int
		_ = json.Unmarshal([]byte(v), &n)
		counts[k] = n
	}
	rows.Close()
	for i := range acked {
		if n := counts[fmt.Sprintf("n:%d", i)]; n != 1 {
			t.Errorf("acknowledged publish %d ran its effects %d times, want 1", i, n)
		}
	}
	for k, n := range counts {
		if n != 1 {
			t.Errorf("%s = %d: effects applied more than once", k, n)
		}
	}
	t.Logf("%d publishes acknowledged, %d failed during the restart, %d delivered", len(acked), failed, len(counts))
}
