// Package clustertest runs a PiCloud cluster for tests: a private
// PostgreSQL (db/pgcluster, fsync on, so that a crash loses no committed
// transaction), one manager and a number of nodes, each a separate
// `picloud serve` process on loopback built once from this source tree.
// The chaos test, the SIGTERM test, the soak and the scaling bench use it.
//
//	c := clustertest.Start(t, clustertest.Config{Nodes: 3})
//	c.Nodes[1].Kill(t)       // SIGKILL
//	c.Nodes[1].Start(t)      // the same addresses again, waits for /readyz
//	c.RestartDatabase(t)     // pg_ctl restart -m immediate
//
// Every process is stopped (SIGTERM, then SIGKILL after a minute) and the
// database with them in t.Cleanup; each process's output is in its log
// file under the test's directory, shown when the test fails.
package clustertest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/picloud/picloud/db/pgcluster"
)

// Token is the cluster's admin token (PICLOUD_ADMIN_TOKEN of the manager).
const Token = "clustertest-admin-token-0123456789"

// Config says what to run. Zero fields take the documented defaults.
type Config struct {
	// Nodes is the number of node processes. Default 1.
	Nodes int
	// Binary is a built picloud (Build). Required.
	Binary string
	// ManagerArgs and NodeArgs are added to each process's serve flags.
	ManagerArgs, NodeArgs []string
	// NoManager runs the nodes only.
	NoManager bool
}

// Cluster is a running cluster.
type Cluster struct {
	t       testing.TB
	dir     string
	bin     string
	DB      *pgcluster.Cluster
	URL     string // the database's URL, over its socket
	Manager *Proc  // nil with Config.NoManager
	Nodes   []*Proc
}

// Proc is one `picloud serve` process. Its addresses stay the same across
// restarts.
type Proc struct {
	Name          string
	Role          string
	Admin, Public string // host:port; Public is empty for the manager
	c             *Cluster
	args          []string
	logPath       string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has been waited for
	err    error         // cmd.Wait's result
}

// Build builds picloud from this source tree into dir and returns its
// path: once per test binary, in TestMain.
func Build(dir string) (string, error) {
	_, file, _, _ := goruntime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	out := filepath.Join(dir, "picloud")
	cmd := exec.Command("go", "build", "-o", out, "./cmd/picloud")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("clustertest: go build ./cmd/picloud: %w\n%s", err, b)
	}
	return out, nil
}

// Start starts the database, the manager and the nodes, and waits until
// each answers /readyz.
func Start(t testing.TB, cfg Config) *Cluster {
	t.Helper()
	if _, err := pgcluster.FindBinDir(""); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI needs PostgreSQL: %v", err)
		}
		t.Skipf("skipping: %v", err)
	}
	if cfg.Nodes == 0 {
		cfg.Nodes = 1
	}
	bin := cfg.Binary
	if bin == "" {
		t.Fatal("clustertest: Config.Binary is required (Build it in TestMain)")
	}
	dir := t.TempDir()
	if os.Geteuid() == 0 { // the postgres user must reach the cluster directory
		for _, d := range []string{filepath.Dir(dir), dir} {
			if err := os.Chmod(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	db, err := pgcluster.Start(ctx, pgcluster.Config{Dir: filepath.Join(dir, "pg")})
	if err != nil {
		t.Fatal(err)
	}
	c := &Cluster{t: t, dir: dir, bin: bin, DB: db, URL: db.URL()}
	t.Cleanup(c.stop)
	cache := filepath.Join(dir, "cache")
	if ucd, err := os.UserCacheDir(); err == nil {
		cache = filepath.Join(ucd, "picloud") // shared with the other tests: no guest build per cluster
	}
	common := []string{"--database-url", c.URL, "--cache-dir", cache, "--log-level", "info"}
	if !cfg.NoManager {
		c.Manager = c.newProc("manager", "manager", false, append(append(common, "--role", "manager"), cfg.ManagerArgs...))
		c.Manager.Start(t)
	}
	for i := range cfg.Nodes {
		p := c.newProc(fmt.Sprintf("node%d", i+1), "node", true, append(append(common, "--role", "node"), cfg.NodeArgs...))
		c.Nodes = append(c.Nodes, p)
	}
	for _, p := range c.Nodes {
		p.start(t) // in parallel
	}
	for _, p := range c.Nodes {
		p.WaitReady(t)
	}
	return c
}

func (c *Cluster) newProc(name, role string, public bool, args []string) *Proc {
	p := &Proc{Name: name, Role: role, Admin: freeAddr(c.t), c: c, logPath: filepath.Join(c.dir, name+".log")}
	args = append([]string{"serve", "--addr", p.Admin, "--data", filepath.Join(c.dir, name)}, args...)
	if public {
		p.Public = freeAddr(c.t)
		args = append(args, "--public-addr", p.Public)
	}
	p.args = args
	return p
}

func freeAddr(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// Start (re)starts the process and waits until it answers /readyz.
func (p *Proc) Start(t testing.TB) {
	t.Helper()
	p.start(t)
	p.WaitReady(t)
}

func (p *Proc) start(t testing.TB) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		select {
		case <-p.exited:
		default:
			t.Fatalf("%s: started while running", p.Name)
		}
	}
	log, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(log, "=== %s: picloud %s\n", time.Now().Format(time.RFC3339Nano), strings.Join(p.args, " "))
	cmd := exec.Command(p.c.bin, p.args...)
	cmd.Env = append(os.Environ(), "PICLOUD_ADMIN_TOKEN="+Token, "DATABASE_URL=")
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		log.Close()
		t.Fatalf("%s: %v", p.Name, err)
	}
	exited := make(chan struct{})
	p.cmd, p.exited, p.err = cmd, exited, nil
	go func() {
		err := cmd.Wait()
		log.Close()
		p.mu.Lock()
		p.err = err
		p.mu.Unlock()
		close(exited)
	}()
}

// WaitReady waits until the process answers /readyz with 200, failing the
// test if it exits first or takes over two minutes.
func (p *Proc) WaitReady(t testing.TB) {
	t.Helper()
	p.mu.Lock()
	exited := p.exited
	p.mu.Unlock()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if code, _, err := p.Get("/readyz"); err == nil && code == 200 {
			return
		}
		select {
		case <-exited:
			t.Fatalf("%s exited before it was ready: %v\n%s", p.Name, p.Err(), p.Log())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready after two minutes:\n%s", p.Name, p.Log())
		}
	}
}

// Err is the process's exit error once it exited (nil for exit status 0).
func (p *Proc) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// Exited is closed when the current run of the process has exited.
func (p *Proc) Exited() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exited
}

// Pid is the current run's process id.
func (p *Proc) Pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd.Process.Pid
}

// Kill sends SIGKILL and waits for the process to be gone.
func (p *Proc) Kill(t testing.TB) {
	t.Helper()
	p.signal(t, syscall.SIGKILL)
	<-p.Exited()
}

// Term sends SIGTERM and returns how the process exited, waiting at most
// within.
func (p *Proc) Term(t testing.TB, within time.Duration) error {
	t.Helper()
	p.signal(t, syscall.SIGTERM)
	select {
	case <-p.Exited():
		return p.Err()
	case <-time.After(within):
		t.Fatalf("%s did not exit within %v of SIGTERM:\n%s", p.Name, within, p.Log())
		return nil
	}
}

// Signal sends sig to the process.
func (p *Proc) Signal(t testing.TB, sig syscall.Signal) { t.Helper(); p.signal(t, sig) }

func (p *Proc) signal(t testing.TB, sig syscall.Signal) {
	t.Helper()
	p.mu.Lock()
	cmd := p.cmd
	p.mu.Unlock()
	if cmd == nil {
		t.Fatalf("%s was never started", p.Name)
	}
	if err := cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Fatalf("%s: %v", p.Name, err)
	}
}

// Get requests path on the process's admin listener.
func (p *Proc) Get(path string) (int, string, error) {
	return get("http://" + p.Admin + path)
}

func get(url string) (int, string, error) {
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// Metrics scrapes the process's /metrics and returns each sample by its
// series as written ("go_goroutines", `picloud_x{a="b"}`).
func (p *Proc) Metrics(t testing.TB) map[string]float64 {
	t.Helper()
	code, body, err := p.Get("/metrics")
	if err != nil || code != 200 {
		t.Fatalf("%s /metrics: %d %v", p.Name, code, err)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			out[line[:i]] = v
		}
	}
	return out
}

// Log is the process's output so far.
func (p *Proc) Log() string {
	b, _ := os.ReadFile(p.logPath)
	return string(b)
}

// CPU is the CPU time the current run of the process used so far.
func (p *Proc) CPU() time.Duration { return cpuOf(p.Pid()) }

// cpuOf reads utime+stime of pid from /proc (clock ticks of 10ms).
func cpuOf(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(fields) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(fields[11], 10, 64)
	st, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// DatabaseCPU is the CPU time every server process of the database used
// so far (the postmaster's children alive now, and the postmaster).
func (c *Cluster) DatabaseCPU() time.Duration {
	pidFile, err := os.ReadFile(filepath.Join(c.DB.Dir(), "postmaster.pid"))
	if err != nil {
		return 0
	}
	first, _, _ := strings.Cut(string(pidFile), "\n")
	pm, _ := strconv.Atoi(strings.TrimSpace(first))
	total := cpuOf(pm)
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		s := string(b)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		if len(fields) > 1 && fields[1] == strconv.Itoa(pm) {
			total += cpuOf(pid)
		}
	}
	return total
}

// RestartDatabase restarts PostgreSQL in immediate mode (a crash and
// recovery).
func (c *Cluster) RestartDatabase(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := c.DB.Restart(ctx); err != nil {
		t.Fatal(err)
	}
}

// Procs is the manager (if any) and the nodes.
func (c *Cluster) Procs() []*Proc {
	var ps []*Proc
	if c.Manager != nil {
		ps = append(ps, c.Manager)
	}
	return append(ps, c.Nodes...)
}

// stop terminates every process still running (nodes first), then the
// database; it shows the logs when the test failed.
func (c *Cluster) stop() {
	procs := append(append([]*Proc{}, c.Nodes...), c.Manager)
	for _, p := range procs {
		if p == nil || p.cmd == nil {
			continue
		}
		select {
		case <-p.Exited():
			continue
		default:
		}
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.Exited():
		case <-time.After(time.Minute):
			_ = p.cmd.Process.Kill()
			<-p.Exited()
		}
	}
	if c.t.Failed() {
		for _, p := range procs {
			if p != nil {
				c.t.Logf("--- %s log:\n%s", p.Name, tail(p.Log(), 80))
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := c.DB.Stop(ctx); err != nil {
		c.t.Errorf("stop the database: %v", err)
	}
}

func tail(s string, lines int) string {
	parts := strings.Split(s, "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}
