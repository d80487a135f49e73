package dbtest

import (
	"context"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(Wrap(m)) }

func countApps(t *testing.T, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}) int {
	t.Helper()
	var n int
	if err := q.QueryRow(t.Context(), "SELECT count(*) FROM apps").Scan(&n); err != nil {
		t.Fatalf("count apps: %v", err)
	}
	return n
}

func databaseExists(t *testing.T, name string) bool {
	t.Helper()
	var ok bool
	if err := state.admin.QueryRow(t.Context(), "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

func TestTxRollsBack(t *testing.T) {
	t.Run("writes", func(t *testing.T) {
		tx := Tx(t)
		if _, err := tx.Exec(t.Context(), "INSERT INTO apps (slug) VALUES ('rolled-back')"); err != nil {
			t.Fatal(err)
		}
		if got := countApps(t, tx); got != 1 {
			t.Fatalf("inside the transaction: %d apps, want 1", got)
		}
	})
	if got := countApps(t, Tx(t)); got != 0 {
		t.Fatalf("after the test: %d apps, want 0 (not rolled back)", got)
	}
}

func TestFreshIsIsolatedAndDropped(t *testing.T) {
	var name string
	t.Run("commits", func(t *testing.T) {
		pool := Fresh(t)
		name = pool.Config().ConnConfig.Database
		if _, err := pool.Exec(t.Context(), "INSERT INTO apps (slug) VALUES ('committed')"); err != nil {
			t.Fatal(err)
		}
		if got := countApps(t, pool); got != 1 {
			t.Fatalf("%d apps, want 1", got)
		}
		if got := countApps(t, Fresh(t)); got != 0 {
			t.Fatalf("another fresh database sees %d apps, want 0", got)
		}
		if got := countApps(t, Tx(t)); got != 0 {
			t.Fatalf("the process database sees %d apps, want 0", got)
		}
	})
	if databaseExists(t, name) {
		t.Fatalf("database %s still exists after its test", name)
	}
}

func TestEmptyURLHasNoSchema(t *testing.T) {
	url := EmptyURL(t)
	pool, err := pgxpool.New(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var n int
	if err := pool.QueryRow(t.Context(), "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("empty database has %d tables, want 0", n)
	}
	if url == FreshURL(t) {
		t.Fatal("two databases share a URL")
	}
}

func TestParallelFresh(t *testing.T) {
	for i := range 4 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			pool := Fresh(t)
			if _, err := pool.Exec(t.Context(), "INSERT INTO apps (slug) VALUES ($1)", fmt.Sprintf("app-%d", i)); err != nil {
				t.Fatal(err)
			}
			if got := countApps(t, pool); got != 1 {
				t.Fatalf("%d apps, want 1", got)
			}
		})
	}
}

func TestWithDatabase(t *testing.T) {
	tests := []struct{ in, want string }{
		{"postgres://u:p@h:5/old?sslmode=disable", "postgres://u:p@h:5/new?sslmode=disable"},
		{"postgresql:///old?host=%2Ftmp%2Fs", "postgresql:///new?host=%2Ftmp%2Fs"},
		{"host=h dbname=old", "host=h dbname=old dbname='new'"},
	}
	for _, tt := range tests {
		if got := withDatabase(tt.in, "new"); got != tt.want {
			t.Errorf("withDatabase(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
