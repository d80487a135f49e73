package chaos

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// result is one request of the load.
type result struct {
	at     time.Time // when it was sent
	done   time.Time // when it was answered or failed
	target int       // the index of the target it went to
	seq    int64     // the request's number, unique in its load
	status int       // 0 when it failed before a response
	err    error
	body   string
}

// load sends GETs to the targets in turn at a fixed total rate from a few
// workers, until stop; results gives every request's outcome.
type load struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	res    []result
	// cut are the requests still in flight when stop cancelled them: sent,
	// so the server may have acted on them, but with no known outcome.
	cut []result
}

func (l *load) cutShort(r result) {
	l.mu.Lock()
	l.cut = append(l.cut, r)
	l.mu.Unlock()
}

func startLoad(targets []string, path func(seq int64) string, rate float64, workers int) *load {
	ctx, cancel := context.WithCancel(context.Background())
	l := &load{cancel: cancel}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	interval := time.Duration(float64(time.Second) * float64(workers) / rate)
	var seqs atomic.Int64
	for w := range workers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			t := time.NewTicker(interval)
			defer t.Stop()
			for n := w; ; n += workers {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
				target := n % len(targets)
				r := result{at: time.Now(), target: target, seq: seqs.Add(1)}
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, targets[target]+path(r.seq), nil)
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() != nil {
						l.cutShort(r)
						return
					}
					r.err = err
				} else {
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					r.status, r.body = resp.StatusCode, string(b)
				}
				r.done = time.Now()
				l.mu.Lock()
				l.res = append(l.res, r)
				l.mu.Unlock()
			}
		}()
	}
	return l
}

// startCalls calls fn at a fixed rate from one worker until stop; a call
// that returns nil is recorded as status 200 with body "published".
func startCalls(rate float64, fn func(ctx context.Context, seq int64) error) *load {
	ctx, cancel := context.WithCancel(context.Background())
	l := &load{cancel: cancel}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		t := time.NewTicker(time.Duration(float64(time.Second) / rate))
		defer t.Stop()
		for seq := int64(1); ; seq++ {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			r := result{at: time.Now(), target: -1, seq: seq}
			callCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
			err := fn(callCtx, seq)
			cancel()
			if ctx.Err() != nil {
				l.cutShort(r)
				return
			}
			if err != nil {
				r.err = err
			} else {
				r.status, r.body = 200, "published"
			}
			r.done = time.Now()
			l.mu.Lock()
			l.res = append(l.res, r)
			l.mu.Unlock()
		}
	}()
	return l
}

// stop ends the load and returns the results.
func (l *load) stop() []result {
	l.cancel()
	l.wg.Wait()
	return l.res
}

// window is a fault's time span, during which errors are allowed.
type window struct {
	what       string
	target     int // -1: any target
	start, end time.Time
}

// covers reports whether r was in flight during w: sent before it ended,
// and answered (or failed) after it began.
func (w window) covers(r result) bool {
	return (w.target < 0 || w.target == r.target) && !r.at.After(w.end) && !r.done.Before(w.start)
}

// failures checks the results against the windows: it returns the
// failures outside every window, and counts the failures in each.
func failures(res []result, ok func(result) bool, windows []window) (outside []result, inside map[string]int) {
	inside = map[string]int{}
	for _, r := range res {
		if ok(r) {
			continue
		}
		covered := false
		for _, w := range windows {
			if w.covers(r) {
				inside[w.what]++
				covered = true
				break
			}
		}
		if !covered {
			outside = append(outside, r)
		}
	}
	return outside, inside
}

func (r result) String() string {
	if r.err != nil {
		return fmt.Sprintf("%s #%d to target %d: %v", r.at.Format("15:04:05.000"), r.seq, r.target, r.err)
	}
	return fmt.Sprintf("%s #%d to target %d: %d %q", r.at.Format("15:04:05.000"), r.seq, r.target, r.status, r.body)
}
