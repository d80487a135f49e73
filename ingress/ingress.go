// Package ingress answers the public listener: a request for /{app}/… runs
// the script of the app's most specific matching HTTP trigger, and the
// script's value becomes the response.
//
// Everything a request needs (the app's limits, env and debug flag, its
// routes, the source of every active script version) lives in memory, in
// an immutable snapshot swapped atomically, so a request costs no database
// round trip. The snapshot is refreshed for one app when the database
// announces a change on store.RoutesChannel (Changed, debounced), entirely
// after a reconnection of the LISTEN connection (Resync), and entirely every
// Config.Resync in any case. Sources are cached by their hash and read once.
//
// Paths: the trigger "GET /users/:id" of app "shop" answers
// "GET /shop/users/42" (package route says which route wins). A script
// with an active version and no trigger of any kind answers at
// "ANY /{app}/{script}".
//
// The script sees the request as ctx.event:
//
//	#{kind: "http", http: #{method, path, params, query, headers, body, json}}
//
// where path is the request path below the app prefix (decoded), params the
// route's parameters, query the query parameters (the first value of each),
// headers the request headers with lower-case names (repeated headers joined
// with ", "), body the body as a string and json the body parsed, present
// when the body is JSON.
//
// The script's value is the response: a map whose keys are among status,
// headers and body answers with that status (default 200) and headers, and
// the body as is when it is a string (text/plain unless the headers say
// otherwise) or as JSON otherwise; a string answers text/plain; any other
// value answers its JSON. Failures are problem documents (RFC 9457) with a
// stable code: see the Code constants.
package ingress

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/picloud/picloud/db/store"
	"github.com/picloud/picloud/effects"
	"github.com/picloud/picloud/egress"
	"github.com/picloud/picloud/record"
	"github.com/picloud/picloud/runtime"
	"github.com/picloud/picloud/secrets"
)

// Invoker runs one invocation in the sandbox; *runtime.Host is one.
type Invoker interface {
	Invoke(ctx context.Context, req runtime.Request) (runtime.Result, error)
}

// Recorder records a finished invocation; *record.Recorder is one.
type Recorder interface {
	Record(inv record.Invocation)
}

var (
	_ Invoker  = (*runtime.Host)(nil)
	_ Recorder = (*record.Recorder)(nil)
)

// Config configures a Handler.
type Config struct {
	// Store reads apps, scripts and routes. Required.
	Store *store.Store
	// Invoker runs the scripts. Required.
	Invoker Invoker
	// Recorder records every invocation. Default: none, not recorded.
	Recorder Recorder
	// Effects stages each invocation's kv::, pubsub:: and queue:: calls
	// and commits them when the script succeeds (see effects.go). Default:
	// none; those calls fail with a catchable error.
	Effects *effects.Manager
	// Egress is the server's outbound HTTP policy, which each app's
	// allowlist, private opt-in and request cap refine (egress.Policy.ForApp).
	// Default: nil, http:: calls fail with a catchable "blocked" error.
	Egress *egress.Policy
	// Secrets hands scripts their app's secrets in ctx.env. Default: none.
	Secrets *secrets.Source
	// Logger receives reload failures. Default: discard.
	Logger *slog.Logger

	// DefaultLimits are the limits of apps that leave a limit at 0; a zero
	// field takes the runtime's default. MaxLimits are the server's
	// ceilings, which every app's limits are clamped to; a zero field
	// means no ceiling. Default: zero, both.
	DefaultLimits, MaxLimits runtime.Limits
	// MaxBodyBytes bounds the request and response bodies of apps that set
	// no limit of their own. Default 1 MiB.
	MaxBodyBytes int64
	// MaxBodyCeiling is the server's ceiling on any app's body limit.
	// Default: none.
	MaxBodyCeiling int64

	// Resync is the period of the full reload that catches what the
	// notifications missed. Default 30s.
	Resync time.Duration
	// Debounce gathers the notifications that arrive within it into one
	// reload. Default 10ms.
	Debounce time.Duration
	// RetryInterval is the wait before retrying a failed reload. Default 1s.
	RetryInterval time.Duration
	// Reloaded, when set, is called after each reload with the ids of the
	// apps reloaded, or nil after a full reload. It runs on the reloading
	// goroutine. For tests and metrics.
	Reloaded func(appIDs []int64)
}

func (c *Config) setDefaults() {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.Resync == 0 {
		c.Resync = 30 * time.Second
	}
	if c.Debounce == 0 {
		c.Debounce = 10 * time.Millisecond
	}
	if c.RetryInterval == 0 {
		c.RetryInterval = time.Second
	}
}

func (c *Config) validate() error {
	switch {
	case c.Store == nil:
		return errors.New("ingress: Config.Store is required")
	case c.Invoker == nil:
		return errors.New("ingress: Config.Invoker is required")
	case c.MaxBodyBytes < 0:
		return fmt.Errorf("ingress: Config.MaxBodyBytes %d: must not be negative", c.MaxBodyBytes)
	case c.MaxBodyCeiling < 0:
		return fmt.Errorf("ingress: Config.MaxBodyCeiling %d: must not be negative", c.MaxBodyCeiling)
	case c.Resync < 0:
		return fmt.Errorf("ingress: Config.Resync %v: must not be negative", c.Resync)
	case c.Debounce < 0:
		return fmt.Errorf("ingress: Config.Debounce %v: must not be negative", c.Debounce)
	case c.RetryInterval < 0:
		return fmt.Errorf("ingress: Config.RetryInterval %v: must not be negative", c.RetryInterval)
	}
	return nil
}

// Handler is the public listener's http.Handler. It is safe for concurrent
// use.
type Handler struct {
	cfg Config
	log *slog.Logger

	snap atomic.Pointer[snapshot]
	// sources caches version sources by hash; only the reloading goroutine
	// (or New, before it starts) touches it.
	sources map[[32]byte]string

	mu      sync.Mutex
	pending map[int64]struct{} // apps to reload
	full    bool               // reload everything
	wake    chan struct{}      // capacity 1

	cancel context.CancelFunc
	done   chan struct{}
}

// New loads every app's routes and scripts and starts the goroutine that
// keeps them current. Close stops it.
func New(ctx context.Context, cfg Config) (*Handler, error) {
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	h := &Handler{
		cfg: cfg, log: cfg.Logger,
		sources: map[[32]byte]string{},
		pending: map[int64]struct{}{},
		wake:    make(chan struct{}, 1),
		done:    make(chan struct{}),
	}
	if err := h.reloadAll(ctx); err != nil {
		return nil, err
	}
	var loopCtx context.Context
	loopCtx, h.cancel = context.WithCancel(context.WithoutCancel(ctx))
	go h.loop(loopCtx)
	return h, nil
}

// Close stops the reloading goroutine. Requests in flight finish with the
// snapshot they have.
func (h *Handler) Close() {
	h.cancel()
	<-h.done
}

// Changed schedules a reload of the app whose id is payload, as announced
// on store.RoutesChannel. An unreadable payload schedules a full reload.
func (h *Handler) Changed(payload string) {
	id, err := strconv.ParseInt(payload, 10, 64)
	h.mu.Lock()
	if err != nil || id <= 0 {
		h.full = true
	} else {
		h.pending[id] = struct{}{}
	}
	h.mu.Unlock()
	h.poke()
}

// Resync schedules a full reload: after the LISTEN connection was
// (re)established, notifications may have been missed.
func (h *Handler) Resync() {
	h.mu.Lock()
	h.full = true
	h.mu.Unlock()
	h.poke()
}

func (h *Handler) poke() {
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// loop reloads what Changed and Resync ask for, debounced, and everything
// every Config.Resync.
func (h *Handler) loop(ctx context.Context) {
	defer close(h.done)
	resync := time.NewTicker(h.cfg.Resync)
	defer resync.Stop()
	debounce := time.NewTimer(0)
	<-debounce.C
	for {
		select {
		case <-ctx.Done():
			return
		case <-resync.C:
			h.Resync()
			continue
		case <-h.wake:
		}
		// Let the notifications of a burst arrive, then reload once.
		debounce.Reset(h.cfg.Debounce)
		select {
		case <-ctx.Done():
			return
		case <-debounce.C:
		}
		h.mu.Lock()
		full, apps := h.full, h.pending
		h.full, h.pending = false, map[int64]struct{}{}
		h.mu.Unlock()

		var err error
		var ids []int64
		if full {
			err = h.reloadAll(ctx)
		} else {
			for id := range apps {
				ids = append(ids, id)
			}
			err = h.reloadApps(ctx, ids)
		}
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			h.log.WarnContext(ctx, "reloading the public routes failed; retrying", slog.Any("err", err), slog.Duration("in", h.cfg.RetryInterval))
			h.mu.Lock()
			h.full = h.full || full
			for id := range apps {
				h.pending[id] = struct{}{}
			}
			h.mu.Unlock()
			select {
			case <-time.After(h.cfg.RetryInterval):
			case <-ctx.Done():
				return
			}
			h.poke()
			continue
		}
		if h.cfg.Reloaded != nil {
			h.cfg.Reloaded(ids)
		}
	}
}
