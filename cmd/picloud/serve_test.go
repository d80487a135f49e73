package main

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/picloud/picloud/db/dbtest"
	"github.com/picloud/picloud/db/pgcluster"
)

// With no database URL, serve runs the embedded database, stops it on exit,
// and a restart finds the same data.
func TestServeEmbeddedDatabase(t *testing.T) {
	requireServer(t)
	t.Setenv("DATABASE_URL", "")
	data := dataDir(t)

	s := startServe(t, "--data", data)
	if code, body := getJSON(t, "http://"+s.admin+"/healthz"); code != 200 || body["status"] != "ok" {
		t.Fatalf("/healthz = %d %v", code, body)
	}
	if code, body := getJSON(t, "http://"+s.admin+"/readyz"); code != 200 || body["status"] != "ready" {
		t.Fatalf("/readyz = %d %v", code, body)
	}
	if code, body := getJSON(t, "http://"+s.public+"/shop/x"); code != 404 || body["code"] != "not_found" {
		t.Fatalf("public /shop/x = %d %v", code, body)
	}
	if !clusterRunning(t, data) {
		t.Fatal("no embedded cluster runs while serving")
	}
	conn, err := pgx.Connect(t.Context(), "postgres:///picloud?host="+filepath.Join(data, "pg")+"&user=postgres")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(t.Context(), "INSERT INTO apps (slug) VALUES ('kept')"); err != nil {
		t.Fatal(err)
	}
	conn.Close(t.Context())
	s.stop(t)
	if clusterRunning(t, data) {
		t.Fatal("the embedded cluster still runs after serve returned")
	}

	s = startServe(t, "--data", data)
	conn, err = pgx.Connect(t.Context(), "postgres:///picloud?host="+filepath.Join(data, "pg")+"&user=postgres")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM apps WHERE slug = 'kept'").Scan(&n); err != nil || n != 1 {
		t.Fatalf("after a restart: %d apps named kept, %v", n, err)
	}
	if strings.Contains(s.out.String(), "initializing") {
		t.Fatal("the restart initialized a new cluster")
	}
}

// With a database URL, serve uses it, migrates it and starts nothing.
func TestServeDatabaseURL(t *testing.T) {
	url := dbtest.EmptyURL(t)
	data := dataDir(t)
	s := startServe(t, "--data", data, "--database-url", url)
	if code, body := getJSON(t, "http://"+s.admin+"/readyz"); code != 200 {
		t.Fatalf("/readyz = %d %v", code, body)
	}
	if _, err := os.Stat(data); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("serve with a database URL touched the data directory (%v)", err)
	}
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM apps").Scan(&n); err != nil {
		t.Fatalf("serve did not migrate the database: %v", err)
	}
	if !strings.Contains(s.out.String(), "embedded_database=false") {
		t.Fatalf("log does not say the database is external:\n%s", s.out.String())
	}

	// Behind on migrations: not ready, and /readyz says why.
	out := newOutput()
	if err := run(t.Context(), []string{"migrate", "down", "--database-url", url}, out, out); err != nil {
		t.Fatalf("migrate down: %v\n%s", err, out)
	}
	code, body := getJSON(t, "http://"+s.admin+"/readyz")
	if reason, _ := body["reason"].(string); code != 503 || !strings.HasPrefix(reason, "migrations: schema at version ") || !strings.HasSuffix(reason, ": migrations pending") {
		t.Fatalf("/readyz behind on migrations = %d %v", code, body)
	}
	if code, _ := getJSON(t, "http://"+s.admin+"/healthz"); code != 200 {
		t.Fatalf("/healthz = %d, want 200 while not ready", code)
	}
}

// The environment sets what the flags do not; a flag wins.
func TestServeEnvTwins(t *testing.T) {
	url := dbtest.EmptyURL(t)
	t.Setenv("DATABASE_URL", url)
	t.Setenv("PICLOUD_LOG_FORMAT", "json")
	s := startServe(t) // startServe passes --addr and --public-addr
	if !strings.Contains(s.out.String(), `"msg":"ready"`) {
		t.Fatalf("PICLOUD_LOG_FORMAT=json was ignored:\n%s", s.out.String())
	}
	s.stop(t)

	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	t.Setenv("PICLOUD_ADDR", busy.Addr().String())
	err = runErr(t, "serve", "--public-addr", "127.0.0.1:0")
	if !strings.Contains(err.Error(), busy.Addr().String()) {
		t.Fatalf("PICLOUD_ADDR was ignored: %v", err)
	}
	t.Setenv("PICLOUD_LOG_LEVEL", "loud")
	if err := runErr(t, "version"); !strings.Contains(err.Error(), `--log-level "loud"`) {
		t.Fatalf("bad PICLOUD_LOG_LEVEL: %v", err)
	}
}

func TestServeBadInput(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	free := freeAddr(t)
	unreachable := "postgres://picloud@127.0.0.1:1/picloud?connect_timeout=5"

	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"admin port in use", []string{"--addr", busy.Addr().String(), "--public-addr", "127.0.0.1:0"},
			[]string{"admin listener", "address already in use", "--addr (PICLOUD_ADDR)"}},
		{"public port in use", []string{"--addr", "127.0.0.1:0", "--public-addr", busy.Addr().String()},
			[]string{"public listener", "address already in use", "--public-addr (PICLOUD_PUBLIC_ADDR)"}},
		{"unreachable database", []string{"--addr", free, "--public-addr", "127.0.0.1:0", "--database-url", unreachable},
			[]string{"database at DATABASE_URL (host=127.0.0.1 port=1 user=picloud database=picloud) is unreachable", "unset it to use the embedded database"}},
		{"malformed database URL", []string{"--addr", "127.0.0.1:0", "--public-addr", "127.0.0.1:0", "--database-url", "postgres://x:y@:notaport/"},
			[]string{"DATABASE_URL:"}},
		{"bad log format", []string{"--log-format", "xml"}, []string{`--log-format "xml": want text or json`}},
		{"stray argument", []string{"now"}, []string{`unknown command "now"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := dataDir(t)
			err := runErr(t, append([]string{"serve", "--data", data}, tt.args...)...)
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if _, err := os.Stat(data); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a failed start left %s behind", data)
			}
		})
	}
	// The listeners were released: the address is free again.
	l, err := net.Listen("tcp", free)
	if err != nil {
		t.Fatalf("serve kept %s after failing: %v", free, err)
	}
	l.Close()
}

// A data directory the server cannot use fails with what to do, and starts
// nothing.
func TestServeUnusableDataDirectory(t *testing.T) {
	requireServer(t)
	t.Setenv("DATABASE_URL", "")
	base := filepath.Dir(dataDir(t))
	locked := filepath.Join(base, "locked")
	if err := os.Mkdir(locked, 0o700); err != nil {
		t.Fatal(err)
	}
	want := "who cannot enter " + locked // root: the postgres user cannot reach it
	if os.Geteuid() != 0 {
		if err := os.Chmod(locked, 0o500); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = os.Chmod(locked, 0o700) })
		want = "permission denied: choose a writable directory"
	}
	err := runErr(t, "serve", "--addr", "127.0.0.1:0", "--public-addr", "127.0.0.1:0", "--data", filepath.Join(locked, "data"))
	if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "--data or PICLOUD_DATA") {
		t.Fatalf("got %v, want an error containing %q", err, want)
	}
}

func TestServeDataDirectoryOwnedBySomeoneElse(t *testing.T) {
	requireServer(t)
	if os.Geteuid() != 0 {
		t.Skip("needs root to hand a directory to another user")
	}
	t.Setenv("DATABASE_URL", "")
	data := dataDir(t)
	pg := filepath.Join(data, "pg")
	if err := os.Mkdir(data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(pg, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(pg, "PG_VERSION"), []byte("15\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(pg, 4242, 4242); err != nil {
		t.Fatal(err)
	}
	err := runErr(t, "serve", "--addr", "127.0.0.1:0", "--public-addr", "127.0.0.1:0", "--data", data)
	if !strings.Contains(err.Error(), pg+" is owned by uid 4242") {
		t.Fatalf("got %v, want an ownership error", err)
	}
}

// When serve fails after starting the embedded cluster, it stops it.
func TestServeStopsClusterOnFailure(t *testing.T) {
	requireServer(t)
	t.Setenv("DATABASE_URL", "")
	data := dataDir(t)
	// A database migrated by a newer PiCloud.
	c, err := pgcluster.Start(t.Context(), pgcluster.Config{Dir: filepath.Join(data, "pg")})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(t.Context(), c.URL())
	if err != nil {
		t.Fatal(err)
	}
	_, err = conn.Exec(t.Context(), `CREATE TABLE goose_db_version (id serial PRIMARY KEY, version_id bigint NOT NULL, is_applied boolean NOT NULL, tstamp timestamp DEFAULT now());
		INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, true), (99999, true)`)
	conn.Close(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}

	err = runErr(t, "serve", "--addr", "127.0.0.1:0", "--public-addr", "127.0.0.1:0", "--data", data)
	if !strings.Contains(err.Error(), "newer than this PiCloud knows") {
		t.Fatalf("got %v, want a newer-schema error", err)
	}
	if clusterRunning(t, data) {
		t.Fatal("serve failed and left the embedded cluster running")
	}
}
