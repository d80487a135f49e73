package api

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// GET /metrics serves Config.Metrics without a token.
func TestMetricsRoute(t *testing.T) {
	s := newServer(t, Config{Metrics: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "picloud_up 1\n")
	})})
	rec := serveOnce(t, s.Admin(), "/metrics")
	if rec.code != 200 || rec.body != "picloud_up 1\n" {
		t.Fatalf("/metrics = %d %q", rec.code, rec.body)
	}
	if rec := serveOnce(t, newServer(t, Config{}).Admin(), "/metrics"); strings.Contains(rec.body, "picloud_up") {
		t.Fatal("/metrics served without Config.Metrics")
	}
}

type response struct {
	code int
	body string
}

func serveOnce(t *testing.T, h http.Handler, path string) response {
	t.Helper()
	srv := &http.Server{Handler: h}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	defer srv.Close()
	resp, err := http.Get("http://" + l.Addr().String() + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, string(b)}
}

// A shutdown first turns /readyz to 503 "draining" while the listener
// keeps serving for DrainDelay; Serve runs with the admin listener alone.
func TestServeDrains(t *testing.T) {
	s := newServer(t, Config{DrainDelay: 300 * time.Millisecond, ShutdownTimeout: 5 * time.Second})
	admin, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, admin, nil) }()
	readyz := func() (int, string) {
		resp, err := http.Get("http://" + admin.Addr().String() + "/readyz")
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		var body struct{ Status string }
		_ = json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body.Status
	}
	if code, status := readyz(); code != 200 || status != "ready" {
		t.Fatalf("/readyz = %d %s", code, status)
	}
	drainStart := time.Now()
	cancel()
	// The flag is set by Serve's goroutine: wait for it, within the delay.
	for {
		code, status := readyz()
		if code == 503 && status == "draining" {
			break
		}
		if code != 200 || time.Since(drainStart) > 250*time.Millisecond {
			t.Fatalf("/readyz after the shutdown began = %d %s, want 503 draining while still serving", code, status)
		}
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve = %v", err)
	}
	if d := time.Since(drainStart); d < 300*time.Millisecond {
		t.Fatalf("Serve returned %v after the shutdown began, before DrainDelay", d)
	}
	if _, err := New(Config{DrainDelay: -1}); err == nil {
		t.Fatal("a negative DrainDelay was accepted")
	}
}

// Drain turns readiness off at once.
func TestDrain(t *testing.T) {
	s := newServer(t, Config{})
	s.Drain()
	if code, body, _ := get(t, s.Admin(), "/readyz"); code != 503 || body["status"] != "draining" {
		t.Fatalf("/readyz after Drain = %d %v", code, body)
	}
}
