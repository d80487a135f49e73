package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"go.uber.org/goleak"

	"github.com/picloud/picloud/db/dbtest"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode)
	goleak.VerifyTestMain(dbtest.Wrap(m))
}

func get(t *testing.T, h http.Handler, path string) (int, map[string]any, http.Header) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	var body map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &body)
	return rec.Code, body, rec.Header()
}

func newServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestHealthAndReadiness(t *testing.T) {
	dbErr := errors.New("connection refused")
	var failing bool
	s := newServer(t, Config{Ready: []Check{
		{Name: "database", Check: func(ctx context.Context) error {
			if failing {
				return dbErr
			}
			return nil
		}},
		{Name: "migrations", Check: func(ctx context.Context) error { return nil }},
	}})

	if code, body, _ := get(t, s.Admin(), "/healthz"); code != 200 || body["status"] != "ok" {
		t.Fatalf("/healthz = %d %v", code, body)
	}
	if code, body, _ := get(t, s.Admin(), "/readyz"); code != 200 || body["status"] != "ready" {
		t.Fatalf("/readyz = %d %v", code, body)
	}
	failing = true
	code, body, _ := get(t, s.Admin(), "/readyz")
	checks, _ := body["checks"].(map[string]any)
	if code != 503 || body["reason"] != "database: connection refused" || checks["migrations"] != "ok" {
		t.Fatalf("/readyz failing = %d %v", code, body)
	}
	if code, _, _ := get(t, s.Admin(), "/healthz"); code != 200 {
		t.Fatalf("/healthz while not ready = %d, want 200", code)
	}
}

func TestReadinessTimeout(t *testing.T) {
	s := newServer(t, Config{CheckTimeout: 10 * time.Millisecond, Ready: []Check{{Name: "slow", Check: func(ctx context.Context) error {
		<-ctx.Done()
		return ctx.Err()
	}}}})
	if code, body, _ := get(t, s.Admin(), "/readyz"); code != 503 || body["reason"] != "slow: context deadline exceeded" {
		t.Fatalf("/readyz = %d %v", code, body)
	}
}

func TestRoutingAndProblems(t *testing.T) {
	s := newServer(t, Config{})
	code, _, _ := get(t, s.Admin(), "/")
	if code != 200 {
		t.Fatalf("dashboard / = %d", code)
	}
	tests := []struct {
		h      http.Handler
		path   string
		detail string
	}{
		{s.Admin(), "/api/v1/nothing", "no API route GET /api/v1/nothing"},
		{s.Public(), "/shop/users/1", "no HTTP trigger matches GET /shop/users/1"},
		{s.Public(), "/healthz", "no HTTP trigger matches GET /healthz"},
	}
	for _, tt := range tests {
		code, body, header := get(t, tt.h, tt.path)
		if code != 404 || body["code"] != "not_found" || body["detail"] != tt.detail || body["status"] != float64(404) ||
			header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("GET %s = %d %v %v", tt.path, code, body, header)
		}
	}
}

func TestPanicBecomes500(t *testing.T) {
	var logs bytes.Buffer
	s := newServer(t, Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	s.admin.GET("/boom", func(*gin.Context) { panic("kaboom") })
	code, body, _ := get(t, s.Admin(), "/boom")
	if code != 500 || body["code"] != "internal" {
		t.Fatalf("GET /boom = %d %v", code, body)
	}
	if !strings.Contains(logs.String(), "kaboom") || !strings.Contains(logs.String(), "status=500") {
		t.Fatalf("logs lack the panic and the request:\n%s", logs.String())
	}
}

func TestValidate(t *testing.T) {
	if _, err := New(Config{Ready: []Check{{Name: "x"}}}); err == nil || !strings.Contains(err.Error(), "Config.Ready[0]") {
		t.Fatalf("got %v, want an error naming Config.Ready[0]", err)
	}
	if _, err := New(Config{ShutdownTimeout: -1}); err == nil || !strings.Contains(err.Error(), "Config.ShutdownTimeout") {
		t.Fatalf("got %v, want an error naming Config.ShutdownTimeout", err)
	}
}

// Serve lets a running request finish when asked to stop.
func TestServeShutsDownGracefully(t *testing.T) {
	s := newServer(t, Config{ShutdownTimeout: 5 * time.Second})
	started, release := make(chan struct{}), make(chan struct{})
	s.admin.GET("/slow", func(c *gin.Context) {
		close(started)
		<-release
		c.String(200, "done")
	})
	admin, _ := net.Listen("tcp", "127.0.0.1:0")
	public, _ := net.Listen("tcp", "127.0.0.1:0")
	ctx, cancel := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, admin, public) }()

	got := make(chan string, 1)
	go func() {
		resp, err := http.Get("http://" + admin.Addr().String() + "/slow")
		if err != nil {
			got <- err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		got <- string(b)
	}()
	<-started
	cancel()
	// The public listener closes at once; the admin one waits for /slow.
	for {
		conn, err := net.Dial("tcp", public.Addr().String())
		if err != nil {
			break
		}
		conn.Close()
		time.Sleep(5 * time.Millisecond)
	}
	close(release)
	if body := <-got; body != "done" {
		t.Fatalf("in-flight request got %q, want done", body)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve = %v", err)
	}
}

func TestServeReportsListenerFailure(t *testing.T) {
	s := newServer(t, Config{})
	admin, _ := net.Listen("tcp", "127.0.0.1:0")
	public, _ := net.Listen("tcp", "127.0.0.1:0")
	public.Close() // Serve on a closed listener fails at once
	err := s.Serve(t.Context(), admin, public)
	if err == nil || !strings.Contains(err.Error(), "api: serve") {
		t.Fatalf("Serve = %v, want a serve error", err)
	}
}
