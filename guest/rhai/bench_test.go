package rhai_test

import (
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/picloud/picloud/guest/rhai"
)

// The eight workloads of ../testdata/bench, shared with the sandbox's and the
// peers' benchmarks. Each benchmark runs the compiled script once per op.

func benchScript(b *testing.B, name, want string) {
	b.Helper()
	src, err := os.ReadFile("../testdata/bench/" + name + ".rhai")
	if err != nil {
		b.Fatal(err)
	}
	p, err := rhai.Compile(name+".rhai", string(src), rhai.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	defer func() {
		// CPU time (GC threads included) is what a loaded machine measures fairly
		b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
	}()
	for i := 0; i < b.N; i++ {
		res, err := p.Run(rhai.Env{})
		if err != nil {
			b.Fatal(err)
		}
		if got := res.Value.String(); got != want {
			b.Fatalf("%s = %s, want %s", name, got, want)
		}
	}
}

func BenchmarkFib27(b *testing.B)        { benchScript(b, "fib", "196418") }
func BenchmarkLoop1M(b *testing.B)       { benchScript(b, "loop", "0") }
func BenchmarkSieve1M(b *testing.B)      { benchScript(b, "sieve", "78498") }
func BenchmarkString100k(b *testing.B)   { benchScript(b, "strbuild", "100000") }
func BenchmarkMap160k(b *testing.B)      { benchScript(b, "mapkeys", "12799920000") }
func BenchmarkMatMul50(b *testing.B)     { benchScript(b, "matmul", "86.75") }
func BenchmarkClosures100k(b *testing.B) { benchScript(b, "closures", "5000050000") }
func BenchmarkSort100k(b *testing.B)     { benchScript(b, "sort", "2147497787") }

// cpuTime returns the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
