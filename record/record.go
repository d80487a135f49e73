// Package record writes every invocation to the database without putting a
// database round trip on the path of the invocation: Record appends to a
// bounded in-memory buffer that a goroutine writes out in batches (COPY, one
// transaction per batch). It also feeds the live tail: Subscribe returns the
// invocations of an app as they are recorded.
//
//	rec, err := record.New(st.Invocations, record.Config{Logger: log})
//	rec.Record(record.Invocation{Invocation: inv, App: "shop", Script: "hello"})
//	tail, stop := rec.Subscribe(appID)
//	...
//	err = rec.Close(ctx) // writes what is buffered
//
// When the database is slower than the invocations, the buffer keeps the
// newest Config.MaxPending invocations and drops the oldest, counting them
// and logging a warning: recording never slows the invocations down and
// never grows without bound.
package record

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/picloud/picloud/db/store"
)

// Writer is where invocations go; *store.Invocations is one.
type Writer interface {
	InsertBatch(ctx context.Context, invs []store.Invocation) error
}

var _ Writer = (*store.Invocations)(nil)

// Config configures a Recorder. The zero value is usable.
type Config struct {
	// Logger receives write failures and drop warnings. Default: discard.
	Logger *slog.Logger
	// BatchSize is the most invocations written at once; a batch that is
	// full is written at once. Default 100.
	BatchSize int
	// FlushInterval is the longest an invocation waits in the buffer before
	// its batch is written. Default 50ms.
	FlushInterval time.Duration
	// MaxPending bounds the buffer; past it the oldest invocation is
	// dropped. Default 10000.
	MaxPending int
	// WriteTimeout bounds one batch's write. Default 10s.
	WriteTimeout time.Duration
	// RetryInterval is the wait after a failed write before the next try.
	// Default 1s.
	RetryInterval time.Duration
	// Announce, when set, is called after each written batch with one
	// payload naming the batch's invocations, to be sent to the other
	// nodes sharing the database (store.(*Store).NotifyInvocations). Their
	// recorders show those invocations to their own live-tail subscribers
	// (Heard). BatchSize must then be at most 200, for the payload to fit
	// a notification. Default: none, the tail shows this node's only.
	Announce func(ctx context.Context, payload string) error
	// Fetch reads the invocations other nodes announced, for Heard
	// (store.(*Invocations).Named). Default: none, Heard does nothing.
	Fetch func(ctx context.Context, ids []uuid.UUID) ([]store.NamedInvocation, error)

	// TailBuffer is each live-tail subscriber's channel capacity; a
	// subscriber that falls that far behind misses invocations (counted in
	// Stats.TailDrops). Default 256.
	TailBuffer int
}

func (c *Config) setDefaults() {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.BatchSize == 0 {
		c.BatchSize = 100
	}
	if c.FlushInterval == 0 {
		c.FlushInterval = 50 * time.Millisecond
	}
	if c.MaxPending == 0 {
		c.MaxPending = 10_000
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = 10 * time.Second
	}
	if c.RetryInterval == 0 {
		c.RetryInterval = time.Second
	}
	if c.TailBuffer == 0 {
		c.TailBuffer = 256
	}
}

func (c *Config) validate() error {
	switch {
	case c.BatchSize < 0:
		return fmt.Errorf("record: Config.BatchSize %d: must not be negative", c.BatchSize)
	case c.FlushInterval < 0:
		return fmt.Errorf("record: Config.FlushInterval %v: must not be negative", c.FlushInterval)
	case c.MaxPending < c.BatchSize:
		return fmt.Errorf("record: Config.MaxPending %d: must be at least BatchSize (%d)", c.MaxPending, c.BatchSize)
	case c.WriteTimeout < 0:
		return fmt.Errorf("record: Config.WriteTimeout %v: must not be negative", c.WriteTimeout)
	case c.RetryInterval < 0:
		return fmt.Errorf("record: Config.RetryInterval %v: must not be negative", c.RetryInterval)
	case c.TailBuffer < 0:
		return fmt.Errorf("record: Config.TailBuffer %d: must not be negative", c.TailBuffer)
	case c.Announce != nil && c.BatchSize > maxAnnounced:
		return fmt.Errorf("record: Config.BatchSize %d: at most %d with Announce, for a batch's ids to fit a notification", c.BatchSize, maxAnnounced)
	}
	return nil
}

// Invocation is one finished invocation: the row to write, with the names
// the live tail shows.
type Invocation struct {
	store.Invocation
	App    string // the app's slug
	Script string // the script's name
}

// Stats counts what a Recorder did since it started.
type Stats struct {
	Recorded  uint64 // handed to Record
	Written   uint64 // written to the database
	Dropped   uint64 // dropped unwritten: buffer full, or recorded after Close
	Orphaned  uint64 // not written because their app or script was deleted first
	Failures  uint64 // failed batch writes (each retried)
	Pending   int    // in the buffer now
	TailDrops uint64 // summaries a slow live-tail subscriber missed
}

// Recorder buffers invocations and writes them in batches. It is safe for
// concurrent use.
type Recorder struct {
	w   Writer
	cfg Config
	log *slog.Logger

	mu      sync.Mutex
	pending []store.Invocation // oldest first
	closed  bool
	stats   Stats
	warned  time.Time // the last drop warning
	subs    map[int64]map[*subscriber]struct{}

	node  string        // this recorder's name in announcements
	heard []uuid.UUID   // announced by other nodes, to fetch
	fetch chan struct{} // wakes the fetcher; capacity 1

	kick chan struct{} // wakes the writer; capacity 1
	stop chan struct{} // closed by Close
	done chan struct{} // closed when the writer has returned
	// fetcherDone is closed when the fetcher has returned; nil without
	// Config.Fetch.
	fetcherDone chan struct{}
	// abort cancels the writer's current write when Close gives up.
	abortCtx context.Context
	abort    context.CancelFunc
}

// New starts a Recorder writing to w. Close stops it.
func New(w Writer, cfg Config) (*Recorder, error) {
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if w == nil {
		return nil, errors.New("record: nil Writer")
	}
	r := &Recorder{
		w: w, cfg: cfg, log: cfg.Logger,
		subs:  map[int64]map[*subscriber]struct{}{},
		node:  newNodeName(),
		fetch: make(chan struct{}, 1),
		kick:  make(chan struct{}, 1),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	r.abortCtx, r.abort = context.WithCancel(context.Background())
	go r.writer()
	if cfg.Fetch != nil {
		r.fetcherDone = make(chan struct{})
		go r.fetcher()
	}
	return r, nil
}

// Record queues inv for writing and shows it to the live tail. It never
// blocks on the database.
func (r *Recorder) Record(inv Invocation) {
	r.mu.Lock()
	r.stats.Recorded++
	if r.closed {
		r.stats.Dropped++
		r.mu.Unlock()
		r.log.Warn("invocation recorded after Close: dropped", slog.String("invocation_id", inv.ID.String()))
		return
	}
	dropped := false
	if len(r.pending) >= r.cfg.MaxPending {
		r.pending[0] = store.Invocation{} // let the dropped row's memory go
		r.pending = r.pending[1:]
		r.stats.Dropped++
		dropped = true
	}
	r.pending = append(r.pending, inv.Invocation)
	n := len(r.pending)
	r.publish(&inv)
	var warnTotal uint64
	if dropped && time.Since(r.warned) >= time.Second {
		r.warned, warnTotal = time.Now(), r.stats.Dropped
	}
	r.mu.Unlock()

	if warnTotal > 0 {
		r.log.Warn("the database is not keeping up with the invocations: dropping the oldest unwritten ones",
			slog.Int("max_pending", r.cfg.MaxPending), slog.Uint64("dropped_total", warnTotal))
	}
	if n == 1 || n >= r.cfg.BatchSize {
		select {
		case r.kick <- struct{}{}:
		default:
		}
	}
}

// Stats returns the counters.
func (r *Recorder) Stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.stats
	s.Pending = len(r.pending)
	return s
}

// Close stops recording, writes what is buffered and waits for it, until
// ctx is done: then it abandons what is left and says how much. It closes
// every live-tail channel.
func (r *Recorder) Close(ctx context.Context) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		<-r.done
		return nil
	}
	r.closed = true
	for _, subs := range r.subs {
		for s := range subs {
			close(s.ch)
		}
	}
	clear(r.subs)
	r.mu.Unlock()
	close(r.stop)
	if r.fetcherDone != nil {
		<-r.fetcherDone
	}

	select {
	case <-r.done:
		r.abort()
		return nil
	case <-ctx.Done():
	}
	r.abort()
	<-r.done
	r.mu.Lock()
	lost := len(r.pending)
	r.stats.Dropped += uint64(lost)
	r.pending = nil
	r.mu.Unlock()
	if lost == 0 {
		return nil
	}
	return fmt.Errorf("record: close: %d invocations not written: %w", lost, ctx.Err())
}

// writer writes batches until Close, then drains the buffer.
func (r *Recorder) writer() {
	defer close(r.done)
	timer := time.NewTimer(0)
	<-timer.C
	for {
		select {
		case <-r.kick:
		case <-r.stop:
			r.drain()
			return
		}
		// Wait for a full batch or the flush interval, whichever is first.
		timer.Reset(r.cfg.FlushInterval)
	wait:
		for r.Stats().Pending < r.cfg.BatchSize {
			select {
			case <-r.kick:
			case <-timer.C:
				break wait
			case <-r.stop:
				r.drain()
				return
			}
		}
		timer.Stop()
		for {
			ok, more := r.flushOne()
			if !ok {
				// Back off before the next try; Close cuts the wait short.
				select {
				case <-time.After(r.cfg.RetryInterval):
				case <-r.stop:
					r.drain()
					return
				}
				continue
			}
			if !more {
				break
			}
		}
	}
}

// drain writes everything buffered, retrying failures, until the buffer is
// empty or Close gives up.
func (r *Recorder) drain() {
	for r.abortCtx.Err() == nil {
		ok, more := r.flushOne()
		if ok && !more {
			return
		}
		if !ok {
			select {
			case <-time.After(r.cfg.RetryInterval):
			case <-r.abortCtx.Done():
			}
		}
	}
}

// flushOne writes the oldest batch. ok is false when the write failed (the
// batch is back in the buffer); more says whether the buffer holds more.
func (r *Recorder) flushOne() (ok, more bool) {
	r.mu.Lock()
	k := min(len(r.pending), r.cfg.BatchSize)
	batch := r.pending[:k:k]
	r.pending = r.pending[k:]
	r.mu.Unlock()
	if k == 0 {
		return true, false
	}

	written, orphaned, err := r.write(batch)
	r.mu.Lock()
	r.stats.Written += uint64(written)
	r.stats.Orphaned += uint64(orphaned)
	if err != nil {
		r.stats.Failures++
		// Put the unwritten rows back in front, within the bound.
		rest := batch[written+orphaned:]
		room := r.cfg.MaxPending - len(r.pending)
		if len(rest) > room {
			r.stats.Dropped += uint64(len(rest) - room)
			rest = rest[len(rest)-max(room, 0):]
		}
		r.pending = append(rest[:len(rest):len(rest)], r.pending...)
	}
	more = len(r.pending) > 0
	r.mu.Unlock()
	if written > 0 {
		r.announce(batch[:written+orphaned])
	}
	if err != nil {
		r.log.Warn("writing invocations failed; will retry", slog.Int("batch", len(batch)), slog.Any("err", err))
		return false, more
	}
	return true, more
}

// write writes batch. When the batch fails because an app or script it
// refers to was deleted meanwhile, or because some of its rows are already
// there (a retry after a commit whose acknowledgement the connection lost,
// e.g. in a database restart: invocation ids are unique, so a conflict means
// that very row was written), it writes the rows one by one, skipping the
// orphans and counting the conflicts as written. written and orphaned count
// the rows from the start of batch that are done with; err reports a failure
// that left the rest unwritten.
func (r *Recorder) write(batch []store.Invocation) (written, orphaned int, err error) {
	ctx, cancel := context.WithTimeout(r.abortCtx, r.cfg.WriteTimeout)
	defer cancel()
	err = r.w.InsertBatch(ctx, batch)
	if err == nil {
		return len(batch), 0, nil
	}
	if !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrConflict) {
		return 0, 0, err
	}
	for i := range batch {
		err := r.w.InsertBatch(ctx, batch[i:i+1])
		switch {
		case err == nil, errors.Is(err, store.ErrConflict):
			written++
		case errors.Is(err, store.ErrNotFound):
			orphaned++
		default:
			return written, orphaned, err
		}
	}
	return written, orphaned, nil
}
