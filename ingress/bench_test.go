package ingress_test

import (
	"net/http"
	"net/http/httptest"
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
