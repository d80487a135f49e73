package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/picloud/picloud/api"
	"github.com/picloud/picloud/client"
)

// The bench's script answers exactly what the bare route answers.
const (
	benchApp    = "bench"
	benchScript = "hello"
	benchSource = `"` + api.BenchBareBody + `"`
)

type config struct {
	picloud     string        // the binary to start
	databaseURL string        // passed to it; empty: its embedded database
	adminURL    string        // an already running server instead
	publicURL   string        // its public listener
	token       string        // its admin token
	duration    time.Duration // of each measurement
	warmup      time.Duration // before each target's measurements
	runs        int
	concurrency int
	maxRequests int
	rateFactor  float64 // the fixed rate, as a share of the script's most
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.picloud, "picloud", "bin/picloud", "the picloud binary to start on loopback")
	fs.StringVar(&c.databaseURL, "database-url", os.Getenv("DATABASE_URL"), "its database; empty: its embedded one (in a temporary data directory)")
	fs.StringVar(&c.adminURL, "url", "", "bench an already running server (started with --bench-bare-route) at this admin URL instead")
	fs.StringVar(&c.publicURL, "public-url", "", "with --url: the server's public listener URL")
	fs.StringVar(&c.token, "token", os.Getenv("PICLOUD_TOKEN"), "with --url: an admin token")
	fs.DurationVar(&c.duration, "duration", 5*time.Second, "length of each measurement")
	fs.DurationVar(&c.warmup, "warmup", 2*time.Second, "warm-up before each target's measurements")
	fs.IntVar(&c.runs, "runs", 5, "runs; the report gives their medians")
	fs.IntVar(&c.concurrency, "concurrency", 32, "clients of the closed loop")
	fs.IntVar(&c.maxRequests, "max-requests", 2_000_000, "bound on the requests of one measurement")
	fs.Float64Var(&c.rateFactor, "rate", 0.5, "the latency measurement's rate, as a share of the script endpoint's most")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	switch {
	case fs.NArg() > 0:
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	case c.duration <= 0 || c.warmup < 0 || c.runs < 1 || c.concurrency < 1 || c.maxRequests < 1:
		return c, errors.New("--duration, --runs, --concurrency and --max-requests must be positive")
	case c.rateFactor <= 0 || c.rateFactor > 1:
		return c, errors.New("--rate must be in (0, 1]")
	case c.adminURL != "" && (c.publicURL == "" || c.token == ""):
		return c, errors.New("--url needs --public-url and --token")
	}
	return c, nil
}

// bench runs the whole bench and prints the report.
func bench(ctx context.Context, cfg config, stdout, stderr io.Writer) error {
	logf := func(format string, args ...any) { fmt.Fprintf(stderr, format+"\n", args...) }
	if cfg.adminURL == "" {
		srv, err := startServer(ctx, cfg, logf)
		if err != nil {
			return err
		}
		defer func() {
			if err := srv.stop(); err != nil {
				logf("stopping picloud: %v", err)
			}
		}()
		cfg.adminURL, cfg.publicURL, cfg.token = srv.admin, srv.public, srv.token
	}
	for _, u := range []string{cfg.adminURL, cfg.publicURL} {
		if err := requireLoopback(u); err != nil {
			return err
		}
	}
	scriptURL := cfg.publicURL + "/" + benchApp + "/" + benchScript
	bareURL := cfg.publicURL + api.BenchBarePath
	if err := deploy(ctx, cfg, scriptURL, logf); err != nil {
		return err
	}

	hc := &http.Client{Transport: &http.Transport{
		MaxIdleConns: cfg.concurrency * 2, MaxIdleConnsPerHost: cfg.concurrency * 2, IdleConnTimeout: time.Minute,
	}}
	defer hc.CloseIdleConnections()
	for _, u := range []string{scriptURL, bareURL} {
		if err := check(ctx, hc, u); err != nil {
			return err
		}
		logf("warming up %s for %v", u, cfg.warmup)
		if _, err := closedLoop(ctx, hc, u, cfg.concurrency, cfg.warmup, cfg.maxRequests); err != nil {
			return err
		}
	}

	var runs []result
	for i := range cfg.runs {
		var r result
		var err error
		if r.script, err = closedLoop(ctx, hc, scriptURL, cfg.concurrency, cfg.duration, cfg.maxRequests); err != nil {
			return err
		}
		if r.bare, err = closedLoop(ctx, hc, bareURL, cfg.concurrency, cfg.duration, cfg.maxRequests); err != nil {
			return err
		}
		r.rate = cfg.rateFactor * r.script.rps()
		if r.latency, err = openLoop(ctx, hc, scriptURL, r.rate, cfg.duration, cfg.maxRequests); err != nil {
			return err
		}
		logf("run %d: %s", i+1, r)
		runs = append(runs, r)
	}
	return report(stdout, cfg, runs)
}

// result is one run's measurements.
type result struct {
	script, bare throughput
	rate         float64
	latency      latencies
}

func (r result) String() string {
	return fmt.Sprintf("script %.0f req/s, bare %.0f req/s (%.0f%%); at %.0f req/s: p50 %v, p99 %v, %d errors",
		r.script.rps(), r.bare.rps(), 100*r.script.rps()/r.bare.rps(), r.rate, r.latency.p(50), r.latency.p(99), r.latency.errors+r.script.errors+r.bare.errors)
}

func report(w io.Writer, cfg config, runs []result) error {
	med := func(f func(result) float64) float64 {
		v := make([]float64, len(runs))
		for i, r := range runs {
			v[i] = f(r)
		}
		slices.Sort(v)
		if len(v)%2 == 1 {
			return v[len(v)/2]
		}
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	script := med(func(r result) float64 { return r.script.rps() })
	bare := med(func(r result) float64 { return r.bare.rps() })
	ratio := med(func(r result) float64 { return r.script.rps() / r.bare.rps() })
	rate := med(func(r result) float64 { return r.rate })
	p50 := med(func(r result) float64 { return ms(r.latency.p(50)) })
	p99 := med(func(r result) float64 { return ms(r.latency.p(99)) })
	errs := 0
	for _, r := range runs {
		errs += r.script.errors + r.bare.errors + r.latency.errors
	}
	_, err := fmt.Fprintf(w, `load bench: medians of %d runs, %v each, %d clients, on loopback
  bare gin route      %8.0f req/s
  script endpoint     %8.0f req/s  (%.0f%% of bare; target >= 50%%)
  script at %5.0f req/s (%.0f%% of its most): p50 %.2f ms, p99 %.2f ms (target p99 <= 5 ms)
  errors: %d
`, len(runs), cfg.duration, cfg.concurrency, bare, script, 100*ratio, rate, 100*cfg.rateFactor, p50, p99, errs)
	return err
}

// server is the picloud serve the bench started.
type server struct {
	cmd                  *exec.Cmd
	admin, public, token string
	data                 string
	exited               chan error
}

// startServer starts picloud serve on loopback ports with the bare route
// and waits until it is ready.
func startServer(ctx context.Context, cfg config, logf func(string, ...any)) (*server, error) {
	data, err := os.MkdirTemp("", "picloud-bench-")
	if err != nil {
		return nil, err
	}
	if os.Geteuid() == 0 {
		// The embedded cluster runs as the postgres user: let it in.
		_ = os.Chmod(data, 0o755)
	}
	secret := make([]byte, 24)
	_, _ = rand.Read(secret)
	s := &server{admin: freeAddr(), public: freeAddr(), token: "pct_bench_" + hex.EncodeToString(secret), data: data, exited: make(chan error, 1)}
	cacheDir, _ := os.UserCacheDir()
	args := []string{"serve", "--addr", s.admin, "--public-addr", s.public, "--data", data,
		"--cache-dir", filepath.Join(cacheDir, "picloud"), "--bench-bare-route", "--log-level", "warn"}
	if cfg.databaseURL != "" {
		args = append(args, "--database-url", cfg.databaseURL)
	}
	s.cmd = exec.Command(cfg.picloud, args...)
	s.cmd.Env = append(os.Environ(), "PICLOUD_ADMIN_TOKEN="+s.token)
	s.cmd.Stdout, s.cmd.Stderr = os.Stderr, os.Stderr
	logf("starting %s %s", cfg.picloud, strings.Join(args, " "))
	if err := s.cmd.Start(); err != nil {
		os.RemoveAll(data)
		return nil, fmt.Errorf("start %s (build it with make build): %w", cfg.picloud, err)
	}
	go func() { s.exited <- s.cmd.Wait() }()
	s.admin, s.public = "http://"+s.admin, "http://"+s.public

	deadline := time.After(3 * time.Minute)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if resp, err := http.Get(s.admin + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s, nil
			}
		}
		select {
		case err := <-s.exited:
			os.RemoveAll(data)
			return nil, fmt.Errorf("picloud serve exited before it was ready: %v", err)
		case <-deadline:
			_ = s.stop()
			return nil, errors.New("picloud serve was not ready after 3 minutes")
		case <-ctx.Done():
			_ = s.stop()
			return nil, ctx.Err()
		case <-tick.C:
		}
	}
}

// stop shuts the server down as SIGTERM does and removes its data.
func (s *server) stop() error {
	defer os.RemoveAll(s.data)
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.exited:
		return err
	case <-time.After(time.Minute):
		_ = s.cmd.Process.Kill()
		return errors.New("picloud serve did not stop within a minute of SIGTERM; killed")
	}
}

func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "127.0.0.1:0"
	}
	defer l.Close()
	return l.Addr().String()
}

// requireLoopback refuses a URL whose host is not a loopback address: the
// bench never loads another machine.
func requireLoopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%s is not a loopback address: the bench runs on loopback only", raw)
}

// deploy creates the bench app and its script, and waits until the public
// endpoint answers.
func deploy(ctx context.Context, cfg config, scriptURL string, logf func(string, ...any)) error {
	cl, err := client.New(client.Config{URL: cfg.adminURL, Token: cfg.token})
	if err != nil {
		return err
	}
	if _, err := cl.CreateApp(ctx, client.NewApp{Slug: benchApp, Description: "load bench"}); err != nil && !client.IsCode(err, "app_exists") {
		return fmt.Errorf("create the bench app: %w", err)
	}
	up, err := cl.Deploy(ctx, benchApp, benchScript, benchSource)
	if err != nil {
		return fmt.Errorf("deploy the bench script: %w", err)
	}
	logf("deployed %s/%s version %d", up.App, up.Script, up.Version)
	deadline := time.Now().Add(time.Minute)
	for {
		resp, err := http.Get(scriptURL)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 && string(b) == api.BenchBareBody {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not answer the bench script's body within a minute", scriptURL)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// check makes sure u answers 200 with the bench body.
func check(ctx context.Context, hc *http.Client, u string) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(b) != api.BenchBareBody {
		return fmt.Errorf("%s answered %d %q, want 200 %q (was picloud started with --bench-bare-route?)", u, resp.StatusCode, b, api.BenchBareBody)
	}
	return nil
}
