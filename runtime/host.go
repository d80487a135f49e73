// Package runtime runs scripts in PiCloud's WebAssembly sandbox: the guest
// interpreter, compiled once per process by wazero, in warm instances pooled
// per app, with per-invocation fuel, memory and wall-time limits.
//
// Import the standard library's runtime package as goruntime next to this one.
package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/experimental"

	"github.com/picloud/picloud/runtime/internal/guestbin"
)

// Backstop is how a guest that does not stop at its deadline by itself is
// stopped. The interpreter checks the deadline every 1,024 steps and ends the
// script cleanly (outcome timeout, instance kept); the backstop is for code
// that never reaches that check, such as a bug in a builtin. See
// docs/RATIONALE.md for the measurements behind the default.
type Backstop string

const (
	// BackstopTrap, the default, runs guests at full speed. A guest still
	// running Grace after its deadline is aborted at its next host call,
	// which includes the clock read of every garbage collection. A guest that
	// neither calls the host nor allocates survives that: if it still runs
	// StuckAfter later, it is counted in Stuck and its app is moved for good
	// to a runtime with BackstopInterrupt, so no app can lose more than one
	// core that way.
	BackstopTrap Backstop = "trap"
	// BackstopInterrupt runs every guest with wazero's WithCloseOnContextDone:
	// a guest still running Grace after its deadline is closed wherever it
	// is. This bounds every invocation, but makes the interpreter about 4–10
	// times slower (wazero v1.12.0 exits to Go at every loop header).
	BackstopInterrupt Backstop = "interrupt"
)

// Config configures a Host. The zero value is usable.
type Config struct {
	// CacheDir holds wazero's compilation cache and the built guest. Default:
	// the user cache directory's "picloud" (os.UserCacheDir).
	CacheDir string
	// Guest is the guest's WebAssembly binary. Default: the binary embedded at
	// build time, or else built from this source tree into CacheDir.
	Guest []byte
	// GuestSource is the PiCloud source tree to build the guest from. Default:
	// the tree this package was compiled in.
	GuestSource string
	// Logger receives the host's own events (instances discarded, backstop
	// stops). Default: discard.
	Logger *slog.Logger
	// Backstop is described above. Default BackstopTrap.
	Backstop Backstop
	// Grace is how long past its deadline a guest may run before the backstop
	// stops it. Default 50ms.
	Grace time.Duration
	// StuckAfter is how long after Grace a guest that BackstopTrap did not
	// stop is declared stuck. Default 1s.
	StuckAfter time.Duration
	// IdleTimeout is how long an unused instance stays warm. Default 5m.
	IdleTimeout time.Duration
	// MaxUses is the number of invocations after which an instance is replaced.
	// Default 1000.
	MaxUses int
	// HighWater is the linear-memory size in bytes above which an instance is
	// replaced after its invocation. Default 32 MiB.
	HighWater int64
	// Spares is the number of fresh instances kept ready per memory class for
	// apps that have no idle instance. Default 1; negative means none.
	Spares int
	// Now is time::now()'s clock. Default time.Now.
	Now func() time.Time
	// TestFunctions enables the host functions of the ABI tests (test::echo,
	// test::host_panic). Default off: scripts calling them get an error.
	TestFunctions bool
}

func (c *Config) setDefaults() error {
	if c.CacheDir == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			return fmt.Errorf("runtime: Config.CacheDir is empty and there is no user cache directory: %w", err)
		}
		c.CacheDir = filepath.Join(dir, "picloud")
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.Backstop == "" {
		c.Backstop = BackstopTrap
	}
	if c.Grace <= 0 {
		c.Grace = 50 * time.Millisecond
	}
	if c.StuckAfter <= 0 {
		c.StuckAfter = time.Second
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 5 * time.Minute
	}
	if c.MaxUses <= 0 {
		c.MaxUses = 1000
	}
	if c.HighWater <= 0 {
		c.HighWater = 32 << 20
	}
	if c.Spares == 0 {
		c.Spares = 1
	}
	return nil
}

func (c *Config) validate() error {
	switch c.Backstop {
	case BackstopInterrupt, BackstopTrap:
	default:
		return fmt.Errorf("runtime: Config.Backstop %q: want %q or %q", c.Backstop, BackstopInterrupt, BackstopTrap)
	}
	return nil
}

// Host runs invocations. It is safe for concurrent use.
type Host struct {
	cfg   Config
	log   *slog.Logger
	guest []byte
	cache wazero.CompilationCache

	mu          sync.Mutex
	closed      bool
	classes     map[classKey]*class
	pools       map[string]*pool    // by app
	quarantined map[string]struct{} // apps moved to BackstopInterrupt
	stuck       int

	stop chan struct{}
	wg   sync.WaitGroup

	// testHookAcquire, when set, sees every instance an invocation runs on.
	testHookAcquire func(app string, in *instance)
}

// New compiles the guest (from the compilation cache when it can) and returns a
// Host ready to invoke scripts. Close releases it.
func New(ctx context.Context, cfg Config) (*Host, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	guest := cfg.Guest
	if guest == nil {
		var err error
		if guest, err = guestbin.Load(ctx, cfg.CacheDir, cfg.GuestSource); err != nil {
			return nil, err
		}
	}
	cache, err := wazero.NewCompilationCacheWithDir(filepath.Join(cfg.CacheDir, "wazero"))
	if err != nil {
		return nil, fmt.Errorf("runtime: compilation cache: %w", err)
	}
	h := &Host{
		cfg:         cfg,
		log:         cfg.Logger,
		guest:       guest,
		cache:       cache,
		classes:     map[classKey]*class{},
		pools:       map[string]*pool{},
		quarantined: map[string]struct{}{},
		stop:        make(chan struct{}),
	}
	// Compile the default memory class now, so the first invocation does not
	// pay for it.
	if _, err := h.class(ctx, classKey{Limits{}.withDefaults().pages(), cfg.Backstop == BackstopInterrupt}); err != nil {
		cache.Close(ctx)
		return nil, err
	}
	h.wg.Add(1)
	go h.janitor()
	return h, nil
}

// Close stops the Host's goroutines and closes every instance and compiled
// module. Invocations must have returned; later ones fail with ErrClosed.
func (h *Host) Close(ctx context.Context) error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	classes := make([]*class, 0, len(h.classes))
	for _, c := range h.classes {
		classes = append(classes, c)
	}
	h.mu.Unlock()
	close(h.stop)
	h.wg.Wait()
	var errs []error
	for _, c := range classes {
		<-c.ready
		if c.rt != nil {
			errs = append(errs, c.rt.Close(ctx))
		}
	}
	errs = append(errs, h.cache.Close(ctx))
	return errors.Join(errs...)
}

// Stuck returns the number of guests that did not stop: BackstopTrap could
// not abort them, so each holds a goroutine and a core until the process
// exits. A server should report itself unready and be restarted when it is
// not zero.
func (h *Host) Stuck() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.stuck
}

// markStuck records a guest that did not stop and moves its app to
// BackstopInterrupt.
func (h *Host) markStuck(app string) {
	h.mu.Lock()
	h.stuck++
	h.quarantined[app] = struct{}{}
	h.mu.Unlock()
}

// interrupt reports whether app's guests run with BackstopInterrupt.
func (h *Host) interrupt(app string) bool {
	if h.cfg.Backstop == BackstopInterrupt {
		return true
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	_, ok := h.quarantined[app]
	return ok
}

// compileCtx lets a cold compilation use both cores.
func compileCtx(ctx context.Context) context.Context {
	return experimental.WithCompilationWorkers(ctx, 2)
}
