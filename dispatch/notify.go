package dispatch

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/picloud/picloud/db/store"
)

// Notifier announces committed deliveries to the dispatchers of other
// processes with a NOTIFY on store.OutboxChannel, debounced: at most one per
// interval however many commits ask (shared OUTBOX.md §3.3: one NOTIFY per
// publish costs most of the publish throughput). A Dispatcher has one; a
// process without a dispatcher (a manager whose API publishes) makes its
// own with NewNotifier.
type Notifier struct {
	st       *store.Store
	node     int64 // the payload; 0 from a process without a dispatcher
	debounce time.Duration
	log      *slog.Logger
	// quiet, when set and true, skips the NOTIFY: nobody else listens.
	quiet func() bool

	ask    chan struct{}
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

// NewNotifier starts a Notifier for a process without a dispatcher: it
// sends at most one NOTIFY per debounce (0: 10ms). Close stops it.
func NewNotifier(st *store.Store, debounce time.Duration, log *slog.Logger) *Notifier {
	return startNotifier(st, 0, debounce, log, nil)
}

func startNotifier(st *store.Store, node int64, debounce time.Duration, log *slog.Logger, quiet func() bool) *Notifier {
	if debounce <= 0 {
		debounce = 10 * time.Millisecond
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	n := &Notifier{
		st: st, node: node, debounce: debounce, log: log, quiet: quiet,
		ask: make(chan struct{}, 1), done: make(chan struct{}),
	}
	var ctx context.Context
	ctx, n.cancel = context.WithCancel(context.Background())
	go n.run(ctx)
	return n
}

// Notify asks for a NOTIFY. It never blocks.
func (n *Notifier) Notify() {
	if n.quiet != nil && n.quiet() {
		return
	}
	select {
	case n.ask <- struct{}{}:
	default:
	}
}

// Close stops the Notifier. It is safe to call more than once.
func (n *Notifier) Close() {
	n.once.Do(func() {
		n.cancel()
		<-n.done
	})
}

func (n *Notifier) run(ctx context.Context) {
	defer close(n.done)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-n.ask:
		}
		if err := n.st.NotifyOutbox(ctx, n.node); err != nil && ctx.Err() == nil {
			n.log.WarnContext(ctx, "notifying the other nodes failed", "err", err)
		}
		timer.Reset(n.debounce)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
	}
}
