package pgcluster_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/goleak"

	"github.com/picloud/picloud/db/pgcluster"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// requireServer skips (or, under CI, fails) when the machine has no
// PostgreSQL server binaries.
func requireServer(t *testing.T) {
	t.Helper()
	if _, err := pgcluster.FindBinDir(""); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI needs PostgreSQL: %v", err)
		}
		t.Skipf("skipping: %v", err)
	}
}

// tempDir is a fresh directory the cluster's user can reach when the tests
// run as root (t.TempDir makes 0700 directories).
func tempDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if os.Geteuid() == 0 {
		for _, d := range []string{filepath.Dir(dir), dir} {
			if err := os.Chmod(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

func start(t *testing.T, cfg pgcluster.Config) *pgcluster.Cluster {
	t.Helper()
	cfg.NoSync = true
	c, err := pgcluster.Start(t.Context(), cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Stop(context.Background()); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return c
}

func exec1(t *testing.T, url, sql string, args ...any) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(t.Context(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func count(t *testing.T, url, sql string) int {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(t.Context(), sql).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// postmasterRunning reports whether the server of dir runs, asking pg_ctl.
func postmasterRunning(t *testing.T, dir string) bool {
	t.Helper()
	pid, err := os.ReadFile(filepath.Join(dir, "postmaster.pid"))
	if err != nil {
		return false
	}
	first, _, _ := strings.Cut(string(pid), "\n")
	n, _ := strconv.Atoi(first)
	_, err = os.Stat("/proc/" + strconv.Itoa(n))
	return err == nil
}

func TestStartStopKeepsData(t *testing.T) {
	requireServer(t)
	t.Parallel()
	dir := filepath.Join(tempDir(t), "data", "pg")
	c := start(t, pgcluster.Config{Dir: dir})
	if c.Dir() != dir {
		t.Errorf("Dir() = %q, want %q", c.Dir(), dir)
	}
	exec1(t, c.URL(), "CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)")
	if err := c.Stop(t.Context()); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if postmasterRunning(t, dir) {
		t.Fatal("server still runs after Stop")
	}
	if err := c.Stop(t.Context()); err != nil {
		t.Fatalf("second Stop: %v", err)
	}

	c2 := start(t, pgcluster.Config{Dir: dir})
	if got := count(t, c2.URL(), "SELECT n FROM kept"); got != 42 {
		t.Errorf("after restart got %d, want 42", got)
	}
	if os.Geteuid() == 0 {
		// Root hands the cluster to the postgres user.
		fi, err := os.Stat(dir)
		if err != nil {
			t.Fatal(err)
		}
		pg, err := user.Lookup("postgres")
		if err != nil {
			t.Fatal(err)
		}
		if uid := strconv.Itoa(int(fi.Sys().(*syscall.Stat_t).Uid)); uid != pg.Uid {
			t.Errorf("%s owned by uid %s, want postgres (%s)", dir, uid, pg.Uid)
		}
	}
}

func TestSecondOwnerRefused(t *testing.T) {
	requireServer(t)
	t.Parallel()
	dir := filepath.Join(tempDir(t), "pg")
	start(t, pgcluster.Config{Dir: dir})
	_, err := pgcluster.Start(t.Context(), pgcluster.Config{Dir: dir, NoSync: true})
	if err == nil || !strings.Contains(err.Error(), "in use by another process (pid "+strconv.Itoa(os.Getpid())+")") {
		t.Fatalf("second Start: got %v, want an in-use error naming this pid", err)
	}
}

// A server whose owner was killed keeps running; the next Start adopts it.
func TestAdoptsServerOfKilledOwner(t *testing.T) {
	requireServer(t)
	t.Parallel()
	dir := filepath.Join(tempDir(t), "pg")
	c1, err := pgcluster.Start(t.Context(), pgcluster.Config{Dir: dir, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	exec1(t, c1.URL(), "CREATE TABLE adopted (n int)")
	pid, _ := os.ReadFile(filepath.Join(dir, "postmaster.pid"))
	c1.Release()
	if !postmasterRunning(t, dir) {
		t.Fatal("Release stopped the server")
	}

	c2 := start(t, pgcluster.Config{Dir: dir})
	pid2, _ := os.ReadFile(filepath.Join(dir, "postmaster.pid"))
	if string(pid) != string(pid2) {
		t.Errorf("server was restarted, want it adopted")
	}
	if got := count(t, c2.URL(), "SELECT count(*) FROM adopted"); got != 0 {
		t.Errorf("got %d rows, want 0", got)
	}
	if err := c2.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	if postmasterRunning(t, dir) {
		t.Fatal("adopted server still runs after Stop")
	}
}

// A postmaster.pid naming a live process that is not the server (pid reuse
// after a crash) must not keep the server from starting.
func TestStalePidFile(t *testing.T) {
	requireServer(t)
	t.Parallel()
	dir := filepath.Join(tempDir(t), "pg")
	c := start(t, pgcluster.Config{Dir: dir})
	if err := c.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	// This test process is alive and is no postmaster.
	stale := strconv.Itoa(os.Getpid()) + "\n" + dir + "\n"
	for _, name := range []string{"postmaster.pid", ".s.PGSQL.5432.lock"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(stale), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	c2 := start(t, pgcluster.Config{Dir: dir})
	if got := count(t, c2.URL(), "SELECT 1"); got != 1 {
		t.Fatalf("got %d", got)
	}
}

func TestCreatesNamedDatabase(t *testing.T) {
	requireServer(t)
	t.Parallel()
	c := start(t, pgcluster.Config{Dir: filepath.Join(tempDir(t), "pg"), Database: "other"})
	if !strings.Contains(c.URL(), "/other?") {
		t.Errorf("URL() = %q, want database other", c.URL())
	}
	if got := count(t, c.URL(), "SELECT count(*) FROM pg_database WHERE datname = current_database() AND datname = 'other'"); got != 1 {
		t.Errorf("connected to the wrong database")
	}
}

func TestBadDirectories(t *testing.T) {
	requireServer(t)
	t.Parallel()
	base := tempDir(t)

	file := filepath.Join(base, "file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	notCluster := filepath.Join(base, "notcluster")
	if err := os.MkdirAll(filepath.Join(notCluster, "stuff"), 0o755); err != nil {
		t.Fatal(err)
	}

	interrupted := filepath.Join(base, "interrupted")
	if err := os.Mkdir(interrupted, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"PG_VERSION", "postgresql.conf"} {
		if err := os.WriteFile(filepath.Join(interrupted, name), []byte("15\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if os.Geteuid() == 0 {
		pg, err := user.Lookup("postgres")
		if err != nil {
			t.Fatal(err)
		}
		uid, _ := strconv.Atoi(pg.Uid)
		if err := os.Chown(interrupted, uid, -1); err != nil {
			t.Fatal(err)
		}
	}

	tests := []struct {
		name string
		dir  string
		want string
	}{
		{"a file", file, "is not a directory"},
		{"interrupted initdb", interrupted, "its initialization was interrupted: remove it"},
		{"not a cluster", notCluster, "neither empty nor a PostgreSQL data directory"},
		{"long path", filepath.Join(base, strings.Repeat("x", 100)), "over the 107 a unix socket allows"},
		{"comma", filepath.Join(base, "a,b"), "must not contain commas"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := pgcluster.Start(t.Context(), pgcluster.Config{Dir: tt.dir, NoSync: true})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}

func TestOwnedBySomeoneElse(t *testing.T) {
	requireServer(t)
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("needs root to hand a directory to another user")
	}
	dir := filepath.Join(tempDir(t), "pg")
	c := start(t, pgcluster.Config{Dir: dir})
	if err := c.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, 4242, 4242); err != nil {
		t.Fatal(err)
	}
	_, err := pgcluster.Start(t.Context(), pgcluster.Config{Dir: dir, NoSync: true})
	if err == nil || !strings.Contains(err.Error(), "is owned by uid 4242, but PostgreSQL runs as user postgres") {
		t.Fatalf("got %v, want an ownership error", err)
	}
}

// As root, the server runs as the postgres user, who must be able to reach
// the directory; as a normal user, the directory must be writable.
func TestUnusableDirectory(t *testing.T) {
	requireServer(t)
	t.Parallel()
	base := tempDir(t)
	locked := filepath.Join(base, "locked")
	if err := os.Mkdir(locked, 0o700); err != nil {
		t.Fatal(err)
	}
	want := "not writable"
	if os.Geteuid() == 0 {
		want = "who cannot enter " + locked + " (mode 0700"
	} else {
		if err := os.Chmod(locked, 0o500); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = os.Chmod(locked, 0o700) })
		want = "permission denied: choose a writable directory"
	}
	_, err := pgcluster.Start(t.Context(), pgcluster.Config{Dir: filepath.Join(locked, "pg"), NoSync: true})
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v, want an error containing %q", err, want)
	}
	if _, err := os.Stat(filepath.Join(locked, "pg")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("left %s behind (%v)", filepath.Join(locked, "pg"), err)
	}
}

// A canceled start leaves nothing running and an empty directory that
// the next start initializes.
func TestCanceledStart(t *testing.T) {
	requireServer(t)
	t.Parallel()
	dir := filepath.Join(tempDir(t), "pg")
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := pgcluster.Start(ctx, pgcluster.Config{Dir: dir, NoSync: true}); err == nil {
		t.Fatal("Start with a canceled context succeeded")
	}
	if postmasterRunning(t, dir) {
		t.Fatal("a canceled Start left a server running")
	}
	c := start(t, pgcluster.Config{Dir: dir})
	if got := count(t, c.URL(), "SELECT 1"); got != 1 {
		t.Fatal("no cluster after a canceled start")
	}
}

func TestNoServerBinaries(t *testing.T) {
	_, err := pgcluster.Start(t.Context(), pgcluster.Config{Dir: filepath.Join(tempDir(t), "pg"), BinDir: t.TempDir()})
	if !errors.Is(err, pgcluster.ErrNoServer) {
		t.Fatalf("got %v, want ErrNoServer", err)
	}
}

func TestValidate(t *testing.T) {
	_, err := pgcluster.Start(t.Context(), pgcluster.Config{Dir: tempDir(t), StartTimeout: time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "Config.StartTimeout") {
		t.Fatalf("got %v, want an error naming Config.StartTimeout", err)
	}
	_, err = pgcluster.Start(t.Context(), pgcluster.Config{Dir: tempDir(t), Database: strings.Repeat("d", 64)})
	if err == nil || !strings.Contains(err.Error(), "Config.Database") {
		t.Fatalf("got %v, want an error naming Config.Database", err)
	}
}

// pg_ctl must be found the way Start finds it.
func TestFindBinDir(t *testing.T) {
	requireServer(t)
	t.Parallel()
	dir, err := pgcluster.FindBinDir("")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(filepath.Join(dir, "pg_ctl"), "--version").Output()
	if err != nil || !strings.Contains(string(out), "PostgreSQL") {
		t.Fatalf("pg_ctl --version: %q, %v", out, err)
	}
}
