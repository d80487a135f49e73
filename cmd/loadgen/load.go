package main

import (
	"context"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// throughput is what a closed loop served.
type throughput struct {
	requests int
	errors   int
	elapsed  time.Duration
}

func (t throughput) rps() float64 {
	if t.elapsed <= 0 {
		return 0
	}
	return float64(t.requests) / t.elapsed.Seconds()
}

// closedLoop has workers clients send requests back to back for d, or
// until max requests were sent.
func closedLoop(ctx context.Context, hc *http.Client, u string, workers int, d time.Duration, max int) (throughput, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var sent, ok, failed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && sent.Add(1) <= int64(max) {
				if get(ctx, hc, u) {
					ok.Add(1)
				} else if ctx.Err() == nil {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := context.Cause(ctx); err != nil && err != context.DeadlineExceeded {
		return throughput{}, err
	}
	return throughput{requests: int(ok.Load()), errors: int(failed.Load()), elapsed: elapsed}, nil
}

// get sends one GET and reads the answer; it reports whether it was a 200.
func get(ctx context.Context, hc *http.Client, u string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return false
	}
	resp, err := hc.Do(req)
	if err != nil {
		return false
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return err == nil && resp.StatusCode == http.StatusOK
}

// latencies are an open loop's response times, sorted.
type latencies struct {
	sorted []time.Duration
	errors int
}

// p is the q-th percentile.
func (l latencies) p(q int) time.Duration {
	if len(l.sorted) == 0 {
		return 0
	}
	i := (len(l.sorted)*q + 99) / 100 // nearest rank
	return l.sorted[min(max(i-1, 0), len(l.sorted)-1)]
}

// maxInFlight bounds an open loop's concurrent requests: past it the
// server is hopelessly behind and the schedule waits (the latencies, timed
// from the schedule, show it).
const maxInFlight = 1024

// openLoop sends requests at rate per second for d (at most max of them),
// each timed from the moment the schedule says it is due, not from when it
// could be sent: a server that stalls cannot slow the sender down and hide
// its own latency (coordinated omission).
func openLoop(ctx context.Context, hc *http.Client, u string, rate float64, d time.Duration, max int) (latencies, error) {
	total := min(int(rate*d.Seconds()), max)
	out := make([]time.Duration, total)
	okay := make([]bool, total)
	slots := make(chan struct{}, maxInFlight)
	var wg sync.WaitGroup
	interval := time.Duration(float64(time.Second) / rate)
	start := time.Now()
	for i := 0; i < total; i++ {
		due := start.Add(time.Duration(i) * interval)
		if wait := time.Until(due); wait > 0 {
			// Sleep only when it is worth it: the timer's granularity is
			// coarser than the interval at high rates, and the requests
			// that fall due meanwhile go out together.
			if wait > 200*time.Microsecond {
				select {
				case <-time.After(wait):
				case <-ctx.Done():
					wg.Wait()
					return latencies{}, ctx.Err()
				}
			}
		}
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return latencies{}, ctx.Err()
		}
		wg.Add(1)
		go func(i int, due time.Time) {
			defer wg.Done()
			okay[i] = get(ctx, hc, u)
			out[i] = time.Since(due)
			<-slots
		}(i, due)
	}
	wg.Wait()
	l := latencies{sorted: out[:0]}
	for i, d := range out {
		if okay[i] {
			l.sorted = append(l.sorted, d)
		} else {
			l.errors++
		}
	}
	slices.Sort(l.sorted)
	return l, nil
}
