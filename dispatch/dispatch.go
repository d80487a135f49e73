// Package dispatch delivers the outbox: it claims due deliveries (cron
// ticks, pub/sub fan-out, queue messages, KV change events, dead-letter
// notices) in batches with FOR UPDATE SKIP LOCKED, runs each one's script in
// the sandbox with ctx.event built for its kind, and completes, retries or
// dead-letters it. See shared OUTBOX.md for the design and
// docs/RATIONALE.md for where this one differs.
//
//	d, err := dispatch.New(ctx, dispatch.Config{Store: st, Invoker: host, Effects: fx, Recorder: rec})
//	// wake-ups from other nodes and cache invalidation:
//	listen.Start(conn, listen.Config{}, append(d.Handlers(), …)...)
//	defer d.Close(ctx) // finishes what runs, hands back the rest
//
// Delivery is at least once; state is effectively once: a delivery whose
// script staged effects commits them in the same transaction that deletes
// its row, fenced by the claim (claimed_by and attempt), so an attempt whose
// lease was lost cannot apply them. Deliveries whose script staged nothing
// go through a batch completer.
//
// Wake-ups: Wake (called after a local commit) pokes the claim loop at
// once and sends at most one NOTIFY per Config.NotifyDebounce for the other
// nodes, none while the node knows it is alone; a poll every
// Config.PollInterval and a timer armed for the earliest future run_at catch
// the rest.
//
// Leases: a claim leases its rows for Config.Lease, extended by one UPDATE
// per node every Lease/3 while they run. Every node beats in
// dispatcher_nodes every Config.Heartbeat; one node at a time (an advisory
// lock) rescues the rows of nodes not seen for Config.DeadAfter and of
// expired leases, so a killed process's deliveries run again within
// seconds.
package dispatch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/picloud/picloud/db/listen"
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

// Config configures a Dispatcher. Zero fields take the documented
// defaults.
type Config struct {
	// Store is the database, on a pool. Required.
	Store *store.Store
	// Invoker runs the scripts. Required.
	Invoker Invoker
	// Effects stages and commits what the scripts do. Required.
	Effects *effects.Manager
	// Recorder records every delivery's invocation. Default: none.
	Recorder Recorder
	// Egress is the server's outbound HTTP policy (see
	// ingress.Config.Egress). Default: nil, http:: calls fail.
	Egress *egress.Policy
	// Secrets hands scripts their app's secrets in ctx.env. Default: none.
	Secrets *secrets.Source
	// Logger receives failures. Default: discard.
	Logger *slog.Logger
	// Name names this node in dispatcher_nodes. Default: host name and pid.
	Name string

	// Slots is the most deliveries this node runs at once; a claim asks
	// for the free ones, at most MaxBatch. Defaults 32 and 100.
	Slots, MaxBatch int
	// Lease is how long a claim holds its rows before another node may
	// take them; running rows are extended every Lease/3. Default: the
	// longest script timeout (MaxLimits.Timeout, else runtime's default)
	// plus 15s.
	Lease time.Duration
	// Heartbeat is how often the node marks itself alive; DeadAfter is how
	// long a silent node keeps its rows before the rescue hands them back;
	// RescueInterval how often a node (one at a time) runs the rescue.
	// Defaults 2s, 8s and 2s: a dead node's deliveries are pending again
	// within about 10s.
	Heartbeat, DeadAfter, RescueInterval time.Duration
	// PollInterval is the backstop poll when no wake-up comes. Default 1s.
	PollInterval time.Duration
	// ClaimCooldown is the least time between two claims while deliveries
	// keep coming (River's FetchCooldown): under load a claim takes what
	// accumulated meanwhile instead of one row per wake-up; at low rates
	// it adds nothing. Default 2ms.
	ClaimCooldown time.Duration
	// NotifyDebounce is the least time between two NOTIFYs of this node.
	// Default 10ms.
	NotifyDebounce time.Duration
	// CompleteBatch and CompleteFlush bound the batch completer: it
	// deletes delivered rows when it holds CompleteBatch of them or the
	// oldest waited CompleteFlush. Defaults 100 and 5ms.
	CompleteBatch int
	CompleteFlush time.Duration
	// MaxBackoff caps the retry backoff min(MaxBackoff, 4^(attempt-1) s) ×
	// U(0.8, 1.2). Default 1h.
	MaxBackoff time.Duration
	// CacheTTL bounds how long a script's active version and its app's
	// limits are cached without a change notification. Default 30s.
	CacheTTL time.Duration
	// DefaultLimits are the invocation limits of apps that leave a limit at
	// 0; MaxLimits the server's ceilings (0: none). Default: zero, both.
	DefaultLimits, MaxLimits runtime.Limits
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

func (c *Config) setDefaults() {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Name == "" {
		host, _ := os.Hostname()
		c.Name = host + ":" + strconv.Itoa(os.Getpid())
	}
	if c.Slots == 0 {
		c.Slots = 32
	}
	if c.MaxBatch == 0 {
		c.MaxBatch = 100
	}
	if c.Lease == 0 {
		timeout := c.MaxLimits.Timeout
		if timeout <= 0 {
			timeout = max(c.DefaultLimits.Timeout, runtime.DefaultTimeout)
		}
		c.Lease = timeout + 15*time.Second
	}
	if c.Heartbeat == 0 {
		c.Heartbeat = 2 * time.Second
	}
	if c.DeadAfter == 0 {
		c.DeadAfter = 4 * c.Heartbeat
	}
	if c.RescueInterval == 0 {
		c.RescueInterval = 2 * time.Second
	}
	if c.PollInterval == 0 {
		c.PollInterval = time.Second
	}
	if c.ClaimCooldown == 0 {
		c.ClaimCooldown = 2 * time.Millisecond
	}
	if c.NotifyDebounce == 0 {
		c.NotifyDebounce = 10 * time.Millisecond
	}
	if c.CompleteBatch == 0 {
		c.CompleteBatch = 100
	}
	if c.CompleteFlush == 0 {
		c.CompleteFlush = 5 * time.Millisecond
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = time.Hour
	}
	if c.CacheTTL == 0 {
		c.CacheTTL = 30 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

func (c *Config) validate() error {
	switch {
	case c.Store == nil:
		return errors.New("dispatch: Config.Store is required")
	case c.Invoker == nil:
		return errors.New("dispatch: Config.Invoker is required")
	case c.Effects == nil:
		return errors.New("dispatch: Config.Effects is required")
	case c.Slots < 1:
		return fmt.Errorf("dispatch: Config.Slots %d: want at least 1", c.Slots)
	case c.MaxBatch < 1:
		return fmt.Errorf("dispatch: Config.MaxBatch %d: want at least 1", c.MaxBatch)
	case c.Lease < time.Second:
		return fmt.Errorf("dispatch: Config.Lease %v: want at least 1s", c.Lease)
	case c.Heartbeat <= 0 || c.DeadAfter <= c.Heartbeat:
		return fmt.Errorf("dispatch: Config.Heartbeat %v, DeadAfter %v: want 0 < Heartbeat < DeadAfter", c.Heartbeat, c.DeadAfter)
	case c.RescueInterval <= 0 || c.PollInterval <= 0 || c.NotifyDebounce < 0 || c.ClaimCooldown < 0:
		return fmt.Errorf("dispatch: Config.RescueInterval %v, PollInterval %v, NotifyDebounce %v: want positive intervals",
			c.RescueInterval, c.PollInterval, c.NotifyDebounce)
	case c.CompleteBatch < 1 || c.CompleteFlush <= 0:
		return fmt.Errorf("dispatch: Config.CompleteBatch %d, CompleteFlush %v: want positive", c.CompleteBatch, c.CompleteFlush)
	case c.MaxBackoff < time.Second:
		return fmt.Errorf("dispatch: Config.MaxBackoff %v: want at least 1s", c.MaxBackoff)
	case c.CacheTTL < 0:
		return fmt.Errorf("dispatch: Config.CacheTTL %v: must not be negative", c.CacheTTL)
	}
	return nil
}

// Dispatcher claims and runs deliveries. Its methods are safe for
// concurrent use.
type Dispatcher struct {
	cfg  Config
	log  *slog.Logger
	st   *store.Store
	node int64

	wake   chan struct{} // the claim loop's signal; capacity 1
	freed  chan struct{} // a slot was freed; capacity 1
	notify *Notifier     // the debounced NOTIFY for the other nodes
	alone  atomic.Bool   // no other node beat recently

	slots chan struct{} // one token per running delivery

	mu       sync.Mutex
	inflight map[int64]int32 // claimed rows (id → attempt) not yet completed or failed

	targets *targets
	done    *completer

	stopClaims context.CancelFunc // ends the claim loop
	stopAll    context.CancelFunc // ends the background goroutines
	stopWork   context.CancelFunc // cancels running invocations (a forced shutdown)
	workCtx    context.Context
	loopDone   chan struct{}
	bg         sync.WaitGroup // heartbeat, chores, completer
	workers    sync.WaitGroup // running deliveries
	closeOnce  sync.Once
	closeErr   error

	stats stats
}

// New registers the node and starts claiming. Close stops it.
func New(ctx context.Context, cfg Config) (*Dispatcher, error) {
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	node, err := cfg.Store.Nodes.Register(ctx, cfg.Name)
	if err != nil {
		return nil, fmt.Errorf("dispatch: %w", err)
	}
	d := &Dispatcher{
		cfg: cfg, log: cfg.Logger.With("node", node), st: cfg.Store, node: node,
		wake:     make(chan struct{}, 1),
		freed:    make(chan struct{}, 1),
		slots:    make(chan struct{}, cfg.Slots),
		inflight: map[int64]int32{},
		loopDone: make(chan struct{}),
	}
	d.targets = newTargets(cfg)
	base := context.WithoutCancel(ctx)
	var claimCtx, bgCtx context.Context
	claimCtx, d.stopClaims = context.WithCancel(base)
	bgCtx, d.stopAll = context.WithCancel(base)
	d.workCtx, d.stopWork = context.WithCancel(base)
	d.done = newCompleter(d)
	d.notify = startNotifier(cfg.Store, node, cfg.NotifyDebounce, d.log, d.alone.Load)

	d.bg.Add(3)
	go d.done.run(bgCtx)
	go d.heartbeat(bgCtx)
	go d.chores(bgCtx)
	go d.loop(claimCtx)
	d.Wake()
	return d, nil
}

// Node is the node's id: the outbox's claimed_by for the rows it runs.
func (d *Dispatcher) Node() int64 { return d.node }

// Wake tells the dispatcher that deliveries were committed: its claim loop
// looks at once, and the other nodes hear of it by a debounced NOTIFY.
// Call it after the commit. It never blocks.
func (d *Dispatcher) Wake() {
	d.poke()
	d.notify.Notify()
}

// poke wakes the local claim loop only.
func (d *Dispatcher) poke() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Handlers are the LISTEN handlers the dispatcher needs: wake-ups from
// other nodes on store.OutboxChannel, and script, trigger and app changes
// on store.RoutesChannel, which invalidate its cache. Add them to the
// process's listen.Listener.
func (d *Dispatcher) Handlers() []listen.Handler {
	self := strconv.FormatInt(d.node, 10)
	return []listen.Handler{
		{Channel: store.OutboxChannel, Notify: func(payload string) {
			if payload != self {
				d.poke()
			}
		}, Resync: d.poke},
		{Channel: store.RoutesChannel, Notify: d.targets.changed, Resync: d.targets.flush},
	}
}

// Close stops claiming, waits for the running deliveries to finish (until
// ctx is done, when it cancels them), completes what it can, hands the
// rows it still holds back to the outbox and unregisters the node. It is
// safe to call more than once.
func (d *Dispatcher) Close(ctx context.Context) error {
	d.closeOnce.Do(func() { d.closeErr = d.close(ctx) })
	return d.closeErr
}

func (d *Dispatcher) close(ctx context.Context) error {
	d.stopClaims()
	<-d.loopDone
	finished := make(chan struct{})
	go func() { d.workers.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-ctx.Done():
		d.log.WarnContext(ctx, "shutdown: canceling the deliveries still running")
		d.stopWork()
		<-finished
	}
	d.stopWork()
	d.done.drain() // the completer flushes what it holds, then stops
	d.stopAll()
	d.bg.Wait()
	d.notify.Close()
	// Whatever is still ours (a completion that failed, a canceled run)
	// goes back to pending without counting the attempt.
	cleanup, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	var errs []error
	if n, err := d.st.Outbox.Release(cleanup, d.node); err != nil {
		errs = append(errs, fmt.Errorf("dispatch: %w", err))
	} else if n > 0 {
		d.log.InfoContext(cleanup, "shutdown: handed deliveries back", "released", n)
	}
	if err := d.st.Nodes.Unregister(cleanup, d.node); err != nil {
		errs = append(errs, fmt.Errorf("dispatch: %w", err))
	}
	return errors.Join(errs...)
}

// loop claims due deliveries whenever it is woken, a slot frees up after a
// full claim, the poll interval passes or the earliest future run_at comes.
func (d *Dispatcher) loop(ctx context.Context) {
	defer close(d.loopDone)
	poll := time.NewTimer(d.cfg.PollInterval)
	defer poll.Stop()
	cooldown := time.NewTimer(0)
	defer cooldown.Stop()
	var next nextDue
	for {
		claimed := time.Now()
		n, more := d.claim(ctx)
		if ctx.Err() != nil {
			return
		}
		// Let the cooldown pass before the next claim, so that one claim
		// takes what arrives meanwhile.
		resetTimer(cooldown, d.cfg.ClaimCooldown-time.Since(claimed))
		if more {
			// A full batch: there may be more due. Claim again once half
			// the slots are free, or the cooldown passed and one is.
			if !d.awaitSlots(ctx, cooldown) {
				return
			}
			continue
		}
		wait := d.cfg.PollInterval
		if at, ok := next.get(ctx, d, n > 0); ok {
			if until := at.Sub(d.cfg.Now()); until < wait {
				wait = max(until, time.Millisecond)
			}
		}
		resetTimer(poll, wait)
		select {
		case <-ctx.Done():
			return
		case <-d.wake:
			select { // a wake-up within the cooldown waits for its end
			case <-ctx.Done():
				return
			case <-cooldown.C:
			}
		case <-poll.C:
		}
	}
}

// nextDue remembers when the earliest pending delivery is due, for the
// timer of the claim loop.
type nextDue struct {
	at, read time.Time
	ok       bool
}

// get returns when the earliest pending delivery is due (ok false: none).
// While claims keep finding rows it reads the database at most every
// 100ms: each wake-up brings its own claim, and the timer only matters for
// what is due later (retries, delays, ticks).
func (n *nextDue) get(ctx context.Context, d *Dispatcher, busy bool) (time.Time, bool) {
	now := d.cfg.Now()
	if busy && now.Sub(n.read) < 100*time.Millisecond && (!n.ok || n.at.After(now)) {
		return n.at, n.ok
	}
	at, ok, err := d.st.Outbox.NextRunAt(ctx)
	if err != nil {
		if ctx.Err() == nil {
			d.log.WarnContext(ctx, "reading the next due delivery failed", "err", err)
		}
		return time.Time{}, false
	}
	n.at, n.ok, n.read = at, ok, now
	return at, ok
}

// awaitSlots waits until half the slots are free, or the cooldown passed
// and at least one is; false when ctx ended.
func (d *Dispatcher) awaitSlots(ctx context.Context, cooldown *time.Timer) bool {
	half := max(1, min(cap(d.slots), d.cfg.MaxBatch)/2)
	cooled := false
	for {
		free := cap(d.slots) - len(d.slots)
		if free >= half || cooled && free > 0 {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-d.freed:
		case <-cooldown.C:
			cooled = true
		}
	}
}

// resetTimer stops t, drains it and arms it for d (at once when d <= 0).
func resetTimer(t *time.Timer, d time.Duration) {
	if !t.Stop() {
		select {
		case <-t.C:
		default:
		}
	}
	t.Reset(max(d, 0))
}

// claim claims up to the free slots' worth of due deliveries and starts
// them. It returns how many, and whether the batch was full (more may be
// due).
func (d *Dispatcher) claim(ctx context.Context) (int, bool) {
	free := min(cap(d.slots)-len(d.slots), d.cfg.MaxBatch)
	if free <= 0 {
		return 0, true
	}
	rows, err := d.st.Outbox.Claim(ctx, d.node, d.cfg.Lease, int32(free))
	if err != nil {
		if ctx.Err() == nil {
			d.log.WarnContext(ctx, "claiming deliveries failed", "err", err)
			d.stats.claimErrors.Add(1)
		}
		return 0, false
	}
	d.stats.claimed.Add(uint64(len(rows)))
	d.mu.Lock()
	for _, r := range rows {
		d.inflight[r.ID] = r.Attempt
	}
	d.mu.Unlock()
	for _, r := range rows {
		d.slots <- struct{}{} // never blocks: we asked for the free slots only
		d.workers.Add(1)
		go func() {
			defer d.workers.Done()
			d.deliver(r)
			<-d.slots
			select {
			case d.freed <- struct{}{}:
			default:
			}
		}()
	}
	return len(rows), len(rows) == free
}

// settled forgets a row the node no longer holds.
func (d *Dispatcher) settled(id int64) {
	d.mu.Lock()
	delete(d.inflight, id)
	d.mu.Unlock()
}

// Stats counts what the dispatcher did since it started.
type Stats struct {
	Claimed, Delivered, Failed, DeadLettered, Stale uint64
	ClaimErrors                                     uint64
}

type stats struct {
	claimed, delivered, failed, deadLettered, stale, claimErrors atomic.Uint64
}

// Stats returns the counters.
func (d *Dispatcher) Stats() Stats {
	s := &d.stats
	return Stats{
		Claimed: s.claimed.Load(), Delivered: s.delivered.Load(), Failed: s.failed.Load(),
		DeadLettered: s.deadLettered.Load(), Stale: s.stale.Load(), ClaimErrors: s.claimErrors.Load(),
	}
}
