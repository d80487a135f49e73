package store_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"sort"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/goleak"

	"github.com/picloud/picloud/db/dbtest"
	"github.com/picloud/picloud/db/internal/dbsqlc"
	"github.com/picloud/picloud/db/store"
)

// TestMain also checks that the tests, when run in full, call every query
// of db/queries: a query no test exercises fails the run.
func TestMain(m *testing.M) { goleak.VerifyTestMain(coverage{dbtest.Wrap(m)}) }

type coverage struct{ m *dbtest.Main }

func (c coverage) Run() int {
	code := c.m.Run()
	if code != 0 || flag.Lookup("test.run").Value.String() != "" || flag.Lookup("test.skip").Value.String() != "" {
		return code
	}
	seen := called.names()
	if len(seen) == 0 {
		return code // no database: every test skipped
	}
	querier := reflect.TypeOf((*dbsqlc.Querier)(nil)).Elem()
	var missing []string
	for i := range querier.NumMethod() {
		if name := querier.Method(i).Name; !seen[name] {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		fmt.Fprintf(os.Stderr, "FAIL: no store test calls these queries: %v\n", missing)
		return 1
	}
	return code
}

// called records the queries the tests run, by the name sqlc writes at the
// top of every statement.
var called = &queryLog{seen: map[string]bool{}}

type queryLog struct {
	mu   sync.Mutex
	seen map[string]bool
}

var queryName = regexp.MustCompile(`^-- name: (\w+) :`)

// copyQueries names the :copyfrom queries by their table.
var copyQueries = map[string]string{
	"invocations":     "InvocationInsertBatch",
	"invocation_logs": "InvocationLogInsertBatch",
}

func (l *queryLog) note(sql string) {
	if m := queryName.FindStringSubmatch(sql); m != nil {
		l.mu.Lock()
		l.seen[m[1]] = true
		l.mu.Unlock()
	}
}

func (l *queryLog) noteCopy(table pgx.Identifier) {
	l.mu.Lock()
	l.seen[copyQueries[table[len(table)-1]]] = true
	l.mu.Unlock()
}

func (l *queryLog) names() map[string]bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string]bool, len(l.seen))
	for k, v := range l.seen {
		out[k] = v
	}
	return out
}

// recDB records the queries run on a store.DBTX.
type recDB struct{ store.DBTX }

func (r recDB) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	called.note(sql)
	return r.DBTX.Exec(ctx, sql, args...)
}

func (r recDB) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	called.note(sql)
	return r.DBTX.Query(ctx, sql, args...)
}

func (r recDB) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	called.note(sql)
	return r.DBTX.QueryRow(ctx, sql, args...)
}

func (r recDB) CopyFrom(ctx context.Context, table pgx.Identifier, cols []string, src pgx.CopyFromSource) (int64, error) {
	called.noteCopy(table)
	return r.DBTX.CopyFrom(ctx, table, cols, src)
}

func (r recDB) Begin(ctx context.Context) (pgx.Tx, error) {
	tx, err := r.DBTX.Begin(ctx)
	if err != nil {
		return nil, err
	}
	return recTx{tx}, nil
}

// recTx is recDB for the transactions the store opens.
type recTx struct{ pgx.Tx }

func (r recTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	called.note(sql)
	return r.Tx.Exec(ctx, sql, args...)
}

func (r recTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	called.note(sql)
	return r.Tx.Query(ctx, sql, args...)
}

func (r recTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	called.note(sql)
	return r.Tx.QueryRow(ctx, sql, args...)
}

func (r recTx) CopyFrom(ctx context.Context, table pgx.Identifier, cols []string, src pgx.CopyFromSource) (int64, error) {
	called.noteCopy(table)
	return r.Tx.CopyFrom(ctx, table, cols, src)
}

func (r recTx) Begin(ctx context.Context) (pgx.Tx, error) {
	tx, err := r.Tx.Begin(ctx)
	if err != nil {
		return nil, err
	}
	return recTx{tx}, nil
}

// txStore is a store on a transaction rolled back after the test, and the
// transaction for checks in plain SQL.
func txStore(t *testing.T) (*store.Store, pgx.Tx) {
	t.Helper()
	tx := dbtest.Tx(t)
	return store.New(recDB{tx}), tx
}

// freshStore is a store on a database of the test's own, for tests that
// commit.
func freshStore(t *testing.T) (*store.Store, *pgxpool.Pool) {
	t.Helper()
	pool := dbtest.Fresh(t)
	return store.New(recDB{pool}), pool
}

type queryer interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func count(t *testing.T, q queryer, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := q.QueryRow(t.Context(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// fixture is an app with a script whose version 1 is active.
type fixture struct {
	app    store.App
	script store.Script
}

func newFixture(t *testing.T, st *store.Store, slug string) fixture {
	t.Helper()
	ctx := t.Context()
	app := must[store.App](t)(st.Apps.Insert(ctx, store.App{Slug: slug}))
	script := must[store.Script](t)(st.Scripts.Insert(ctx, app.ID, "main"))
	must[store.ScriptVersion](t)(st.Scripts.AddVersion(ctx, script.ID, `"hello"`))
	script = must[store.Script](t)(st.Scripts.Activate(ctx, script.ID, 1))
	return fixture{app: app, script: script}
}

func (f fixture) trigger(t *testing.T, st *store.Store, tr store.Trigger) store.Trigger {
	t.Helper()
	tr.AppID, tr.ScriptID, tr.Enabled = f.app.ID, f.script.ID, true
	return must[store.Trigger](t)(st.Triggers.Insert(t.Context(), tr))
}

// try runs fn in a savepoint and returns its error: a statement that fails
// aborts the whole transaction, and tests on dbtest.Tx go on after the
// errors they expect.
func try[T any](t *testing.T, st *store.Store, fn func(*store.Store) (T, error)) error {
	t.Helper()
	return st.InTx(t.Context(), func(st *store.Store) error {
		_, err := fn(st)
		return err
	})
}

// jsonEqual reports whether two JSON documents hold the same value.
func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}
