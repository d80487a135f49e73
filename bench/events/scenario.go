package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// system is one side of the comparison.
type system interface {
	name() string
	// publisher returns a function that publishes one message with the
	// given fan-out (River: inserts that many jobs in one transaction).
	publisher(fanout int) (func(ctx context.Context) error, error)
	probe() *probe
	// pause stops working jobs (publishes still commit); resume starts
	// again.
	pause(ctx context.Context) error
	resume(ctx context.Context) error
}

// probe counts the script runs of a scenario and their publish → start
// latencies.
type probe struct {
	mu   sync.Mutex
	lat  []time.Duration
	n    int
	want int
	last time.Time
	done chan struct{}
}

func newProbe() *probe { return &probe{done: make(chan struct{})} }

func (p *probe) reset(want int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lat, p.n, p.want, p.last = make([]time.Duration, 0, want), 0, want, time.Time{}
	p.done = make(chan struct{})
}

// observe records a script run that started at started for a message
// published at published (zero when unknown), finishing at finished.
func (p *probe) observe(published, started, finished time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !published.IsZero() {
		p.lat = append(p.lat, started.Sub(published))
	}
	p.n++
	if finished.After(p.last) {
		p.last = finished
	}
	if p.n == p.want {
		close(p.done)
	}
}

func (p *probe) wait(ctx context.Context, within time.Duration) error {
	p.mu.Lock()
	done := p.done
	p.mu.Unlock()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(within):
		p.mu.Lock()
		defer p.mu.Unlock()
		return fmt.Errorf("only %d of %d deliveries after %v", p.n, p.want, within)
	}
}

// scenario is one measurement: publishes messages at a fan-out, flat out
// from publishers goroutines, or at rate per second from one.
type scenario struct {
	name       string
	fanout     int
	publishes  int
	publishers int
	rate       int
	// burn publishes everything while the worker side is paused, then
	// measures how fast it burns the backlog down.
	burn bool
}

func (sc scenario) run(ctx context.Context, sys system) (result, error) {
	pub, err := sys.publisher(sc.fanout)
	if err != nil {
		return result{}, err
	}
	p := sys.probe()
	p.reset(sc.publishes * sc.fanout)
	if sc.burn {
		if err := sys.pause(ctx); err != nil {
			return result{}, err
		}
	}
	cpu0 := cpuTime()
	start := time.Now()
	if sc.rate > 0 {
		every := time.Second / time.Duration(sc.rate)
		for i := range sc.publishes {
			if d := time.Until(start.Add(time.Duration(i) * every)); d > 0 {
				time.Sleep(d)
			}
			if err := pub(ctx); err != nil {
				return result{}, err
			}
		}
	} else {
		var next atomic.Int64
		errs := make(chan error, sc.publishers)
		for range sc.publishers {
			go func() {
				for next.Add(1) <= int64(sc.publishes) {
					if err := pub(ctx); err != nil {
						errs <- err
						return
					}
				}
				errs <- nil
			}()
		}
		for range sc.publishers {
			if err := <-errs; err != nil {
				return result{}, err
			}
		}
	}
	publishDur := time.Since(start)
	if sc.burn {
		cpu0 = cpuTime()
		start = time.Now()
		if err := sys.resume(ctx); err != nil {
			return result{}, err
		}
	}
	if err := p.wait(ctx, 10*time.Minute); err != nil {
		return result{}, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return result{
		publishes: sc.publishes, publishDur: publishDur,
		deliveries: p.n, deliverDur: p.last.Sub(start),
		latencies: p.lat, cpu: cpuTime() - cpu0,
	}, nil
}

// cpuTime is this process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
