// Package retention deletes history past its retention period: invocations
// with their log lines, and dead letters. Delivered outbox rows need no
// retention: the dispatcher deletes them on success (shared OUTBOX.md §3.6).
//
// Deletes run in small batches, each its own short transaction, so a large
// backlog never holds a long transaction (and the xmin horizon the outbox's
// vacuum depends on). Every batch first takes a transaction-scoped advisory
// lock: when several managers run, one cleans and the others skip their
// pass, so the work is single-flighted through the database.
//
//	c, err := retention.Start(retention.Config{Store: st, Invocations: 7 * 24 * time.Hour})
//	defer c.Close()
package retention

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/picloud/picloud/db/store"
)

// LockKey is the advisory lock that single-flights the cleaning across
// processes ("retain" in ASCII).
const LockKey = 0x72657461696e

// Defaults of Config.
const (
	DefaultInvocations = 7 * 24 * time.Hour
	DefaultDeadLetters = 14 * 24 * time.Hour
	DefaultInterval    = 5 * time.Minute
	DefaultBatchSize   = 1000
)

// Config configures a Cleaner.
type Config struct {
	// Store is the database. Required.
	Store *store.Store
	// Invocations is how long invocations and their logs are kept.
	// Default 7 days; negative keeps them forever.
	Invocations time.Duration
	// DeadLetters is how long dead letters are kept after they failed.
	// Default 14 days; negative keeps them forever.
	DeadLetters time.Duration
	// Interval is the time between two passes; the first runs at Start.
	// Default 5m.
	Interval time.Duration
	// BatchSize is the most rows one transaction deletes. Default 1000.
	BatchSize int
	// Registerer, when set, gets picloud_retention_deleted_total.
	// Default: none.
	Registerer prometheus.Registerer
	// Logger receives each pass that deleted something, and failures.
	// Default: discard.
	Logger *slog.Logger
	// Now is the clock the cut-offs are computed on. Default time.Now.
	Now func() time.Time
}

func (c *Config) setDefaults() {
	if c.Invocations == 0 {
		c.Invocations = DefaultInvocations
	}
	if c.DeadLetters == 0 {
		c.DeadLetters = DefaultDeadLetters
	}
	if c.Interval == 0 {
		c.Interval = DefaultInterval
	}
	if c.BatchSize == 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

func (c *Config) validate() error {
	switch {
	case c.Store == nil:
		return errors.New("retention: Config.Store is required")
	case c.Interval < 0:
		return fmt.Errorf("retention: Config.Interval %v: must not be negative", c.Interval)
	case c.BatchSize < 0 || c.BatchSize > 1_000_000:
		return fmt.Errorf("retention: Config.BatchSize %d: want 1 to 1000000", c.BatchSize)
	}
	return nil
}

// Cleaner runs the passes in its goroutine until Close.
type Cleaner struct {
	cfg     Config
	deleted *prometheus.CounterVec
	kinds   []kind

	cancel context.CancelFunc
	done   chan struct{}
}

// kind is one history table with its retention.
type kind struct {
	name   string // the metric label and the log attribute
	keep   time.Duration
	delete func(ctx context.Context, st *store.Store, before time.Time, limit int32) (int64, error)
}

// New returns a Cleaner without starting it: call Pass yourself, or use
// Start.
func New(cfg Config) (*Cleaner, error) {
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	c := &Cleaner{
		cfg: cfg,
		deleted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "picloud", Name: "retention_deleted_total",
			Help: "Rows deleted past their retention by this process: invocations (with their logs) and dead letters.",
		}, []string{"what"}),
	}
	if cfg.Invocations > 0 {
		c.kinds = append(c.kinds, kind{"invocations", cfg.Invocations,
			func(ctx context.Context, st *store.Store, before time.Time, n int32) (int64, error) {
				return st.Invocations.DeleteBefore(ctx, before, n)
			}})
	}
	if cfg.DeadLetters > 0 {
		c.kinds = append(c.kinds, kind{"dead_letters", cfg.DeadLetters,
			func(ctx context.Context, st *store.Store, before time.Time, n int32) (int64, error) {
				return st.Outbox.PurgeDead(ctx, before, n)
			}})
	}
	if cfg.Registerer != nil {
		if err := cfg.Registerer.Register(c.deleted); err != nil {
			return nil, fmt.Errorf("retention: register the metric: %w", err)
		}
	}
	return c, nil
}

// Start returns a Cleaner whose goroutine runs a pass now and every
// Interval until Close.
func Start(cfg Config) (*Cleaner, error) {
	c, err := New(cfg)
	if err != nil {
		return nil, err
	}
	var ctx context.Context
	ctx, c.cancel = context.WithCancel(context.Background())
	c.done = make(chan struct{})
	go c.loop(ctx)
	return c, nil
}

// Close stops the goroutine, canceling a pass in progress (its current
// batch rolls back). It does nothing on a Cleaner that was not started.
func (c *Cleaner) Close() {
	if c.cancel == nil {
		return
	}
	c.cancel()
	<-c.done
	if c.cfg.Registerer != nil {
		c.cfg.Registerer.Unregister(c.deleted)
	}
}

func (c *Cleaner) loop(ctx context.Context) {
	defer close(c.done)
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := c.Pass(ctx); err != nil && ctx.Err() == nil {
			c.cfg.Logger.WarnContext(ctx, "retention pass failed; retrying at the next", slog.Any("err", err), slog.Duration("in", c.cfg.Interval))
		}
		t.Reset(c.cfg.Interval)
	}
}

// errNotLeader ends a pass another process is running.
var errNotLeader = errors.New("retention: another process holds the lock")

// Pass deletes everything past its retention, batch by batch, and returns
// the rows deleted per kind ("invocations", "dead_letters"). When another
// process holds the lock it returns at once with nothing deleted: that
// process is cleaning.
func (c *Cleaner) Pass(ctx context.Context) (map[string]int64, error) {
	out := map[string]int64{}
	now := c.cfg.Now()
	for _, k := range c.kinds {
		before := now.Add(-k.keep)
		for {
			var n int64
			err := c.cfg.Store.InTx(ctx, func(st *store.Store) error {
				lead, err := st.Nodes.TryLead(ctx, LockKey)
				if err != nil {
					return err
				}
				if !lead {
					return errNotLeader
				}
				n, err = k.delete(ctx, st, before, int32(c.cfg.BatchSize))
				return err
			})
			if errors.Is(err, errNotLeader) {
				return out, nil
			}
			if err != nil {
				return out, fmt.Errorf("retention: delete %s before %s: %w", k.name, before.Format(time.RFC3339), err)
			}
			out[k.name] += n
			c.deleted.WithLabelValues(k.name).Add(float64(n))
			if n < int64(c.cfg.BatchSize) {
				break
			}
		}
		if out[k.name] > 0 {
			c.cfg.Logger.InfoContext(ctx, "deleted history past its retention",
				slog.String("what", k.name), slog.Int64("rows", out[k.name]), slog.Time("before", before))
		}
	}
	return out, nil
}

// Deleted is the counter of rows of kind what ("invocations",
// "dead_letters") this Cleaner deleted.
func (c *Cleaner) Deleted(what string) prometheus.Counter { return c.deleted.WithLabelValues(what) }
