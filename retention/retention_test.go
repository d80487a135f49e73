package retention_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/goleak"

	"github.com/picloud/picloud/db/dbtest"
	"github.com/picloud/picloud/db/store"
	"github.com/picloud/picloud/retention"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(dbtest.Wrap(m)) }

// history fills a fresh database with old invocations (with logs) and dead
// letters, and one recent of each, as of now.
func history(t *testing.T, now time.Time, old int) (*store.Store, *pgxpool.Pool) {
	t.Helper()
	pool := dbtest.Fresh(t)
	st := store.New(pool)
	ctx := t.Context()
	app, err := st.Apps.Insert(ctx, store.App{Slug: "r"})
	if err != nil {
		t.Fatal(err)
	}
	sc, err := st.Scripts.Insert(ctx, app.ID, "main")
	if err != nil {
		t.Fatal(err)
	}
	var invs []store.Invocation
	for i := range old + 1 {
		started := now.Add(-8 * 24 * time.Hour).Add(time.Duration(i) * time.Minute)
		if i == old {
			started = now.Add(-time.Hour)
		}
		invs = append(invs, store.Invocation{
			ID: uuid.Must(uuid.NewV7()), AppID: app.ID, ScriptID: sc.ID, Version: 1, TriggerKind: store.KindManual,
			StartedAt: started, Outcome: store.OutcomeOK,
			Logs: []store.LogLine{{Seq: 1, Level: "info", Message: "hi", At: started}},
		})
	}
	if err := st.Invocations.InsertBatch(ctx, invs); err != nil {
		t.Fatal(err)
	}
	for i := range old + 1 {
		failed := now.Add(-15 * 24 * time.Hour)
		if i == old {
			failed = now.Add(-time.Hour)
		}
		if _, err := pool.Exec(ctx, `INSERT INTO outbox_dead (id, app_id, kind, event_id, payload, attempt, max_attempts, created_at, failed_at)
			VALUES ($1, $2, 'queue', gen_random_uuid(), '{}', 10, 10, $3, $3)`, i+1, app.ID, failed); err != nil {
			t.Fatal(err)
		}
	}
	return st, pool
}

func count(t *testing.T, pool *pgxpool.Pool, table string) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(t.Context(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A pass deletes what is past retention, in batches, logs included, and
// keeps the rest; a second pass finds nothing.
func TestPass(t *testing.T) {
	now := time.Now()
	st, pool := history(t, now, 5)
	reg := prometheus.NewRegistry()
	c, err := retention.New(retention.Config{Store: st, BatchSize: 2, Registerer: reg, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Pass(t.Context())
	if err != nil || got["invocations"] != 5 || got["dead_letters"] != 5 {
		t.Fatalf("Pass = %v, %v; want 5 of each", got, err)
	}
	if i, l, d := count(t, pool, "invocations"), count(t, pool, "invocation_logs"), count(t, pool, "outbox_dead"); i != 1 || l != 1 || d != 1 {
		t.Fatalf("left %d invocations, %d log lines, %d dead letters; want 1 each", i, l, d)
	}
	if v := testutil.ToFloat64(c.Deleted("invocations")); v != 5 {
		t.Fatalf("picloud_retention_deleted_total{what=invocations} = %v, want 5", v)
	}
	if got, err := c.Pass(t.Context()); err != nil || got["invocations"] != 0 || got["dead_letters"] != 0 {
		t.Fatalf("second Pass = %v, %v", got, err)
	}
}

// While another process holds the lock, a pass deletes nothing; a
// negative retention keeps that kind forever.
func TestSingleFlightAndKeepForever(t *testing.T) {
	now := time.Now()
	st, pool := history(t, now, 2)
	c, err := retention.New(retention.Config{Store: st, DeadLetters: -1})
	if err != nil {
		t.Fatal(err)
	}
	err = st.InTx(t.Context(), func(other *store.Store) error {
		if lead, err := other.Nodes.TryLead(t.Context(), retention.LockKey); err != nil || !lead {
			t.Fatalf("TryLead = %v, %v", lead, err)
		}
		got, err := c.Pass(t.Context())
		if err != nil || len(got) != 0 {
			t.Errorf("Pass while another holds the lock = %v, %v; want nothing", got, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.Pass(t.Context()); err != nil || got["invocations"] != 2 || got["dead_letters"] != 0 {
		t.Fatalf("Pass = %v, %v; want 2 invocations and no dead letters", got, err)
	}
	if d := count(t, pool, "outbox_dead"); d != 3 {
		t.Fatalf("%d dead letters left, want all 3", d)
	}
}

// Start runs a pass at once; Close stops the goroutine.
func TestStart(t *testing.T) {
	st, pool := history(t, time.Now(), 3)
	c, err := retention.Start(retention.Config{Store: st, Interval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	// Polled: the first pass writes only to the database.
	for count(t, pool, "outbox_dead") != 1 {
		select {
		case <-ctx.Done():
			t.Fatal("the first pass did not run")
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func TestConfig(t *testing.T) {
	for name, cfg := range map[string]retention.Config{
		"no store": {},
		"interval": {Store: &store.Store{}, Interval: -1},
		"batch":    {Store: &store.Store{}, BatchSize: -1},
	} {
		if _, err := retention.New(cfg); err == nil {
			t.Errorf("%s: New succeeded", name)
		}
	}
}
