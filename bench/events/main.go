// Command events benchmarks PiCloud's outbox (publish, dispatch, a no-op
// script in the sandbox) against River working the same jobs on the same
// PostgreSQL in the same run (make bench-events).
//
// Each run, for PiCloud and then River:
//
//   - flat out: 8 publishers publish -publishes messages as fast as they
//     can, fan-out 1 (one job each for River) and fan-out 10 (River: an
//     InsertMany of 10 jobs); publishes/s over the publishing, deliveries/s
//     from the first publish to the last script run, and the publish →
//     script start latency of every delivery;
//   - fixed rate: one publisher at -rate publishes/s, fan-out 1, for
//     -rate-for; the publish → script start latency;
//   - burn-down: the fan-out 10 messages published while the workers are
//     stopped, then the deliveries/s of working the backlog off alone.
//
// and once, the sandbox's CPU time per no-op invocation. Runs alternate
// which side goes first; the table shows the median of -runs runs. Without -database-url it starts a private
// PostgreSQL cluster (fsync on) in a temporary directory.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/picloud/picloud/db/migrations"
	"github.com/picloud/picloud/db/pgcluster"
)

type options struct {
	databaseURL   string
	runs          int
	publishers    int
	publishes     int
	publishes10   int
	rate          int
	rateFor       time.Duration
	maxConns      int
	skipRiver     bool
	invokeSamples int
	cpuProfile    string
	scenarios     string
	noRecord      bool
	slots         int
	appConc       int
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	var o options
	fs := flag.NewFlagSet("events", flag.ContinueOnError)
	fs.StringVar(&o.databaseURL, "database-url", os.Getenv("DATABASE_URL"), "PostgreSQL to use; empty: a private cluster")
	fs.IntVar(&o.runs, "runs", 5, "runs, alternating which side goes first; the table shows medians")
	fs.IntVar(&o.publishers, "publishers", 8, "concurrent publishers in the flat-out scenarios")
	fs.IntVar(&o.publishes, "publishes", 20000, "publishes per flat-out scenario at fan-out 1")
	fs.IntVar(&o.publishes10, "publishes-fanout10", 3000, "publishes per flat-out scenario at fan-out 10")
	fs.IntVar(&o.rate, "rate", 200, "publishes per second in the fixed-rate scenario")
	fs.DurationVar(&o.rateFor, "rate-for", 10*time.Second, "how long the fixed-rate scenario publishes")
	fs.IntVar(&o.maxConns, "max-conns", 16, "connections per pool (each system has its own)")
	fs.BoolVar(&o.skipRiver, "skip-river", false, "run PiCloud only")
	fs.IntVar(&o.invokeSamples, "invoke-samples", 5000, "no-op invocations for the sandbox's CPU per invocation")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run to this file")
	fs.StringVar(&o.scenarios, "scenarios", "flat1,flat10,rate,burn", "the scenarios to run")
	fs.IntVar(&o.slots, "slots", 0, "the dispatcher's Slots (0: its default)")
	fs.IntVar(&o.appConc, "app-concurrency", 0, "the bench app's max_concurrency (0: the server's default)")
	fs.BoolVar(&o.noRecord, "no-record", false, "PiCloud without its invocation history (not how it runs; to see what recording costs)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	url := o.databaseURL
	if url == "" {
		dir, err := os.MkdirTemp("", "picloud-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		if os.Geteuid() == 0 { // the cluster runs as postgres, who must reach it
			if err := os.Chmod(dir, 0o755); err != nil {
				return err
			}
		}
		c, err := pgcluster.Start(ctx, pgcluster.Config{Dir: filepath.Join(dir, "pg"), Logger: log})
		if err != nil {
			return err
		}
		defer c.Stop(context.WithoutCancel(ctx))
		url = c.URL()
		fmt.Fprintf(out, "PostgreSQL: a private cluster in %s (fsync on)\n", dir)
	}
	newPool := func() (*pgxpool.Pool, error) {
		cfg, err := pgxpool.ParseConfig(url)
		if err != nil {
			return nil, err
		}
		cfg.MaxConns = int32(o.maxConns)
		return pgxpool.NewWithConfig(ctx, cfg)
	}
	pool, err := newPool()
	if err != nil {
		return err
	}
	defer pool.Close()
	m, err := migrations.New(pool, migrations.Config{})
	if err != nil {
		return err
	}
	if _, err := m.Up(ctx); err != nil {
		return err
	}
	m.Close()

	pc, err := startPicloud(ctx, pool, log, !o.noRecord, o.slots, o.appConc)
	if err != nil {
		return err
	}
	defer pc.close()
	var rv *riverSide
	if !o.skipRiver {
		rpool, err := newPool()
		if err != nil {
			return err
		}
		defer rpool.Close()
		if rv, err = newRiver(ctx, rpool, log); err != nil {
			return err
		}
		defer rv.close(context.WithoutCancel(ctx))
	}

	fmt.Fprintf(out, "%d runs; %d publishers; %d publishes at fan-out 1, %d at fan-out 10; %d/s for %v\n\n",
		o.runs, o.publishers, o.publishes, o.publishes10, o.rate, o.rateFor)
	all := map[string][]result{}
	for r := 1; r <= o.runs; r++ {
		order := systems(pc, rv)
		if r%2 == 0 { // ABBA: neither side always runs first
			slices.Reverse(order)
		}
		for _, sys := range order {
			for _, sc := range []scenario{
				{name: "flat1", fanout: 1, publishes: o.publishes, publishers: o.publishers},
				{name: "flat10", fanout: 10, publishes: o.publishes10, publishers: o.publishers},
				{name: "rate", fanout: 1, publishes: int(o.rateFor.Seconds() * float64(o.rate)), rate: o.rate},
				{name: "burn", fanout: 10, publishes: o.publishes10, publishers: o.publishers, burn: true},
			} {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				if !slices.Contains(strings.Split(o.scenarios, ","), sc.name) {
					continue
				}
				res, err := sc.run(ctx, sys)
				if err != nil {
					return fmt.Errorf("run %d, %s, %s: %w", r, sys.name(), sc.name, err)
				}
				fmt.Fprintf(out, "run %d %-8s %-6s %s\n", r, sys.name(), sc.name, res.summary())
				all[sys.name()+"/"+sc.name] = append(all[sys.name()+"/"+sc.name], res)
			}
		}
	}
	cpu, err := pc.invokeCPU(ctx, o.invokeSamples)
	if err != nil {
		return err
	}
	fmt.Fprintln(out)
	printTable(out, all, rv != nil, cpu)
	return nil
}

func systems(pc *picloudSide, rv *riverSide) []system {
	if rv == nil {
		return []system{pc}
	}
	return []system{pc, rv}
}

// result is one scenario's measurements.
type result struct {
	publishes  int
	publishDur time.Duration
	deliveries int
	deliverDur time.Duration
	latencies  []time.Duration
	cpu        time.Duration // this process's CPU time over the scenario
}

func (r result) publishRate() float64 { return float64(r.publishes) / r.publishDur.Seconds() }
func (r result) deliveryRate() float64 {
	return float64(r.deliveries) / r.deliverDur.Seconds()
}

func (r result) percentile(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	s := slices.Clone(r.latencies)
	slices.Sort(s)
	return s[min(len(s)-1, int(p*float64(len(s))))]
}

func (r result) cpuPerDelivery() time.Duration { return r.cpu / time.Duration(max(r.deliveries, 1)) }

func (r result) summary() string {
	return fmt.Sprintf("publishes/s %8.0f  deliveries/s %8.0f  p50 %7s  p99 %8s  CPU/delivery %6s",
		r.publishRate(), r.deliveryRate(), ms(r.percentile(0.5)), ms(r.percentile(0.99)), us(r.cpuPerDelivery()))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }
func us(d time.Duration) string { return fmt.Sprintf("%.0fµs", float64(d)/float64(time.Microsecond)) }

func median(vs []float64) float64 {
	if len(vs) == 0 {
		return 0
	}
	s := slices.Clone(vs)
	sort.Float64s(s)
	return s[len(s)/2]
}

func printTable(out io.Writer, all map[string][]result, withRiver bool, invokeCPU time.Duration) {
	med := func(key string, f func(result) float64) float64 {
		var vs []float64
		for _, r := range all[key] {
			vs = append(vs, f(r))
		}
		return median(vs)
	}
	durMS := func(p float64) func(result) float64 {
		return func(r result) float64 { return float64(r.percentile(p)) / float64(time.Millisecond) }
	}
	type row struct {
		metric string
		key    string
		f      func(result) float64
		unit   string
	}
	rows := []row{
		{"publishes/s, 8 publishers flat out, fan-out 1", "flat1", result.publishRate, "/s"},
		{"deliveries/s, 8 publishers flat out, fan-out 1", "flat1", result.deliveryRate, "/s"},
		{"publish → script start p50, flat out, fan-out 1", "flat1", durMS(0.5), "ms"},
		{"publish → script start p99, flat out, fan-out 1", "flat1", durMS(0.99), "ms"},
		{"publishes/s, 8 publishers flat out, fan-out 10", "flat10", result.publishRate, "/s"},
		{"deliveries/s, 8 publishers flat out, fan-out 10", "flat10", result.deliveryRate, "/s"},
		{"publish → script start p50, flat out, fan-out 10", "flat10", durMS(0.5), "ms"},
		{"publish → script start p99, flat out, fan-out 10", "flat10", durMS(0.99), "ms"},
		{"publish → script start p50, 200/s, fan-out 1", "rate", durMS(0.5), "ms"},
		{"publish → script start p99, 200/s, fan-out 1", "rate", durMS(0.99), "ms"},
		{"deliveries/s burning down a backlog (fan-out 10)", "burn", result.deliveryRate, "/s"},
		{"bench process CPU per delivery, burning down", "burn", func(r result) float64 { return float64(r.cpuPerDelivery()) / float64(time.Microsecond) }, "µs"},
		{"bench process CPU per delivery, fan-out 1", "flat1", func(r result) float64 { return float64(r.cpuPerDelivery()) / float64(time.Microsecond) }, "µs"},
	}
	w := 52
	if withRiver {
		fmt.Fprintf(out, "%-*s %12s %12s %8s\n", w, "metric (median)", "PiCloud", "River", "ratio")
	} else {
		fmt.Fprintf(out, "%-*s %12s\n", w, "metric (median)", "PiCloud")
	}
	fmt.Fprintln(out, strings.Repeat("-", w+36))
	for _, r := range rows {
		p := med("picloud/"+r.key, r.f)
		if !withRiver {
			fmt.Fprintf(out, "%-*s %10.2f%-2s\n", w, r.metric, p, r.unit)
			continue
		}
		rv := med("river/"+r.key, r.f)
		ratio := "-"
		if rv > 0 {
			ratio = fmt.Sprintf("%.2f×", p/rv)
		}
		fmt.Fprintf(out, "%-*s %10.2f%-2s %10.2f%-2s %8s\n", w, r.metric, p, r.unit, rv, r.unit, ratio)
	}
	fmt.Fprintf(out, "%-*s %10.1fµs\n", w, "sandbox CPU per no-op invocation (runtime.Invoke)", float64(invokeCPU)/float64(time.Microsecond))
}
