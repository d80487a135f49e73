// Package dbtest gives tests a real, migrated PostgreSQL database, isolated
// per test.
//
//	func TestMain(m *testing.M) { goleak.VerifyTestMain(dbtest.Wrap(m)) }
//
//	func TestSomething(t *testing.T) {
//		tx := dbtest.Tx(t)       // rolled back when the test ends
//		pool := dbtest.Fresh(t)  // a database of its own, for tests that commit
//	}
//
// The server is the one TEST_DATABASE_URL names (its role needs CREATEDB),
// or else a private cluster shared by every test process of the machine's
// user, started on first use the same way `picloud serve` starts its own
// (package pgcluster), in $TMPDIR/picloud-test-<uid>/pg, and stopped by the
// last test process to finish. On that server a template database is
// migrated once per set of migrations (its name carries their fingerprint);
// each test process clones its own database from it, so `go test ./...`
// running packages in parallel never share state.
//
// Without a server (no TEST_DATABASE_URL and no PostgreSQL binaries) tests
// are skipped with a one-line hint, or fail when CI is set.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/picloud/picloud/db/migrations"
	"github.com/picloud/picloud/db/pgcluster"
)

// EnvURL names the variable that points the tests at an existing server.
const EnvURL = "TEST_DATABASE_URL"

// dbPrefix starts the name of every database this package creates, followed
// by the creating process's pid, so leftovers of killed runs can be found.
const dbPrefix = "picloud_t"

// Main runs a package's tests and then drops its database and, when it was
// the last user, stops the shared cluster. Build it with Wrap.
type Main struct{ m *testing.M }

// Wrap prepares m for TestMain: goleak.VerifyTestMain(dbtest.Wrap(m)), or
// os.Exit(dbtest.Wrap(m).Run()) without goleak. Packages that call Tx,
// Fresh or EmptyURL must use it.
func Wrap(m *testing.M) *Main {
	state.wrapped.Store(true)
	return &Main{m: m}
}

// Run runs the tests, then releases the database.
func (w *Main) Run() int {
	code := w.m.Run()
	if err := state.teardown(); err != nil {
		fmt.Fprintf(os.Stderr, "dbtest: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// Tx returns a transaction on the process's migrated database, rolled back
// when the test ends: the default for tests, which then see only their own
// writes. Tests that must commit (LISTEN/NOTIFY, concurrency) use Fresh.
func Tx(t testing.TB) pgx.Tx {
	t.Helper()
	s := state.require(t)
	tx, err := s.pool.Begin(t.Context())
	if err != nil {
		t.Fatalf("dbtest: begin: %v", err)
	}
	t.Cleanup(func() {
		// t.Context is canceled before cleanups run.
		ctx := context.WithoutCancel(t.Context())
		if err := tx.Rollback(ctx); err != nil && !errors.Is(err, pgx.ErrTxClosed) {
			t.Errorf("dbtest: rollback: %v", err)
		}
	})
	return tx
}

// Fresh returns a pool on a database of the test's own, migrated, dropped
// when the test ends.
func Fresh(t testing.TB) *pgxpool.Pool {
	t.Helper()
	url := state.require(t).newDatabase(t, true)
	pool, err := pgxpool.New(t.Context(), url)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	// Registered after the drop, so it runs before it.
	t.Cleanup(pool.Close)
	return pool
}

// FreshURL is Fresh's database as a connection URL, for code under test
// that opens its own connections.
func FreshURL(t testing.TB) string {
	t.Helper()
	return state.require(t).newDatabase(t, true)
}

// EmptyURL returns the connection URL of a database of the test's own with
// no migrations applied, dropped when the test ends.
func EmptyURL(t testing.TB) string {
	t.Helper()
	return state.require(t).newDatabase(t, false)
}

// state is the test process's connection to the test server: one per
// process, like the database it owns.
var state = &env{}

type env struct {
	wrapped atomic.Bool

	once   sync.Once
	skip   string // why there is no database, when there is none
	err    error  // why setting up failed
	admin  *pgxpool.Pool
	base   *pgxpool.Config // the server
	url    string          // the server's connection string
	tmpl   string
	dbName string
	pool   *pgxpool.Pool
	shared *sharedCluster
	seq    atomic.Int64
}

func (e *env) require(t testing.TB) *env {
	t.Helper()
	if !e.wrapped.Load() {
		t.Fatal("dbtest: run the package's tests through dbtest.Wrap: func TestMain(m *testing.M) { goleak.VerifyTestMain(dbtest.Wrap(m)) }")
	}
	e.once.Do(func() { e.err = e.setup(context.Background()) })
	if e.skip != "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("dbtest: CI needs a database: %s", e.skip)
		}
		t.Skip(e.skip)
	}
	if e.err != nil {
		t.Fatalf("dbtest: %v", e.err)
	}
	return e
}

func (e *env) setup(ctx context.Context) error {
	connString := os.Getenv(EnvURL)
	if connString == "" {
		if _, err := pgcluster.FindBinDir(""); err != nil {
			e.skip = "no test database: install the Debian package postgresql, or set " + EnvURL
			return nil
		}
		sc, adminURL, err := joinSharedCluster(ctx)
		if err != nil {
			return err
		}
		e.shared, connString = sc, adminURL
	}
	base, err := pgxpool.ParseConfig(connString)
	if err != nil {
		return fmt.Errorf("%s: %w", EnvURL, err)
	}
	e.base, e.url = base, connString
	admin := base.Copy()
	admin.MaxConns = 4
	if e.admin, err = pgxpool.NewWithConfig(ctx, admin); err != nil {
		return fmt.Errorf("connect to the test server: %w", err)
	}
	if err := e.admin.Ping(ctx); err != nil {
		return fmt.Errorf("connect to the test server (%s): %w", describe(base), err)
	}
	if e.shared != nil {
		e.dropLeftovers(ctx)
	}
	if err := e.ensureTemplate(ctx); err != nil {
		return err
	}
	e.dbName = e.name("")
	if err := e.createDatabase(ctx, e.dbName, e.tmpl); err != nil {
		return err
	}
	cfg := e.config(e.dbName)
	cfg.MaxConns = 8
	if e.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return fmt.Errorf("connect to %s: %w", e.dbName, err)
	}
	return nil
}

func (e *env) teardown() error {
	ctx := context.Background()
	var errs []error
	if e.pool != nil {
		e.pool.Close()
		errs = append(errs, e.drop(ctx, e.dbName))
	}
	if e.admin != nil {
		e.admin.Close()
	}
	if e.shared != nil {
		errs = append(errs, e.shared.leave(ctx))
	}
	return errors.Join(errs...)
}

// name is a new database name carrying this process's pid.
func (e *env) name(kind string) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s%d_%s%s", dbPrefix, os.Getpid(), kind, hex.EncodeToString(b[:]))
}

func (e *env) config(database string) *pgxpool.Config {
	cfg := e.base.Copy()
	cfg.ConnConfig.Database = database
	return cfg
}

// withDatabase is the connection string connString with its database
// replaced, in either of the forms libpq accepts.
func withDatabase(connString, database string) string {
	if u, err := url.Parse(connString); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		u.Path = "/" + database
		u.RawPath = ""
		return u.String()
	}
	return connString + " dbname='" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(database) + "'"
}

// ensureTemplate migrates the template database once per set of
// migrations, under an advisory lock so concurrent test processes wait for
// the first one instead of racing it.
func (e *env) ensureTemplate(ctx context.Context) error {
	fp, err := migrations.Fingerprint()
	if err != nil {
		return err
	}
	e.tmpl = "picloud_tmpl_" + fp
	conn, err := e.admin.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("connect to the test server: %w", err)
	}
	defer conn.Release()
	h := fnv.New64a()
	h.Write([]byte(e.tmpl))
	key := int64(h.Sum64())
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", key); err != nil {
		return fmt.Errorf("lock the template: %w", err)
	}
	defer func() { _, _ = conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", key) }()

	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", e.tmpl).Scan(&exists); err != nil {
		return fmt.Errorf("look up the template: %w", err)
	}
	if exists {
		return nil
	}
	// Build under another name and rename, so a process killed halfway
	// leaves no template that looks finished.
	build := e.tmpl + "_build"
	if err := e.drop(ctx, build); err != nil {
		return err
	}
	if err := e.createDatabase(ctx, build, ""); err != nil {
		return err
	}
	if err := migrate(ctx, e.config(build)); err != nil {
		return fmt.Errorf("migrate the template: %w", err)
	}
	if _, err := conn.Exec(ctx, "ALTER DATABASE "+ident(build)+" RENAME TO "+ident(e.tmpl)); err != nil {
		return fmt.Errorf("rename the template: %w", err)
	}
	return nil
}

func migrate(ctx context.Context, cfg *pgxpool.Config) error {
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	m, err := migrations.New(pool, migrations.Config{})
	if err != nil {
		return err
	}
	defer m.Close()
	_, err = m.Up(ctx)
	return err
}

// newDatabase creates a database for the test (from the template when
// migrated) and drops it when the test ends.
func (e *env) newDatabase(t testing.TB, migrated bool) string {
	t.Helper()
	name := e.name("f" + strconv.FormatInt(e.seq.Add(1), 10) + "_")
	tmpl := ""
	if migrated {
		tmpl = e.tmpl
	}
	if err := e.createDatabase(t.Context(), name, tmpl); err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	t.Cleanup(func() {
		if err := e.drop(context.WithoutCancel(t.Context()), name); err != nil {
			t.Errorf("dbtest: %v", err)
		}
	})
	return withDatabase(e.url, name)
}

func (e *env) createDatabase(ctx context.Context, name, template string) error {
	sql := "CREATE DATABASE " + ident(name)
	if template != "" {
		sql += " TEMPLATE " + ident(template)
	}
	// Cloning fails while another session is connected to the template;
	// only other clones briefly are, so a few retries suffice.
	var err error
	for attempt := 0; attempt < 50; attempt++ {
		if _, err = e.admin.Exec(ctx, sql); err == nil {
			return nil
		}
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "55006" {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("create database %s: %w", name, err)
}

func (e *env) drop(ctx context.Context, name string) error {
	if _, err := e.admin.Exec(ctx, "DROP DATABASE IF EXISTS "+ident(name)+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	return nil
}

// dropLeftovers drops the databases of test processes that died before
// their teardown. Only for the private cluster: its processes all run on
// this machine, so a pid that is gone means the database is orphaned.
func (e *env) dropLeftovers(ctx context.Context) {
	rows, err := e.admin.Query(ctx, "SELECT datname FROM pg_database WHERE starts_with(datname, $1)", dbPrefix)
	if err != nil {
		return
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return
	}
	for _, name := range names {
		pidText, _, _ := strings.Cut(strings.TrimPrefix(name, dbPrefix), "_")
		pid, err := strconv.Atoi(pidText)
		if err != nil || processAlive(pid) {
			continue
		}
		_ = e.drop(ctx, name)
	}
}

func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

func ident(name string) string { return pgx.Identifier{name}.Sanitize() }

// describe names the server without its password.
func describe(cfg *pgxpool.Config) string {
	c := cfg.ConnConfig
	return fmt.Sprintf("host=%s port=%d user=%s database=%s", c.Host, c.Port, c.User, c.Database)
}

// sharedCluster is this process's share of the private test cluster. Every
// test process holds a shared flock on users.lock while it uses the cluster;
// starting and stopping happen under an exclusive flock on gate.lock, and
// the process that can turn its share into an exclusive lock is the last
// one and stops the server.
type sharedCluster struct {
	cfg   pgcluster.Config
	gate  string
	users *os.File
}

func joinSharedCluster(ctx context.Context) (*sharedCluster, string, error) {
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("picloud-test-%d", os.Geteuid()))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, "", fmt.Errorf("shared test cluster: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, "", fmt.Errorf("shared test cluster: %w", err)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
		return nil, "", fmt.Errorf("shared test cluster: %s belongs to uid %d, not this user: remove it", dir, st.Uid)
	}
	if os.Geteuid() == 0 {
		// The cluster's user must be able to enter it.
		if err := os.Chmod(dir, 0o755); err != nil {
			return nil, "", fmt.Errorf("shared test cluster: %w", err)
		}
	}
	sc := &sharedCluster{
		cfg:  pgcluster.Config{Dir: filepath.Join(dir, "pg"), Database: "postgres", NoSync: true},
		gate: filepath.Join(dir, "gate.lock"),
	}
	unlock, err := flock(sc.gate, syscall.LOCK_EX)
	if err != nil {
		return nil, "", err
	}
	defer unlock()
	sc.users, err = os.OpenFile(filepath.Join(dir, "users.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, "", fmt.Errorf("shared test cluster: %w", err)
	}
	if err := syscall.Flock(int(sc.users.Fd()), syscall.LOCK_SH); err != nil {
		_ = sc.users.Close()
		return nil, "", fmt.Errorf("shared test cluster: lock: %w", err)
	}
	c, err := pgcluster.Start(ctx, sc.cfg)
	if err != nil {
		_ = sc.users.Close()
		return nil, "", fmt.Errorf("shared test cluster: %w", err)
	}
	c.Release() // every test process shares it; the last one stops it
	return sc, c.URL(), nil
}

func (sc *sharedCluster) leave(ctx context.Context) error {
	unlock, err := flock(sc.gate, syscall.LOCK_EX)
	if err != nil {
		return err
	}
	defer unlock()
	defer sc.users.Close()
	if err := syscall.Flock(int(sc.users.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return nil // other test processes still use the cluster
	}
	c, err := pgcluster.Start(ctx, sc.cfg) // adopts the running server
	if err != nil {
		return fmt.Errorf("shared test cluster: %w", err)
	}
	return c.Stop(ctx)
}

func flock(path string, how int) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("shared test cluster: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), how); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("shared test cluster: lock %s: %w", path, err)
	}
	return func() { _ = f.Close() }, nil
}
