package runtime

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/picloud/picloud/guest/rhai"
	"github.com/picloud/picloud/runtime/internal/guestbin"
)

// The benchmarks behind docs/RATIONALE.md's numbers; run them with make bench.

func benchHost(b *testing.B, bs Backstop, spares int) *Host {
	b.Helper()
	h, err := New(context.Background(), Config{Backstop: bs, Spares: spares})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { h.Close(context.Background()) })
	return h
}

// reportLatencies reports the median and 99th percentile of ds and the
// invocations per second over elapsed.
func reportLatencies(b *testing.B, ds []time.Duration, elapsed time.Duration) {
	slices.Sort(ds)
	b.ReportMetric(float64(ds[len(ds)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(ds[len(ds)*99/100].Nanoseconds()), "p99-ns")
	b.ReportMetric(float64(len(ds))/elapsed.Seconds(), "inv/s")
}

// BenchmarkInvokeHello is a warm hello-world invocation from 1, 2 and 8
// concurrent callers of one app whose concurrency cap is the number of
// callers.
func BenchmarkInvokeHello(b *testing.B) {
	for _, bs := range backstops {
		for _, callers := range []int{1, 2, 8} {
			b.Run(fmt.Sprintf("%s/callers=%d", bs, callers), func(b *testing.B) {
				h := benchHost(b, bs, 1)
				req := Request{App: "hello", Script: "hello", Version: "v1", Source: `"hello, world"`, Limits: Limits{Concurrency: callers}}
				ctx := context.Background()
				var warm sync.WaitGroup
				for g := 0; g < callers; g++ { // warm every instance
					warm.Add(1)
					go func() {
						defer warm.Done()
						for i := 0; i < 20; i++ {
							if _, err := h.Invoke(ctx, req); err != nil {
								b.Error(err)
							}
						}
					}()
				}
				warm.Wait()
				ds := make([]time.Duration, b.N)
				var next sync.Mutex
				n := 0
				b.ResetTimer()
				start := time.Now()
				var wg sync.WaitGroup
				for g := 0; g < callers; g++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for {
							next.Lock()
							i := n
							n++
							next.Unlock()
							if i >= b.N {
								return
							}
							t := time.Now()
							if _, err := h.Invoke(ctx, req); err != nil {
								b.Error(err)
								return
							}
							ds[i] = time.Since(t)
						}
					}()
				}
				wg.Wait()
				reportLatencies(b, ds, time.Since(start))
			})
		}
	}
}

// script100 is a 100-line script; i makes each version's source distinct.
func script100(i int) string {
	var s strings.Builder
	fmt.Fprintf(&s, "// version %d\n", i)
	s.WriteString("fn score(order) {\n  let total = 0;\n  for item in order.items {\n    total += item.price * item.qty;\n  }\n  total\n}\n")
	for l := 0; l < 90; l++ {
		fmt.Fprintf(&s, "let v%d = #{id: %d, items: [#{price: %d, qty: 2}], tag: `t${%d}`};\n", l, l, l, l)
	}
	s.WriteString("let sum = 0;\nsum += score(v1);\nsum\n")
	return s.String()
}

// BenchmarkNewScriptVersion is the first invocation of a new 100-line script
// version on a warm instance: sending the source, parsing and compiling it in
// the guest, running it.
func BenchmarkNewScriptVersion(b *testing.B) {
	for _, bs := range backstops {
		b.Run(string(bs), func(b *testing.B) {
			h := benchHost(b, bs, 1)
			ctx := context.Background()
			if _, err := h.Invoke(ctx, Request{App: "a", Version: "warm", Source: script100(-1), Limits: Limits{Concurrency: 1}}); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				src := script100(i)
				if _, err := h.Invoke(ctx, Request{App: "a", Version: strconv.Itoa(i), Source: src, Limits: Limits{Concurrency: 1}}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkColdApp is the first invocation of a new app: no idle instance,
// so a spare (refilled in the background) or a fresh instantiation.
func BenchmarkColdApp(b *testing.B) {
	for _, spares := range []int{1, -1} {
		b.Run(fmt.Sprintf("spares=%d", max(spares, 0)), func(b *testing.B) {
			h := benchHost(b, BackstopTrap, spares)
			ctx := context.Background()
			ds := make([]time.Duration, b.N)
			start := time.Now()
			for i := 0; i < b.N; i++ {
				if spares > 0 {
					// Let the background refill finish, as between real new apps.
					for c := h.classes[classKey{Limits{}.withDefaults().pages(), false}]; len(c.spares) == 0; {
						time.Sleep(100 * time.Microsecond)
					}
				}
				t := time.Now()
				if _, err := h.Invoke(ctx, Request{App: "app" + strconv.Itoa(i), Source: `"hi"`}); err != nil {
					b.Fatal(err)
				}
				ds[i] = time.Since(t)
			}
			reportLatencies(b, ds, time.Since(start))
		})
	}
}

// BenchmarkStartToFirstInvoke is a process's start with a warm compilation
// cache: New, one invocation, Close.
//
// The guest's bytes are loaded once, as an embedded guest would be: finding a
// built guest from the source tree adds the source hash, reported as
// hash-ns.
func BenchmarkStartToFirstInvoke(b *testing.B) {
	ctx := context.Background()
	dir, err := os.UserCacheDir()
	if err != nil {
		b.Fatal(err)
	}
	dir = filepath.Join(dir, "picloud")
	guest, err := guestbin.Load(ctx, dir, "")
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	if _, err := guestbin.Load(ctx, dir, ""); err != nil {
		b.Fatal(err)
	}
	hash := time.Since(start)
	cfg := Config{Spares: -1, CacheDir: dir, Guest: guest}
	h, err := New(ctx, cfg) // warm the compilation cache
	if err != nil {
		b.Fatal(err)
	}
	h.Close(ctx)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h, err := New(ctx, cfg)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := h.Invoke(ctx, Request{App: "a", Source: `"hi"`}); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		h.Close(ctx)
		b.StartTimer()
	}
	b.ReportMetric(float64(hash.Nanoseconds()), "hash-ns")
}

// BenchmarkIdleInstance reports the memory of a warm idle instance: its linear
// memory and the host's RSS growth per instance.
func BenchmarkIdleInstance(b *testing.B) {
	const n = 40
	h := benchHost(b, BackstopTrap, -1)
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		goruntime.GC()
		debug.FreeOSMemory()
		before := rssBytes(b)
		for a := 0; a < n; a++ {
			if _, err := h.Invoke(ctx, Request{App: fmt.Sprintf("idle%d-%d", i, a), Source: `"hi"`}); err != nil {
				b.Fatal(err)
			}
		}
		goruntime.GC()
		debug.FreeOSMemory()
		after := rssBytes(b)
		var linear int64
		h.mu.Lock()
		for app, p := range h.pools {
			if strings.HasPrefix(app, fmt.Sprintf("idle%d-", i)) {
				for _, in := range p.idle {
					linear += int64(in.mem.Size())
				}
			}
		}
		h.mu.Unlock()
		b.ReportMetric(float64(linear)/n/(1<<20), "linear-MiB/instance")
		b.ReportMetric(float64(after-before)/n/(1<<20), "rss-MiB/instance")
	}
}

// BenchmarkWorkloads runs guest/testdata/bench/*.rhai natively, in the sandbox
// under each backstop, and their twins in testdata/bench under CPython.
func BenchmarkWorkloads(b *testing.B) {
	files, _ := filepath.Glob("../guest/testdata/bench/*.rhai")
	if len(files) == 0 {
		b.Skip("no workloads")
	}
	hosts := map[Backstop]*Host{}
	for _, bs := range backstops {
		hosts[bs] = benchHost(b, bs, -1)
	}
	lim := Limits{Fuel: 1 << 50, Memory: 512 << 20, Timeout: 10 * time.Minute, Concurrency: 1}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".rhai")
		src, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name+"/native", func(b *testing.B) {
			p, err := rhai.Compile(name, string(src), rhai.Options{})
			if err != nil {
				b.Fatal(err)
			}
			for i := 0; i < b.N; i++ {
				if _, err := p.Run(rhai.Env{Limits: rhai.Limits{Fuel: lim.Fuel, MaxMemory: lim.Memory / 4}}); err != nil {
					b.Fatal(err)
				}
			}
		})
		for _, bs := range backstops {
			b.Run(name+"/sandbox-"+string(bs), func(b *testing.B) {
				req := Request{App: "bench", Script: name, Version: name, Source: string(src), Limits: lim}
				h := hosts[bs]
				if _, err := h.Invoke(context.Background(), req); err != nil {
					b.Fatal(err)
				}
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if _, err := h.Invoke(context.Background(), req); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		py := filepath.Join("testdata", "bench", name+".py")
		if _, err := os.Stat(py); err != nil {
			continue
		}
		b.Run(name+"/cpython", func(b *testing.B) {
			out, err := exec.Command("python3", filepath.Join("testdata", "bench", "run.py"), py, strconv.Itoa(max(b.N, 3))).Output()
			if err != nil {
				b.Skipf("python3: %v", err)
			}
			ns, err := strconv.ParseFloat(strings.Fields(string(out))[0], 64)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(ns, "ns/op")
		})
	}
}
