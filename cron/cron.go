// Package cron fires cron triggers: it turns each due tick into one outbox
// delivery, exactly once however many processes run a Scheduler on the
// database.
//
// The durable cursor is trigger_cron.next_run_at. For a due trigger, a
// scheduler moves the cursor from the tick it saw to the next one with a
// compare-and-set and, only when that matched, inserts the tick's delivery
// (dedupe_key = the tick) in the same transaction (shared OUTBOX.md §3.8):
// two schedulers, or one restarted, cannot fire a tick twice, even after
// its delivery ran and was deleted. After downtime a trigger fires once for
// the ticks it missed (its event's fired_at is the first of them) and then
// follows its schedule from now: one catch-up delivery, not a burst
// (schedule.Schedule.Due).
//
// The script sees ctx.event.cron = #{schedule, fired_at}.
package cron

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/picloud/picloud/db/store"
	"github.com/picloud/picloud/effects"
	"github.com/picloud/picloud/schedule"
)

// Config configures a Scheduler. Zero fields take the documented defaults.
type Config struct {
	// Store is the database, on a pool. Required.
	Store *store.Store
	// Wake, when set, is called after ticks were enqueued: the local
	// dispatcher's Wake. Default: none.
	Wake func()
	// Logger receives failures. Default: discard.
	Logger *slog.Logger
	// PollInterval is the longest the scheduler sleeps without looking for
	// due ticks (a trigger created meanwhile is found then, or at once
	// with Changed). Default 1s.
	PollInterval time.Duration
	// Batch is the most due triggers handled per round. Default 100.
	Batch int
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

func (c *Config) setDefaults() {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.PollInterval == 0 {
		c.PollInterval = time.Second
	}
	if c.Batch == 0 {
		c.Batch = 100
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

func (c *Config) validate() error {
	switch {
	case c.Store == nil:
		return errors.New("cron: Config.Store is required")
	case c.PollInterval <= 0:
		return fmt.Errorf("cron: Config.PollInterval %v: must be positive", c.PollInterval)
	case c.Batch < 1:
		return fmt.Errorf("cron: Config.Batch %d: want at least 1", c.Batch)
	}
	return nil
}

// Scheduler fires due cron ticks until Close.
type Scheduler struct {
	cfg  Config
	log  *slog.Logger
	wake chan struct{}

	mu        sync.Mutex
	schedules map[string]*schedule.Schedule // parsed, by time zone and expression

	fired  uint64 // ticks enqueued by this scheduler, guarded by mu
	cancel context.CancelFunc
	done   chan struct{}
}

// New starts a Scheduler. Close stops it.
func New(ctx context.Context, cfg Config) (*Scheduler, error) {
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	s := &Scheduler{
		cfg: cfg, log: cfg.Logger,
		wake:      make(chan struct{}, 1),
		schedules: map[string]*schedule.Schedule{},
		done:      make(chan struct{}),
	}
	var loopCtx context.Context
	loopCtx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	go s.loop(loopCtx)
	return s, nil
}

// Close stops the scheduler and waits for its round to end.
func (s *Scheduler) Close() {
	s.cancel()
	<-s.done
}

// Changed makes the scheduler look for due ticks at once: a trigger was
// created, enabled or changed (store.RoutesChannel). Its payload is
// ignored.
func (s *Scheduler) Changed(string) {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Fired returns the number of ticks this scheduler enqueued.
func (s *Scheduler) Fired() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fired
}

func (s *Scheduler) loop(ctx context.Context) {
	defer close(s.done)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-s.wake:
		}
		full, err := s.round(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			s.log.WarnContext(ctx, "firing cron triggers failed", "err", err)
		}
		wait := s.cfg.PollInterval
		switch {
		case full:
			wait = 0
		case err == nil:
			if next, ok, err := s.cfg.Store.Triggers.CronNextDue(ctx); err == nil && ok {
				wait = min(wait, max(next.Sub(s.cfg.Now()), 0))
			}
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(wait)
	}
}

// round fires the triggers due now; full says there may be more.
func (s *Scheduler) round(ctx context.Context) (full bool, err error) {
	now := s.cfg.Now()
	due, err := s.cfg.Store.Triggers.CronDue(ctx, now, int32(s.cfg.Batch))
	if err != nil {
		return false, err
	}
	fired := 0
	for _, t := range due {
		ok, err := s.fire(ctx, t, now)
		if err != nil {
			if ctx.Err() != nil {
				return false, err
			}
			s.log.WarnContext(ctx, "firing a cron tick failed", "trigger_id", t.TriggerID, "due", t.Due, "err", err)
			continue
		}
		if ok {
			fired++
		}
	}
	if fired > 0 {
		s.mu.Lock()
		s.fired += uint64(fired)
		s.mu.Unlock()
		if s.cfg.Wake != nil {
			s.cfg.Wake()
		}
	}
	return len(due) == s.cfg.Batch, nil
}

// fire moves t's cursor past now and enqueues its tick, in one transaction;
// false when another scheduler moved it first.
func (s *Scheduler) fire(ctx context.Context, t store.CronDue, now time.Time) (bool, error) {
	sch, err := s.parse(t.Schedule, t.TimeZone)
	if err != nil {
		// A schedule stored before a validation change: unschedule it
		// rather than retry forever.
		s.log.ErrorContext(ctx, "unscheduling a cron trigger whose schedule does not parse", "trigger_id", t.TriggerID, "err", err)
		return false, s.cfg.Store.Triggers.CronSetNext(ctx, t.TriggerID, time.Time{})
	}
	fire, next := sch.Due(t.Due, now)
	if !fire {
		return false, nil
	}
	fired := false
	err = s.cfg.Store.InTx(ctx, func(st *store.Store) error {
		moved, err := st.Triggers.CronAdvance(ctx, t.TriggerID, t.Due, next)
		if err != nil || !moved {
			return err
		}
		id, err := uuid.NewV7()
		if err != nil {
			return err
		}
		_, fired, err = st.Outbox.Enqueue(ctx, t.TriggerID, id, t.Due.UTC().Format(time.RFC3339Nano),
			effects.CronEvent(t.Schedule, t.Due), now)
		return err
	})
	return fired, err
}

func (s *Scheduler) parse(expr, tz string) (*schedule.Schedule, error) {
	key := tz + "\x00" + expr
	s.mu.Lock()
	sch := s.schedules[key]
	s.mu.Unlock()
	if sch != nil {
		return sch, nil
	}
	sch, err := schedule.Parse(expr, tz)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if len(s.schedules) > 10_000 {
		clear(s.schedules)
	}
	s.schedules[key] = sch
	s.mu.Unlock()
	return sch, nil
}
