package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/picloud/picloud/db/store"
)

// explainDB captures the claim's statement instead of running it, so the
// test can EXPLAIN the exact SQL the dispatcher sends.
type explainDB struct {
	store.DBTX
	sql  string
	args []any
}

func (e *explainDB) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if strings.Contains(sql, "-- name: OutboxClaim ") {
		e.sql, e.args = sql, args
		called.note(sql)
		return nil, fmt.Errorf("captured")
	}
	return e.DBTX.Query(ctx, sql, args...)
}

// The claim stays an index scan on outbox_ready whatever the backlog
// (shared OUTBOX.md §3.2: a queue table's statistics lie when it swings
// from empty to full): 20,000 pending rows under statistics taken while
// the table was empty, the same analyzed, and 200,000 rows.
func TestClaimPlanUsesReadyIndex(t *testing.T) {
	if testing.Short() {
		t.Skip("inserts a backlog")
	}
	st, pool := freshStore(t)
	ctx := t.Context()
	f := newFixture(t, st, "plan")
	f.trigger(t, st, store.Trigger{Kind: store.KindPubsub, Pubsub: &store.PubsubTrigger{Pattern: "*"}})

	cap := &explainDB{DBTX: pool}
	if _, err := store.New(cap).Outbox.Claim(ctx, 1, time.Minute, 100); err == nil || cap.sql == "" {
		t.Fatalf("the claim's statement was not captured: %v", err)
	}
	plan := func(analyze bool) string {
		t.Helper()
		if analyze {
			if _, err := pool.Exec(ctx, "ANALYZE outbox"); err != nil {
				t.Fatal(err)
			}
		}
		rows, err := pool.Query(ctx, "EXPLAIN "+cap.sql, cap.args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var lines []string
		for rows.Next() {
			var l string
			if err := rows.Scan(&l); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, l)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return strings.Join(lines, "\n")
	}
	// Statistics taken on an empty table: a sequential scan of nothing is
	// the right plan then, and the trap is what follows.
	plan(true)
	fill := func(n int) {
		t.Helper()
		for i := 0; i < n; i += 1000 {
			if _, err := pool.Exec(ctx, `INSERT INTO outbox (app_id, kind, trigger_id, script_id, payload)
				SELECT $1, 'pubsub', t.id, t.script_id, '{}' FROM triggers t, generate_series(1, 1000) WHERE t.app_id = $1`, f.app.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	fill(20_000)
	if p := plan(false); !strings.Contains(p, "outbox_ready") {
		t.Fatalf("20,000 pending rows under an empty table's statistics: the claim does not use outbox_ready:\n%s", p)
	}
	if p := plan(true); !strings.Contains(p, "outbox_ready") {
		t.Fatalf("20,000 pending rows, analyzed: the claim does not use outbox_ready:\n%s", p)
	}
	fill(180_000)
	if p := plan(true); !strings.Contains(p, "outbox_ready") {
		t.Fatalf("200,000 pending rows: the claim does not use outbox_ready:\n%s", p)
	}
}
