package migrations_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/goleak"

	"github.com/picloud/picloud/db/dbtest"
	"github.com/picloud/picloud/db/migrations"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(dbtest.Wrap(m)) }

func newMigrator(t *testing.T) (*migrations.Migrator, *pgxpool.Pool) {
	t.Helper()
	pool, err := pgxpool.New(t.Context(), dbtest.EmptyURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	m, err := migrations.New(pool, migrations.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return m, pool
}

// schema lists the tables, views and functions of the public schema.
func schema(t *testing.T, pool *pgxpool.Pool) string {
	t.Helper()
	var s string
	err := pool.QueryRow(t.Context(), `
		SELECT coalesce(string_agg(name, ' ' ORDER BY name), '') FROM (
		  SELECT table_name::text AS name FROM information_schema.tables
		  WHERE table_schema = 'public' AND table_name <> 'goose_db_version'
		  UNION ALL
		  SELECT proname::text FROM pg_proc WHERE pronamespace = 'public'::regnamespace
		) objects`).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestUpDownUp(t *testing.T) {
	m, pool := newMigrator(t)
	ctx := t.Context()

	if err := m.CheckCurrent(ctx); !errors.Is(err, migrations.ErrPending) {
		t.Fatalf("CheckCurrent on an empty database: got %v, want ErrPending", err)
	}
	applied, err := m.Up(ctx)
	if err != nil {
		t.Fatalf("Up: %v", err)
	}
	if int64(len(applied)) != m.Latest() || applied[len(applied)-1] != m.Latest() {
		t.Fatalf("Up applied %v, want 1..%d", applied, m.Latest())
	}
	if err := m.CheckCurrent(ctx); err != nil {
		t.Fatalf("CheckCurrent after Up: %v", err)
	}
	full := schema(t, pool)
	for _, want := range []string{"apps", "scripts", "script_versions", "triggers", "trigger_http", "trigger_cron",
		"trigger_pubsub", "trigger_queue", "trigger_kv", "trigger_deadletter", "trigger_details", "outbox",
		"outbox_dead", "kv", "invocations", "invocation_logs", "api_tokens"} {
		if !strings.Contains(" "+full+" ", " "+want+" ") {
			t.Errorf("schema lacks %s: %s", want, full)
		}
	}
	if again, err := m.Up(ctx); err != nil || len(again) != 0 {
		t.Fatalf("second Up: applied %v, err %v; want nothing", again, err)
	}

	v, err := m.Down(ctx)
	if err != nil || v != m.Latest() {
		t.Fatalf("Down: rolled back %d, err %v; want %d", v, err, m.Latest())
	}
	if err := m.CheckCurrent(ctx); !errors.Is(err, migrations.ErrPending) {
		t.Fatalf("CheckCurrent after Down: got %v, want ErrPending", err)
	}
	if err := m.Reset(ctx); err != nil {
		t.Fatalf("Reset: %v", err)
	}
	if got := schema(t, pool); got != "" {
		t.Fatalf("after Reset the schema still has: %s", got)
	}
	st, err := m.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range st {
		if s.Applied {
			t.Errorf("after Reset %s is applied", s.Name)
		}
	}

	if _, err := m.Up(ctx); err != nil {
		t.Fatalf("Up again: %v", err)
	}
	if got := schema(t, pool); got != full {
		t.Fatalf("schema after up/down/up differs:\n got %s\nwant %s", got, full)
	}
	st, err = m.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(st)) != m.Latest() || !st[0].Applied || st[0].AppliedAt.IsZero() || st[0].Name != "00001_apps.sql" {
		t.Fatalf("Status = %+v", st)
	}
}

func TestUpRefusesNewerSchema(t *testing.T) {
	m, pool := newMigrator(t)
	if _, err := m.Up(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(t.Context(), "INSERT INTO goose_db_version (version_id, is_applied) VALUES (99999, true)"); err != nil {
		t.Fatal(err)
	}
	_, err := m.Up(t.Context())
	if err == nil || !strings.Contains(err.Error(), "at version 99999, newer than this PiCloud knows") {
		t.Fatalf("got %v, want a newer-schema error", err)
	}
}
