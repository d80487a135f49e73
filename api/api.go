// Package api is PiCloud's HTTP surface: the admin listener (health checks,
// the admin API under /api/v1, the dashboard at /) and the public listener
// where HTTP triggers answer under /{app}/.
//
// The admin API is JSON in and out, with errors as RFC 9457 problem
// documents carrying a stable code (problems.go lists them), bearer-token
// authentication with scopes (auth.go), cursor pagination and an OpenAPI 3
// document at /api/v1/openapi.json that describes every route (routes.go
// registers them).
//
// Call gin.SetMode(gin.ReleaseMode) in the binary before New: gin's mode is
// process-wide, so this package leaves it alone.
package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gin-gonic/gin"

	"github.com/picloud/picloud/dashboard"
	"github.com/picloud/picloud/db/store"
	"github.com/picloud/picloud/effects"
	"github.com/picloud/picloud/egress"
	"github.com/picloud/picloud/runtime"
	"github.com/picloud/picloud/secrets"
)

// Config configures a Server. The zero value serves health checks and the
// dashboard, and is always ready.
type Config struct {
	// Logger receives one line per request and the server's own errors.
	// Default: a logger that discards.
	Logger *slog.Logger

	// Ready lists what /readyz checks, in order; the server is ready when
	// every check returns nil. Default: none.
	Ready []Check

	// CheckTimeout bounds each readiness check. Default: 2s.
	CheckTimeout time.Duration

	// ShutdownTimeout bounds the graceful shutdown: requests still running
	// after it are cut off. Default: 30s.
	ShutdownTimeout time.Duration

	// Dashboard serves every admin path that no route claims.
	// Default: dashboard.Handler().
	Dashboard http.Handler

	// Store is the database behind the admin API. Default: none, and then
	// no /api/v1 route is served.
	Store *store.Store

	// Invoker runs scripts for POST /api/v1/apps/{app}/scripts/{script}/invoke:
	// the process's *runtime.Host. Default: none; invoke answers 503.
	Invoker Invoker

	// Recorder records the invocations the API runs, like every other
	// invocation: the process's *record.Recorder. Default: none; they are
	// not recorded.
	Recorder Recorder
	// Egress is the server's outbound HTTP policy for the scripts the API
	// runs (see ingress.Config.Egress). Default: nil, http:: calls fail.
	Egress *egress.Policy
	// Secrets seals the values of apps' secrets (a *secrets.Box under the
	// server's key). Default: nil, secrets cannot be set.
	Secrets SecretBox
	// SecretEnv hands the scripts the API runs their app's secrets, in
	// ctx.env (a *secrets.Source over the same key). Default: none.
	SecretEnv *secrets.Source

	// Tail feeds the live tail (GET /api/v1/apps/{app}/invocations/stream):
	// the process's *record.Recorder. Default: none; the stream answers 503.
	Tail Tail

	// Effects stages and commits what scripts run from the API do, and the
	// API's own publishes, queue pushes and KV edits (events.go): the
	// process's *effects.Manager, whose Wake reaches the dispatcher.
	// Default: a Manager on Store without Wake (dispatchers find the
	// deliveries by polling).
	Effects *effects.Manager

	// PublicURL is the public listener's base URL as clients reach it
	// (e.g. https://fn.example.com); the endpoint URLs in responses start
	// with it. Default: none; endpoints are given as paths (/shop/hello).
	PublicURL string

	// DefaultLimits are the invocation limits of apps that leave a limit at
	// 0; a zero field takes the runtime's default. MaxLimits are the
	// server's ceilings, which every app's limits are clamped to; a zero
	// field means no ceiling. Default: zero, both.
	DefaultLimits, MaxLimits runtime.Limits

	// MaxBodyBytes bounds request bodies; a larger one is answered 413.
	// It bounds script sources too. Default: 1 MiB.
	MaxBodyBytes int64

	// Heartbeat is how often an idle live tail sends a comment line, so
	// that proxies keep the stream open and clients notice a dead one.
	// Default: 15s.
	Heartbeat time.Duration

	// Now is the clock (token expiry, cron previews). Default: time.Now.
	Now func() time.Time

	// Public answers every request on the public listener, behind the
	// request log and panic recovery: the HTTP triggers (the process's
	// *ingress.Handler). Default: every request is answered 404.
	Public http.Handler

	// Metrics, when set, answers GET /metrics on the admin listener without
	// authentication (metrics.Handler). Default: none; /metrics is not
	// served.
	Metrics http.Handler

	// DrainDelay is how long a shutdown keeps serving after /readyz turned
	// to 503 "draining", so that a load balancer's health checks take the
	// process out of rotation before it stops accepting connections.
	// Default: 0, no delay.
	DrainDelay time.Duration

	// BenchBareRoute adds GET BenchBarePath to the public listener: a bare
	// gin handler answering BenchBareBody as text/plain, the baseline the
	// load bench (make bench) compares a script endpoint with. Default:
	// off.
	BenchBareRoute bool
}

// BenchBarePath and BenchBareBody are the bench's bare route (see
// Config.BenchBareRoute). No app slug starts with "-", so the path cannot
// shadow an app.
const (
	BenchBarePath = "/-/bench/bare"
	BenchBareBody = "Hello, world!"
)

// Check is one readiness check: a nil error means ready.
type Check struct {
	Name  string
	Check func(ctx context.Context) error
}

func (c Config) withDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Effects == nil && c.Store != nil {
		c.Effects, _ = effects.New(effects.Config{Store: c.Store, Logger: c.Logger}) // fails only on a bad Config
	}
	if c.CheckTimeout == 0 {
		c.CheckTimeout = 2 * time.Second
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = 30 * time.Second
	}
	if c.Dashboard == nil {
		c.Dashboard = dashboard.Handler()
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.Heartbeat == 0 {
		c.Heartbeat = 15 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	c.PublicURL = strings.TrimSuffix(c.PublicURL, "/")
	return c
}

func (c Config) validate() error {
	if c.CheckTimeout < 0 {
		return fmt.Errorf("api: Config.CheckTimeout %v: must not be negative", c.CheckTimeout)
	}
	if c.DrainDelay < 0 {
		return fmt.Errorf("api: Config.DrainDelay %v: must not be negative", c.DrainDelay)
	}
	if c.ShutdownTimeout < 0 {
		return fmt.Errorf("api: Config.ShutdownTimeout %v: must not be negative", c.ShutdownTimeout)
	}
	for i, ch := range c.Ready {
		if ch.Name == "" || ch.Check == nil {
			return fmt.Errorf("api: Config.Ready[%d]: needs a Name and a Check", i)
		}
	}
	if c.MaxBodyBytes < 0 {
		return fmt.Errorf("api: Config.MaxBodyBytes %d: must not be negative", c.MaxBodyBytes)
	}
	if c.Heartbeat < 0 {
		return fmt.Errorf("api: Config.Heartbeat %v: must not be negative", c.Heartbeat)
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("api: Config.PublicURL %q: want an http or https URL such as https://fn.example.com", c.PublicURL)
		}
	}
	return nil
}

// Server holds the handlers of both listeners.
type Server struct {
	cfg    Config
	admin  *gin.Engine
	public *gin.Engine

	// openapi is the API's OpenAPI document, as served.
	openapi     *openapi3.T
	openapiJSON []byte

	// stopping is closed when Serve begins to shut down: long-lived
	// responses (the live tail) end then instead of holding the shutdown up.
	stopping     chan struct{}
	stoppingOnce sync.Once

	// draining is set when a shutdown begins: /readyz answers 503.
	draining atomic.Bool
}

// New builds the handlers.
func New(cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, stopping: make(chan struct{})}

	s.admin = gin.New()
	s.admin.HandleMethodNotAllowed = true
	// Route on the escaped path, so a path parameter may hold an escaped
	// slash (a KV key "user/1" is /kv/user%2F1); parameters are unescaped.
	s.admin.UseRawPath = true
	s.admin.Use(s.logRequests(), s.recoverPanics())
	s.admin.GET("/healthz", s.healthz)
	s.admin.HEAD("/healthz", s.healthz)
	s.admin.GET("/readyz", s.readyz)
	s.admin.HEAD("/readyz", s.readyz)
	if cfg.Metrics != nil {
		s.admin.GET("/metrics", gin.WrapH(cfg.Metrics))
	}
	if cfg.Store != nil {
		if err := s.registerAPI(); err != nil {
			return nil, err
		}
	}
	s.admin.NoRoute(s.adminFallback)
	s.admin.NoMethod(s.methodNotAllowed)

	s.public = gin.New()
	s.public.Use(s.logRequests(), s.recoverPanics())
	if cfg.BenchBareRoute {
		s.public.GET(BenchBarePath, func(c *gin.Context) { c.String(http.StatusOK, BenchBareBody) })
	}
	if cfg.Public != nil {
		s.public.NoRoute(gin.WrapH(cfg.Public))
	} else {
		s.public.NoRoute(func(c *gin.Context) {
			problem(c, http.StatusNotFound, "not_found", fmt.Sprintf("no HTTP trigger matches %s %s", c.Request.Method, c.Request.URL.Path))
		})
	}
	return s, nil
}

// Admin is the admin listener's handler.
func (s *Server) Admin() http.Handler { return s.admin }

// Public is the public listener's handler.
func (s *Server) Public() http.Handler { return s.public }

// Serve serves on both listeners until ctx is done, then shuts down
// gracefully: /readyz turns to 503 "draining", the listeners keep serving
// for Config.DrainDelay, then stop accepting while the requests in flight
// finish within Config.ShutdownTimeout. It closes the listeners. A nil
// listener is not served (a manager has no public listener). It returns
// nil after a shutdown asked for by ctx, and the error when a listener
// fails.
func (s *Server) Serve(ctx context.Context, admin, public net.Listener) error {
	log := s.cfg.Logger
	errLog := slog.NewLogLogger(log.Handler(), slog.LevelWarn)
	var servers []*http.Server
	var listeners []net.Listener
	for _, l := range []struct {
		h http.Handler
		l net.Listener
	}{{s.admin, admin}, {s.public, public}} {
		if l.l != nil {
			servers = append(servers, &http.Server{Handler: l.h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: errLog})
			listeners = append(listeners, l.l)
		}
	}
	failed := make(chan error, len(servers))
	for i, srv := range servers {
		go func() {
			if err := srv.Serve(listeners[i]); !errors.Is(err, http.ErrServerClosed) {
				failed <- fmt.Errorf("api: serve %s: %w", listeners[i].Addr(), err)
				return
			}
			failed <- nil
		}()
	}

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-failed:
	}
	s.draining.Store(true)
	if serveErr == nil && s.cfg.DrainDelay > 0 {
		log.InfoContext(ctx, "draining: not ready, still serving", slog.Duration("for", s.cfg.DrainDelay))
		select {
		case <-time.After(s.cfg.DrainDelay):
		case serveErr = <-failed:
		}
	}
	s.stoppingOnce.Do(func() { close(s.stopping) })
	log.InfoContext(ctx, "shutting down the HTTP servers", slog.Duration("timeout", s.cfg.ShutdownTimeout))
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancel()
	// Both at once: each waits for its own requests to finish.
	shutdownErrs := make(chan error, len(servers))
	for _, srv := range servers {
		go func() {
			err := srv.Shutdown(shutdownCtx)
			if err != nil {
				_ = srv.Close()
				err = fmt.Errorf("api: shutdown: %w", err)
			}
			shutdownErrs <- err
		}()
	}
	var errs []error
	for range servers {
		errs = append(errs, <-shutdownErrs)
	}
	// Wait for both serve goroutines; the one that failed already reported.
	remaining := len(servers)
	if serveErr != nil {
		remaining--
	}
	for range remaining {
		if err := <-failed; err != nil && serveErr == nil {
			serveErr = err
		}
	}
	return errors.Join(append([]error{serveErr}, errs...)...)
}

func (s *Server) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// Drain turns /readyz to 503 "draining" at once; Serve does it when its
// shutdown begins.
func (s *Server) Drain() { s.draining.Store(true) }

func (s *Server) readyz(c *gin.Context) {
	if s.draining.Load() {
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "draining", "reason": "shutting down"})
		return
	}
	checks := make(map[string]string, len(s.cfg.Ready))
	reason := ""
	for _, ch := range s.cfg.Ready {
		ctx, cancel := context.WithTimeout(c.Request.Context(), s.cfg.CheckTimeout)
		err := ch.Check(ctx)
		cancel()
		if err == nil {
			checks[ch.Name] = "ok"
			continue
		}
		checks[ch.Name] = err.Error()
		if reason == "" {
			reason = ch.Name + ": " + err.Error()
		}
	}
	if reason != "" {
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "unavailable", "reason": reason, "checks": checks})
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready", "checks": checks})
}

// adminFallback sends unknown API paths a problem document and everything
// else to the dashboard.
func (s *Server) adminFallback(c *gin.Context) {
	p := c.Request.URL.Path
	if p == "/api" || len(p) > 4 && p[:5] == "/api/" {
		problem(c, http.StatusNotFound, "not_found", fmt.Sprintf("no API route %s %s", c.Request.Method, p))
		return
	}
	s.cfg.Dashboard.ServeHTTP(c.Writer, c.Request)
}

// methodNotAllowed answers a known path asked with a method it does not
// serve; gin has set Allow.
func (s *Server) methodNotAllowed(c *gin.Context) {
	problem(c, http.StatusMethodNotAllowed, CodeMethodNotAllowed,
		fmt.Sprintf("%s is not served for %s (Allow: %s)", c.Request.Method, c.Request.URL.Path, c.Writer.Header().Get("Allow")))
}

// logRequests logs every request once it is answered: health checks at
// debug level, server errors at error level.
func (s *Server) logRequests() gin.HandlerFunc {
	log := s.cfg.Logger
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		status := c.Writer.Status()
		level := slog.LevelInfo
		switch {
		case status >= 500:
			level = slog.LevelError
		case c.Request.URL.Path == "/healthz" || c.Request.URL.Path == "/readyz":
			level = slog.LevelDebug
		}
		log.LogAttrs(c.Request.Context(), level, "request",
			slog.String("method", c.Request.Method),
			slog.String("path", c.Request.URL.Path),
			slog.Int("status", status),
			slog.Duration("duration", time.Since(start)),
			slog.String("remote", c.ClientIP()),
		)
	}
}

// recoverPanics turns a handler's panic into a logged 500.
func (s *Server) recoverPanics() gin.HandlerFunc {
	log := s.cfg.Logger
	return func(c *gin.Context) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler { //nolint:errorlint // sentinel compared as net/http does
				panic(v)
			}
			log.ErrorContext(c.Request.Context(), "handler panicked",
				slog.String("method", c.Request.Method), slog.String("path", c.Request.URL.Path), slog.Any("panic", v))
			if !c.Writer.Written() {
				problem(c, http.StatusInternalServerError, "internal", "internal server error")
			}
		}()
		c.Next()
	}
}
