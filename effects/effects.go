// Package effects makes a script's effects atomic: the KV writes, publishes
// and queue pushes of one invocation are staged in memory (a Stage, handed
// to the sandbox in runtime.Request.Effects) and written in one PostgreSQL
// transaction when the script succeeds; after a throw or a limit nothing is
// written. Reads (kv::get, kv::list) see the invocation's own staged writes
// over the database.
//
//	fx, _ := effects.New(effects.Config{Store: st, Wake: dispatcher.Wake})
//	stage := fx.Stage(app)
//	res, err := host.Invoke(ctx, runtime.Request{…, Effects: stage})
//	if err == nil {
//		_, err = fx.Commit(ctx, stage) // one transaction, then wakes the dispatcher
//	}
//
// A caller that must write something else in the same transaction (the
// dispatcher completes the delivery there, fenced by its lease, so that a
// retried delivery never applies its effects twice) calls Stage.Commit on a
// store running on its transaction instead.
//
// What a commit writes: each staged key once, with its last staged value
// (kv::incr is staged as an increment and applied by the database, so
// concurrent increments add up); a kv change event per written key for the
// app's matching kv triggers; one row per matching pubsub trigger for each
// publish; one row per queue push. KV writes lock keys in byte order, so
// concurrent commits cannot deadlock.
package effects

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/picloud/picloud/db/store"
	"github.com/picloud/picloud/hostfuncs"
)

// Config configures a Manager. Zero fields take the documented defaults.
type Config struct {
	// Store reads KV values for the stages and commits them. Required.
	Store *store.Store
	// Wake, when set, is called after Commit wrote deliveries: the local
	// dispatcher's signal (dispatch.Dispatcher.Wake). Default: none, and the
	// dispatcher finds them by NOTIFY or polling.
	Wake func()
	// Logger receives database failures behind a script's failed call.
	// Default: discard.
	Logger *slog.Logger
	// MaxKeyBytes bounds a KV key. Default and ceiling 1024 (the database's
	// limit).
	MaxKeyBytes int
	// MaxValueBytes bounds a KV value's JSON. Default 256 KiB.
	MaxValueBytes int
	// MaxMessageBytes bounds a published message's or a queue payload's
	// JSON. Default 256 KiB.
	MaxMessageBytes int
	// MaxEffects bounds what one invocation stages: distinct keys written
	// plus publishes plus pushes. Default 1000.
	MaxEffects int
	// MaxStagedBytes bounds the bytes one invocation stages. Default 8 MiB.
	MaxStagedBytes int
	// DefaultQuotaBytes is the KV quota of apps whose kv_quota_bytes is 0.
	// Default 64 MiB; negative means no quota.
	DefaultQuotaBytes int64
	// MaxQuotaBytes is the server's ceiling on any app's quota. Default: none.
	MaxQuotaBytes int64
	// MaxDelay bounds a queue message's delay. Default 30 days.
	MaxDelay time.Duration
	// ListLimit is kv::list's page size when the script names none, and
	// MaxListLimit the largest it may ask for. Defaults 100 and 1000.
	ListLimit, MaxListLimit int
	// Now is the clock of published_at. Default time.Now.
	Now func() time.Time
}

// Defaults of Config.
const (
	DefaultMaxKeyBytes     = 1024
	DefaultMaxValueBytes   = 256 << 10
	DefaultMaxMessageBytes = 256 << 10
	DefaultMaxEffects      = 1000
	DefaultMaxStagedBytes  = 8 << 20
	DefaultQuotaBytes      = 64 << 20
	DefaultMaxDelay        = 30 * 24 * time.Hour
	DefaultListLimit       = 100
	DefaultMaxListLimit    = 1000
)

func (c *Config) setDefaults() {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.MaxKeyBytes == 0 {
		c.MaxKeyBytes = DefaultMaxKeyBytes
	}
	if c.MaxValueBytes == 0 {
		c.MaxValueBytes = DefaultMaxValueBytes
	}
	if c.MaxMessageBytes == 0 {
		c.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if c.MaxEffects == 0 {
		c.MaxEffects = DefaultMaxEffects
	}
	if c.MaxStagedBytes == 0 {
		c.MaxStagedBytes = DefaultMaxStagedBytes
	}
	if c.DefaultQuotaBytes == 0 {
		c.DefaultQuotaBytes = DefaultQuotaBytes
	}
	if c.MaxDelay == 0 {
		c.MaxDelay = DefaultMaxDelay
	}
	if c.ListLimit == 0 {
		c.ListLimit = DefaultListLimit
	}
	if c.MaxListLimit == 0 {
		c.MaxListLimit = DefaultMaxListLimit
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

func (c *Config) validate() error {
	switch {
	case c.Store == nil:
		return errors.New("effects: Config.Store is required")
	case c.MaxKeyBytes < 0 || c.MaxKeyBytes > DefaultMaxKeyBytes:
		return fmt.Errorf("effects: Config.MaxKeyBytes %d: want 1 to %d", c.MaxKeyBytes, DefaultMaxKeyBytes)
	case c.MaxValueBytes < 0:
		return fmt.Errorf("effects: Config.MaxValueBytes %d: must not be negative", c.MaxValueBytes)
	case c.MaxMessageBytes < 0:
		return fmt.Errorf("effects: Config.MaxMessageBytes %d: must not be negative", c.MaxMessageBytes)
	case c.MaxEffects < 0:
		return fmt.Errorf("effects: Config.MaxEffects %d: must not be negative", c.MaxEffects)
	case c.MaxStagedBytes < 0:
		return fmt.Errorf("effects: Config.MaxStagedBytes %d: must not be negative", c.MaxStagedBytes)
	case c.MaxQuotaBytes < 0:
		return fmt.Errorf("effects: Config.MaxQuotaBytes %d: must not be negative", c.MaxQuotaBytes)
	case c.MaxDelay < 0:
		return fmt.Errorf("effects: Config.MaxDelay %v: must not be negative", c.MaxDelay)
	case c.ListLimit < 0 || c.MaxListLimit < c.ListLimit:
		return fmt.Errorf("effects: Config.ListLimit %d, MaxListLimit %d: want 0 < ListLimit <= MaxListLimit", c.ListLimit, c.MaxListLimit)
	}
	return nil
}

// Manager hands out stages and commits them. It is safe for concurrent
// use; each Stage belongs to one invocation.
type Manager struct {
	cfg Config
	log *slog.Logger
}

var (
	_ hostfuncs.Effects = (*Stage)(nil)
	// The store's KV satisfies what a stage reads through.
	_ kvSource = (*store.KV)(nil)
)

// kvSource is what a Stage reads the database through.
type kvSource interface {
	Get(ctx context.Context, appID int64, key string) (store.KVEntry, error)
	List(ctx context.Context, appID int64, prefix, after string, limit int32) ([]store.KVEntry, error)
	Sizes(ctx context.Context, appID int64, keys []string) (map[string]int64, error)
}

// New returns a Manager.
func New(cfg Config) (*Manager, error) {
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &Manager{cfg: cfg, log: cfg.Logger}, nil
}

// Stage returns an empty stage for one invocation of app: its reads go to
// the app's KV store, its quota is the app's.
func (m *Manager) Stage(app store.App) *Stage {
	quota := app.Limits.KVQuotaBytes
	if quota == 0 {
		quota = m.cfg.DefaultQuotaBytes
	}
	if m.cfg.MaxQuotaBytes > 0 && (quota < 0 || quota > m.cfg.MaxQuotaBytes) {
		quota = m.cfg.MaxQuotaBytes
	}
	return &Stage{m: m, appID: app.ID, quota: quota, src: m.cfg.Store.KV}
}

// Commit writes stage in a transaction of its own and, when that made
// deliveries, calls Config.Wake. An empty stage costs nothing.
func (m *Manager) Commit(ctx context.Context, stage *Stage) (Summary, error) {
	if stage.Empty() {
		return Summary{}, nil
	}
	var sum Summary
	var err error
	if stage.statements() == 1 {
		// One statement is atomic by itself: no BEGIN and COMMIT round
		// trips (a publish or a push from the API, a script's one publish).
		sum, err = stage.Commit(ctx, m.cfg.Store)
	} else {
		err = m.cfg.Store.InTx(ctx, func(st *store.Store) error {
			var err error
			sum, err = stage.Commit(ctx, st)
			return err
		})
	}
	if err != nil {
		return Summary{}, err
	}
	m.Woke(sum)
	return sum, nil
}

// Woke calls Config.Wake when sum made deliveries: call it after the
// transaction that committed a stage with Stage.Commit committed.
func (m *Manager) Woke(sum Summary) {
	if sum.Deliveries > 0 {
		m.Wake()
	}
}

// Wake calls Config.Wake, if set: deliveries were made due by other means
// (a dead letter replayed, a retry brought forward).
func (m *Manager) Wake() {
	if m.cfg.Wake != nil {
		m.cfg.Wake()
	}
}

// fxError is a failed call's error: its kind (hostfuncs.ErrInvalid or
// ErrLimit, and ErrQuota for the quota) and the message the script sees.
type fxError struct {
	kinds []error
	msg   string
}

func (e *fxError) Error() string   { return e.msg }
func (e *fxError) Unwrap() []error { return e.kinds }

func invalidf(format string, args ...any) error {
	return &fxError{kinds: []error{hostfuncs.ErrInvalid}, msg: fmt.Sprintf(format, args...)}
}

func limitf(format string, args ...any) error {
	return &fxError{kinds: []error{hostfuncs.ErrLimit}, msg: fmt.Sprintf(format, args...)}
}

func quotaf(format string, args ...any) error {
	return &fxError{kinds: []error{hostfuncs.ErrLimit, ErrQuota}, msg: fmt.Sprintf(format, args...)}
}

// ErrQuota is the error of a write that would take the app over its KV
// quota: staging one (errors.Is(err, hostfuncs.ErrLimit) too), or a
// commit that concurrent writers took over it.
var ErrQuota = errors.New("effects: the app's KV quota is exceeded")
