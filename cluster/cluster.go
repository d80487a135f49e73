// Package cluster keeps a serve process's entry in the cluster's member
// list (the cluster_members table): who runs, in which role, at which
// addresses, and how far each machine's clock is from the database's.
// `picloud doctor` reads the list to report clock skew; cron schedules
// are computed on each machine's clock, so skew matters there.
//
//	m, err := cluster.Join(ctx, cluster.Config{Store: st, Name: "web-1:4242", Role: "node"})
//	defer m.Leave(ctx)
//
// Each heartbeat measures the clock offset over its own round trip
// (the local midpoint minus the database's now()) and stores it with the
// next heartbeat. Heartbeats also forget members gone for ForgetAfter, so
// the list does not grow with restarts; the delete is idempotent, so no
// leader is needed.
package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/picloud/picloud/db/store"
)

// Roles of a serve process.
const (
	RoleAll     = "all"     // everything in one process
	RoleManager = "manager" // admin API, dashboard, cron scheduling, maintenance
	RoleNode    = "node"    // public ingress, dispatcher, executor
)

// Config configures a Member.
type Config struct {
	// Store registers the member. Required.
	Store *store.Store
	// Name identifies the process to operators, e.g. host:pid. Required.
	Name string
	// Role is RoleAll, RoleManager or RoleNode. Required.
	Role string
	// Version, AdminAddr and PublicAddr are shown in the member list.
	// Default: empty.
	Version, AdminAddr, PublicAddr string
	// Interval is the time between heartbeats. Default 5s.
	Interval time.Duration
	// ForgetAfter is how long after its last heartbeat a member's row is
	// deleted. Default 1h.
	ForgetAfter time.Duration
	// Registerer, when set, gets picloud_clock_offset_seconds.
	// Default: none.
	Registerer prometheus.Registerer
	// Logger receives failed heartbeats. Default: discard.
	Logger *slog.Logger
	// Now is the local clock. Default time.Now.
	Now func() time.Time
}

func (c *Config) setDefaults() {
	if c.Interval == 0 {
		c.Interval = 5 * time.Second
	}
	if c.ForgetAfter == 0 {
		c.ForgetAfter = time.Hour
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
		return errors.New("cluster: Config.Store is required")
	case c.Name == "":
		return errors.New("cluster: Config.Name is required")
	case c.Role != RoleAll && c.Role != RoleManager && c.Role != RoleNode:
		return fmt.Errorf("cluster: Config.Role %q: want %s, %s or %s", c.Role, RoleAll, RoleManager, RoleNode)
	case c.Interval < 0:
		return fmt.Errorf("cluster: Config.Interval %v: must not be negative", c.Interval)
	case c.ForgetAfter < c.Interval:
		return fmt.Errorf("cluster: Config.ForgetAfter %v: must be at least Interval (%v)", c.ForgetAfter, c.Interval)
	}
	return nil
}

// Member is this process's entry; its goroutine beats until Leave.
type Member struct {
	cfg    Config
	offset prometheus.Gauge

	mu   sync.Mutex
	self store.Member // ID and the last measured ClockOffset

	cancel context.CancelFunc
	done   chan struct{}
}

// Join registers the process and starts its heartbeats.
func Join(ctx context.Context, cfg Config) (*Member, error) {
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	m := &Member{
		cfg: cfg,
		offset: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "picloud", Name: "clock_offset_seconds",
			Help: "This machine's clock minus the database server's, measured at each heartbeat.",
		}),
		self: store.Member{Name: cfg.Name, Role: cfg.Role, Version: cfg.Version, AdminAddr: cfg.AdminAddr, PublicAddr: cfg.PublicAddr},
		done: make(chan struct{}),
	}
	sent := cfg.Now()
	id, dbNow, err := cfg.Store.Members.Join(ctx, m.self)
	if err != nil {
		return nil, fmt.Errorf("cluster: join: %w", err)
	}
	m.self.ID = id
	m.measure(sent, dbNow)
	if cfg.Registerer != nil {
		if err := cfg.Registerer.Register(m.offset); err != nil {
			_ = cfg.Store.Members.Leave(context.WithoutCancel(ctx), id)
			return nil, fmt.Errorf("cluster: register the clock metric: %w", err)
		}
	}
	var loopCtx context.Context
	loopCtx, m.cancel = context.WithCancel(context.WithoutCancel(ctx))
	go m.loop(loopCtx)
	return m, nil
}

// ID is the member's id in cluster_members.
func (m *Member) ID() int64 { return m.self.ID }

// ClockOffset is the last measured offset of the local clock from the
// database's.
func (m *Member) ClockOffset() time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.self.ClockOffset
}

// measure sets the offset from a round trip that left at sent and came
// back with the database's clock at dbNow.
func (m *Member) measure(sent, dbNow time.Time) {
	back := m.cfg.Now()
	mid := sent.Add(back.Sub(sent) / 2)
	off := mid.Sub(dbNow)
	m.mu.Lock()
	m.self.ClockOffset = off
	m.mu.Unlock()
	m.offset.Set(off.Seconds())
}

func (m *Member) loop(ctx context.Context) {
	defer close(m.done)
	t := time.NewTicker(m.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			m.beat(ctx)
		}
	}
}

func (m *Member) beat(ctx context.Context) {
	log := m.cfg.Logger
	ctx, cancel := context.WithTimeout(ctx, m.cfg.Interval)
	defer cancel()
	m.mu.Lock()
	self := m.self
	m.mu.Unlock()
	sent := m.cfg.Now()
	dbNow, err := m.cfg.Store.Members.Beat(ctx, self)
	if err != nil {
		if ctx.Err() == nil {
			log.WarnContext(ctx, "cluster heartbeat failed", slog.Any("err", err))
		}
		return
	}
	m.measure(sent, dbNow)
	if _, err := m.cfg.Store.Members.ForgetGone(ctx, m.cfg.ForgetAfter); err != nil && ctx.Err() == nil {
		log.WarnContext(ctx, "forgetting departed cluster members failed", slog.Any("err", err))
	}
}

// Leave stops the heartbeats and removes the member's row.
func (m *Member) Leave(ctx context.Context) error {
	m.cancel()
	<-m.done
	if m.cfg.Registerer != nil {
		m.cfg.Registerer.Unregister(m.offset)
	}
	if err := m.cfg.Store.Members.Leave(ctx, m.self.ID); err != nil {
		return fmt.Errorf("cluster: leave: %w", err)
	}
	return nil
}
