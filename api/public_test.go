package api

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// The public listener hands every request to Config.Public, whose status
// wins over gin's no-route 404; the bench's bare route is there only when
// asked for.
func TestPublicHandler(t *testing.T) {
	public := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK) // gin primes a no-route response with 404
		_, _ = w.Write([]byte("ingress " + r.URL.Path))
	})
	for _, bare := range []bool{false, true} {
		s := newServer(t, Config{Public: public, BenchBareRoute: bare})
		rec := httptest.NewRecorder()
		s.Public().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/shop/users/1", nil))
		if rec.Code != 200 || rec.Body.String() != "ingress /shop/users/1" {
			t.Errorf("bare %v: GET /shop/users/1 = %d %q", bare, rec.Code, rec.Body.String())
		}
		rec = httptest.NewRecorder()
		s.Public().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, BenchBarePath, nil))
		want := "ingress " + BenchBarePath
		if bare {
			want = BenchBareBody
		}
		if rec.Code != 200 || rec.Body.String() != want {
			t.Errorf("bare %v: GET %s = %d %q, want %q", bare, BenchBarePath, rec.Code, rec.Body.String(), want)
		}
	}
}
