package dispatch

import (
	"context"
	"time"

	"github.com/picloud/picloud/db/store"
)

// completer deletes delivered rows in batches: one fenced DELETE for up to
// Config.CompleteBatch rows, at most Config.CompleteFlush after the first
// of them was added.
type completer struct {
	d    *Dispatcher
	in   chan store.Claimed
	stop chan struct{} // closed by drain: flush and return
	done chan struct{} // closed when run returns
}

func newCompleter(d *Dispatcher) *completer {
	return &completer{
		d:    d,
		in:   make(chan store.Claimed, 4*d.cfg.CompleteBatch),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
}

// add queues a delivered row. It blocks only while the completer is a full
// buffer behind, which slows claiming down to what the database takes.
func (c *completer) add(cl store.Claimed) { c.in <- cl }

// drain makes run flush everything queued and return, and waits for it.
func (c *completer) drain() {
	close(c.stop)
	<-c.done
}

func (c *completer) run(ctx context.Context) {
	defer c.d.bg.Done()
	defer close(c.done)
	batch := make([]store.Claimed, 0, c.d.cfg.CompleteBatch)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case cl := <-c.in:
			batch = append(batch, cl)
		case <-c.stop:
			for {
				select {
				case cl := <-c.in:
					batch = append(batch, cl)
					if len(batch) == cap(batch) {
						c.flush(batch)
						batch = batch[:0]
					}
					continue
				default:
				}
				break
			}
			c.flush(batch)
			return
		}
		timer.Reset(c.d.cfg.CompleteFlush)
	fill:
		for len(batch) < cap(batch) {
			select {
			case cl := <-c.in:
				batch = append(batch, cl)
			case <-timer.C:
				break fill
			case <-c.stop:
				break fill
			}
		}
		timer.Stop()
		c.flush(batch)
		batch = batch[:0]
	}
}

// flush deletes the batch's rows, retrying a failure a few times; rows it
// cannot complete stay claimed until their lease expires, and run again
// (their scripts staged nothing, so that is harmless).
func (c *completer) flush(batch []store.Claimed) {
	if len(batch) == 0 {
		return
	}
	d := c.d
	for try := 0; ; try++ {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		n, err := d.st.Outbox.Complete(ctx, d.node, batch)
		cancel()
		if err == nil {
			if lost := len(batch) - int(n); lost > 0 {
				d.stats.stale.Add(uint64(lost))
			}
			break
		}
		if try == 4 {
			d.log.Error("completing delivered rows failed; they will run again after their lease", "rows", len(batch), "err", err)
			break
		}
		time.Sleep(time.Duration(try+1) * 100 * time.Millisecond)
	}
	d.mu.Lock()
	for _, cl := range batch {
		delete(d.inflight, cl.ID)
	}
	d.mu.Unlock()
}
