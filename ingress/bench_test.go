package ingress_test

import (
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"

	"github.com/picloud/picloud/db/store"
	"github.com/picloud/picloud/ingress"
)

// BenchmarkHello is one request for a hello-world script, through the
// handler (no network): the ingress's own cost plus the sandbox's and the
// recorder's.
func BenchmarkHello(b *testing.B) {
	s := newBenchServer(b)
	b.ReportAllocs()
	b.ResetTimer()
	defer reportCPU(b)()
	b.RunParallel(func(pb *testing.PB) {
		req := httptest.NewRequest(http.MethodGet, "/bench/hello", nil)
		for pb.Next() {
			w := httptest.NewRecorder()
			s.ServeHTTP(w, req)
			if w.Code != 200 {
				b.Errorf("status %d: %s", w.Code, w.Body)
			}
		}
	})
}

func newBenchServer(b *testing.B) *ingress.Handler {
	b.Helper()
	s := newServer(b, ingress.Config{}, func(t testing.TB, st *store.Store) {
		a := app(t, st, store.App{Slug: "bench"})
		deploy(t, st, a.ID, "hello", `"Hello, world!"`)
	})
	return s.h
}

// reportCPU reports the process's CPU time per operation (user and
// system, every goroutine: the recorder's included, PostgreSQL's not) when
// the returned function runs. On a loaded machine it varies less than the
// wall time.
func reportCPU(b *testing.B) func() {
	var r0 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &r0)
	return func() {
		var r1 syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &r1)
		cpu := r1.Utime.Nano() + r1.Stime.Nano() - r0.Utime.Nano() - r0.Stime.Nano()
		b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
	}
}
