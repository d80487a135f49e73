package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/picloud/picloud/db/store"
	"github.com/picloud/picloud/dispatch"
	"github.com/picloud/picloud/record"
	"github.com/picloud/picloud/runtime"
)

// The interfaces Sources reads; the process's components satisfy them.
type (
	// Sandbox is *runtime.Host.
	Sandbox interface{ Stats() runtime.Stats }
	// RecorderStats is *record.Recorder.
	RecorderStats interface{ Stats() record.Stats }
	// Outbox is *store.Outbox.
	Outbox interface {
		Depth(ctx context.Context) (store.OutboxDepth, error)
	}
	// Dispatcher is *dispatch.Dispatcher.
	Dispatcher interface{ Stats() dispatch.Stats }
)

var (
	_ Sandbox       = (*runtime.Host)(nil)
	_ RecorderStats = (*record.Recorder)(nil)
	_ Outbox        = (*store.Outbox)(nil)
	_ Dispatcher    = (*dispatch.Dispatcher)(nil)
)

// Sources are the components whose state is read at each scrape. A nil
// field exports nothing.
type Sources struct {
	// Pool is the process's database pool (pgxpool.Stat).
	Pool *pgxpool.Pool
	// Sandbox reports the sandbox's instances.
	Sandbox Sandbox
	// Recorder reports the invocation recorder's counters.
	Recorder RecorderStats
	// Dispatcher reports this process's dispatcher's counters.
	Dispatcher Dispatcher
	// Outbox reports the cluster-wide outbox depth. Export it from the
	// managers only (or the one process of role all), so that a sum over
	// the cluster does not count the outbox once per node.
	Outbox Outbox
	// OutboxEvery is the shortest time between two outbox queries; the
	// scrapes in between get the last result. Default 5s.
	OutboxEvery time.Duration
	// OutboxTimeout bounds one outbox query. Default 2s.
	OutboxTimeout time.Duration
	// Logger receives failed outbox queries. Default: discard.
	Logger *slog.Logger
}

func (s *Sources) setDefaults() {
	if s.OutboxEvery == 0 {
		s.OutboxEvery = 5 * time.Second
	}
	if s.OutboxTimeout == 0 {
		s.OutboxTimeout = 2 * time.Second
	}
	if s.Logger == nil {
		s.Logger = slog.New(slog.DiscardHandler)
	}
}

func (s *Sources) validate() error {
	switch {
	case s.OutboxEvery < 0:
		return fmt.Errorf("metrics: Sources.OutboxEvery %v: must not be negative", s.OutboxEvery)
	case s.OutboxTimeout < 0:
		return fmt.Errorf("metrics: Sources.OutboxTimeout %v: must not be negative", s.OutboxTimeout)
	}
	return nil
}

// Register registers a collector for each source given.
func Register(reg prometheus.Registerer, s Sources) error {
	s.setDefaults()
	if err := s.validate(); err != nil {
		return err
	}
	var cs []prometheus.Collector
	if s.Pool != nil {
		cs = append(cs, newPoolCollector(s.Pool))
	}
	if s.Sandbox != nil {
		cs = append(cs, newSandboxCollector(s.Sandbox))
	}
	if s.Recorder != nil {
		cs = append(cs, newRecorderCollector(s.Recorder))
	}
	if s.Dispatcher != nil {
		cs = append(cs, newDispatchCollector(s.Dispatcher))
	}
	if s.Outbox != nil {
		cs = append(cs, newOutboxCollector(s))
	}
	var errs []error
	for _, c := range cs {
		errs = append(errs, reg.Register(c))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("metrics: register: %w", err)
	}
	return nil
}

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(prometheus.BuildFQName(Namespace, "", name), help, labels, nil)
}

// gauge and counter emit one const metric; label values follow v.
func gauge(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

func counter(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
}

// descs lists a collector's descriptions for Describe.
type descs []*prometheus.Desc

func (ds descs) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range ds {
		ch <- d
	}
}

type poolCollector struct {
	pool                                       *pgxpool.Pool
	conns, max, acquires, wait, empty, cancels *prometheus.Desc
	descs
}

func newPoolCollector(p *pgxpool.Pool) *poolCollector {
	c := &poolCollector{
		pool:     p,
		conns:    desc("db_pool_connections", "Database pool connections by state: acquired (in use), idle, constructing.", "state"),
		max:      desc("db_pool_max_connections", "The database pool's maximum size."),
		acquires: desc("db_pool_acquires_total", "Connections acquired from the database pool."),
		wait:     desc("db_pool_acquire_wait_seconds_total", "Time spent acquiring database connections."),
		empty:    desc("db_pool_empty_acquires_total", "Acquisitions that had to wait for a connection (the pool was empty)."),
		cancels:  desc("db_pool_canceled_acquires_total", "Acquisitions canceled before they got a connection."),
	}
	c.descs = descs{c.conns, c.max, c.acquires, c.wait, c.empty, c.cancels}
	return c
}

func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.pool.Stat()
	gauge(ch, c.conns, float64(s.AcquiredConns()), "acquired")
	gauge(ch, c.conns, float64(s.IdleConns()), "idle")
	gauge(ch, c.conns, float64(s.ConstructingConns()), "constructing")
	gauge(ch, c.max, float64(s.MaxConns()))
	counter(ch, c.acquires, float64(s.AcquireCount()))
	counter(ch, c.wait, s.AcquireDuration().Seconds())
	counter(ch, c.empty, float64(s.EmptyAcquireCount()))
	counter(ch, c.cancels, float64(s.CanceledAcquireCount()))
}

type sandboxCollector struct {
	src                    Sandbox
	instances, apps, stuck *prometheus.Desc
	descs
}

func newSandboxCollector(src Sandbox) *sandboxCollector {
	c := &sandboxCollector{
		src:       src,
		instances: desc("sandbox_instances", "Sandbox instances by state: running an invocation, idle (warm for their app), spare (fresh, for any app).", "state"),
		apps:      desc("sandbox_apps", "Apps with a pool of sandbox instances."),
		stuck:     desc("sandbox_stuck", "Guests that did not stop at their deadline; restart the process when not 0."),
	}
	c.descs = descs{c.instances, c.apps, c.stuck}
	return c
}

func (c *sandboxCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.src.Stats()
	gauge(ch, c.instances, float64(s.Running), "running")
	gauge(ch, c.instances, float64(s.Idle), "idle")
	gauge(ch, c.instances, float64(s.Spares), "spare")
	gauge(ch, c.apps, float64(s.Apps))
	gauge(ch, c.stuck, float64(s.Stuck))
}

type recorderCollector struct {
	src                                                     RecorderStats
	recorded, written, dropped, orphaned, failures, pending *prometheus.Desc
	tailDrops                                               *prometheus.Desc
	descs
}

func newRecorderCollector(src RecorderStats) *recorderCollector {
	c := &recorderCollector{
		src:       src,
		recorded:  desc("recorder_recorded_total", "Invocations handed to the recorder."),
		written:   desc("recorder_written_total", "Invocations written to the database."),
		dropped:   desc("recorder_dropped_total", "Invocations dropped unwritten because the database did not keep up (or recorded after shutdown)."),
		orphaned:  desc("recorder_orphaned_total", "Invocations not written because their app or script was deleted first."),
		failures:  desc("recorder_write_failures_total", "Failed batch writes (each retried)."),
		pending:   desc("recorder_pending", "Invocations waiting in the recorder's buffer."),
		tailDrops: desc("recorder_tail_drops_total", "Invocations a slow live-tail subscriber missed."),
	}
	c.descs = descs{c.recorded, c.written, c.dropped, c.orphaned, c.failures, c.pending, c.tailDrops}
	return c
}

func (c *recorderCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.src.Stats()
	counter(ch, c.recorded, float64(s.Recorded))
	counter(ch, c.written, float64(s.Written))
	counter(ch, c.dropped, float64(s.Dropped))
	counter(ch, c.orphaned, float64(s.Orphaned))
	counter(ch, c.failures, float64(s.Failures))
	gauge(ch, c.pending, float64(s.Pending))
	counter(ch, c.tailDrops, float64(s.TailDrops))
}

type dispatchCollector struct {
	src                                                  Dispatcher
	claimed, delivered, failed, dead, stale, claimErrors *prometheus.Desc
	descs
}

func newDispatchCollector(src Dispatcher) *dispatchCollector {
	c := &dispatchCollector{
		src:         src,
		claimed:     desc("dispatch_claimed_total", "Deliveries this node's dispatcher claimed (each attempt once)."),
		delivered:   desc("dispatch_delivered_total", "Deliveries it completed."),
		failed:      desc("dispatch_failed_total", "Attempts that failed and were scheduled for a retry."),
		dead:        desc("dispatch_dead_lettered_total", "Deliveries it moved to the dead letters after their last attempt."),
		stale:       desc("dispatch_stale_total", "Completions refused because the claim had been lost (a rescue handed the row to another node)."),
		claimErrors: desc("dispatch_claim_errors_total", "Claims that failed (the database was unreachable)."),
	}
	c.descs = descs{c.claimed, c.delivered, c.failed, c.dead, c.stale, c.claimErrors}
	return c
}

func (c *dispatchCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.src.Stats()
	counter(ch, c.claimed, float64(s.Claimed))
	counter(ch, c.delivered, float64(s.Delivered))
	counter(ch, c.failed, float64(s.Failed))
	counter(ch, c.dead, float64(s.DeadLettered))
	counter(ch, c.stale, float64(s.Stale))
	counter(ch, c.claimErrors, float64(s.ClaimErrors))
}

// outboxStates are the states the outbox gauges always export (0 when
// empty), in OutboxDepth's terms.
func outboxStates() [4]string { return [4]string{"pending", "scheduled", "running", "waiting"} }

type outboxCollector struct {
	src                            Outbox
	every, timeout                 time.Duration
	log                            *slog.Logger
	rows, oldest, dead, deadOldest *prometheus.Desc
	errorsDesc                     *prometheus.Desc
	descs

	mu     sync.Mutex // serializes scrapes; guards the fields below
	last   store.OutboxDepth
	at     time.Time // of last; zero before the first success
	errors uint64
}

func newOutboxCollector(s Sources) *outboxCollector {
	c := &outboxCollector{
		src: s.Outbox, every: s.OutboxEvery, timeout: s.OutboxTimeout, log: s.Logger,
		rows:       desc("outbox_deliveries", "Outbox deliveries by state: pending (due), scheduled (due later: delays, retry backoffs), running, waiting (a queue without a consumer). Cluster-wide.", "state"),
		oldest:     desc("outbox_oldest_seconds", "Age of the oldest delivery in each state: for pending, since it became due (the dispatch lag); for the others, since it was created. Cluster-wide.", "state"),
		dead:       desc("outbox_dead_letters", "Dead letters kept (deliveries that exhausted their attempts). Cluster-wide."),
		deadOldest: desc("outbox_dead_letters_oldest_seconds", "Age of the oldest dead letter kept."),
		errorsDesc: desc("outbox_depth_errors_total", "Outbox depth queries that failed; the scrape then reports the last good values."),
	}
	c.descs = descs{c.rows, c.oldest, c.dead, c.deadOldest, c.errorsDesc}
	return c
}

func (c *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.at.IsZero() || time.Since(c.at) >= c.every {
		ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
		d, err := c.src.Depth(ctx)
		cancel()
		if err != nil {
			c.errors++
			c.log.Warn("metrics: reading the outbox depth failed", slog.Any("err", err))
		} else {
			c.last, c.at = d, time.Now()
		}
	}
	counter(ch, c.errorsDesc, float64(c.errors))
	if c.at.IsZero() {
		return // no good values yet
	}
	for _, s := range outboxStates() {
		d := c.last.States[s]
		gauge(ch, c.rows, float64(d.Rows), s)
		gauge(ch, c.oldest, d.Oldest.Seconds(), s)
	}
	gauge(ch, c.dead, float64(c.last.Dead.Rows))
	gauge(ch, c.deadOldest, c.last.Dead.Oldest.Seconds())
}
