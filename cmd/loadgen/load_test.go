package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestLoops(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/fail" {
			w.WriteHeader(500)
		}
	}))
	defer srv.Close()
	hc := srv.Client()
	defer hc.CloseIdleConnections()

	// Bounded by count: exactly max requests, whatever the duration.
	tp, err := closedLoop(t.Context(), hc, srv.URL, 4, time.Hour, 50)
	if err != nil || tp.requests != 50 || tp.errors != 0 || tp.rps() <= 0 {
		t.Fatalf("closedLoop = %+v, %v; want 50 requests", tp, err)
	}
	tp, err = closedLoop(t.Context(), hc, srv.URL+"/fail", 2, time.Hour, 10)
	if err != nil || tp.requests != 0 || tp.errors != 10 {
		t.Fatalf("closedLoop of failures = %+v, %v", tp, err)
	}
	// The open loop sends rate × duration requests, or max.
	l, err := openLoop(t.Context(), hc, srv.URL, 1000, 50*time.Millisecond, 1000)
	if err != nil || len(l.sorted) != 50 || l.errors != 0 || l.p(50) <= 0 || l.p(99) < l.p(50) {
		t.Fatalf("openLoop = %d latencies, %d errors, %v", len(l.sorted), l.errors, err)
	}
	if l, _ := openLoop(t.Context(), hc, srv.URL, 1000, time.Hour, 20); len(l.sorted) != 20 {
		t.Fatalf("openLoop bounded by max: %d", len(l.sorted))
	}
}

func TestPercentile(t *testing.T) {
	var l latencies
	for i := 1; i <= 100; i++ {
		l.sorted = append(l.sorted, time.Duration(i))
	}
	if l.p(50) != 50 || l.p(99) != 99 || l.p(100) != 100 {
		t.Fatalf("p50 %v p99 %v p100 %v", l.p(50), l.p(99), l.p(100))
	}
	if (latencies{}).p(99) != 0 {
		t.Fatal("empty p99")
	}
}

func TestFlagsAndLoopback(t *testing.T) {
	for _, args := range [][]string{
		{"--runs", "0"}, {"--rate", "1.5"}, {"--url", "http://127.0.0.1:1"}, {"extra"},
	} {
		if _, err := parseFlags(args, io.Discard); err == nil {
			t.Errorf("parseFlags(%q) succeeded", args)
		}
	}
	if c, err := parseFlags(nil, io.Discard); err != nil || c.runs != 5 || c.rateFactor != 0.5 {
		t.Fatalf("defaults = %+v, %v", c, err)
	}
	for u, ok := range map[string]bool{
		"http://127.0.0.1:8081": true, "http://localhost:1": true, "http://[::1]:2": true,
		"http://10.0.0.1:8081": false, "http://example.com": false,
	} {
		if err := requireLoopback(u); (err == nil) != ok {
			t.Errorf("requireLoopback(%s) = %v", u, err)
		}
	}
}
