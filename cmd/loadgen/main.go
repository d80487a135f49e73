// Command loadgen is PiCloud's load bench (make bench-load). It starts a
// picloud binary on loopback with the bench's bare route, deploys a
// hello-world script, and compares the script's endpoint with the bare gin
// route answering the same bytes from the same process:
//
//   - the most requests per second each serves (a closed loop of
//     --concurrency clients for --duration), and
//   - the script endpoint's latency (p50, p99) at half its most, as an open
//     loop: requests are sent on a fixed schedule and timed from when they
//     were due, so a stall shows in the latency instead of slowing the
//     sender down.
//
// Each figure is the median of --runs runs. Every measurement is bounded in
// time (--duration) and count (--max-requests), and only loopback addresses
// are accepted.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "loadgen:", err)
		}
		os.Exit(1)
	}
}

// run parses the flags, runs the bench and prints its report.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	return bench(ctx, cfg, stdout, stderr)
}
