package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/picloud/picloud/db/dbtest"
	"github.com/picloud/picloud/db/pgcluster"
)

func TestMain(m *testing.M) {
	// Every serve of these tests shares the sandbox's compilation cache
	// with the runtime's own tests, rather than building the guest into
	// each data directory.
	if dir, err := os.UserCacheDir(); err == nil {
		os.Setenv("PICLOUD_CACHE_DIR", filepath.Join(dir, "picloud"))
	}
	goleak.VerifyTestMain(dbtest.Wrap(m))
}

// output is a goroutine-safe buffer for run's stdout and stderr that can
// wait for a line to appear.
type output struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{}
}

func newOutput() *output { return &output{changed: make(chan struct{}, 1)} }

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	select {
	case o.changed <- struct{}{}:
	default:
	}
	return o.buf.Write(p)
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// waitForReady waits until serve logs that it is ready, in either log
// format, or run returned.
func (o *output) waitForReady(t *testing.T, done <-chan error) {
	t.Helper()
	const s = "ready"
	timeout := time.After(2 * time.Minute)
	for out := o.String(); !strings.Contains(out, "msg=ready") && !strings.Contains(out, `"msg":"ready"`); out = o.String() {
		select {
		case <-o.changed:
		case err := <-done:
			t.Fatalf("run returned %v before logging %q:\n%s", err, s, o.String())
		case <-timeout:
			t.Fatalf("no %q after 2 minutes:\n%s", s, o.String())
		}
	}
}

// server is a `picloud serve` running in-process.
type server struct {
	admin, public string
	out           *output
	cancel        context.CancelFunc
	done          chan error
}

// startServe runs `picloud serve` with args on free ports and waits until
// it is ready.
func startServe(t *testing.T, args ...string) *server {
	t.Helper()
	s := &server{admin: freeAddr(t), public: freeAddr(t), out: newOutput(), done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	args = append([]string{"serve", "--addr", s.admin, "--public-addr", s.public}, args...)
	go func() { s.done <- run(ctx, args, s.out, s.out) }()
	t.Cleanup(func() { s.stop(t) })
	s.out.waitForReady(t, s.done)
	return s
}

// stop asks the server to shut down, as SIGTERM does, and checks it exits
// cleanly.
func (s *server) stop(t *testing.T) {
	t.Helper()
	if s.cancel == nil {
		return
	}
	s.cancel()
	s.cancel = nil
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("serve returned %v:\n%s", err, s.out.String())
		}
	case <-time.After(2 * time.Minute):
		t.Fatalf("serve did not stop:\n%s", s.out.String())
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func getJSON(t *testing.T, url string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

// runErr runs picloud with args, which must fail, and returns the error.
func runErr(t *testing.T, args ...string) error {
	t.Helper()
	out := newOutput()
	err := run(t.Context(), args, out, out)
	if err == nil {
		t.Fatalf("picloud %s succeeded:\n%s", strings.Join(args, " "), out.String())
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error spans lines: %q", err)
	}
	return err
}

// requireServer skips (or, under CI, fails) without PostgreSQL binaries.
func requireServer(t *testing.T) {
	t.Helper()
	if _, err := pgcluster.FindBinDir(""); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI needs PostgreSQL: %v", err)
		}
		t.Skipf("skipping: %v", err)
	}
}

// dataDir is a fresh data directory the postgres user can reach when the
// tests run as root.
func dataDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if os.Geteuid() == 0 {
		for _, d := range []string{filepath.Dir(dir), dir} {
			if err := os.Chmod(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	return filepath.Join(dir, "data")
}

// clusterRunning reports whether a PostgreSQL server runs in the data
// directory's embedded cluster.
func clusterRunning(t *testing.T, data string) bool {
	t.Helper()
	pid, err := os.ReadFile(filepath.Join(data, "pg", "postmaster.pid"))
	if err != nil {
		return false
	}
	first, _, _ := strings.Cut(string(pid), "\n")
	_, err = os.Stat("/proc/" + first)
	return err == nil
}
