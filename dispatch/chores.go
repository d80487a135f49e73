package dispatch

import (
	"context"
	"time"

	"github.com/picloud/picloud/db/store"
)

// rescueLock is the advisory lock whose holder runs the rescue this time
// ("outbox" in ASCII). Dead letters' retention is package retention's.
const rescueLock = 0x6f7574626f78

// heartbeat marks the node alive every Config.Heartbeat, learning whether
// it is alone (then it sends no NOTIFY), and extends the leases of the rows
// it runs every Lease/3.
func (d *Dispatcher) heartbeat(ctx context.Context) {
	defer d.bg.Done()
	beat := time.NewTicker(d.cfg.Heartbeat)
	defer beat.Stop()
	lease := time.NewTicker(d.cfg.Lease / 3)
	defer lease.Stop()
	d.beat(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-beat.C:
			d.beat(ctx)
		case <-lease.C:
			d.extend(ctx)
		}
	}
}

func (d *Dispatcher) beat(ctx context.Context) {
	others, err := d.st.Nodes.Beat(ctx, d.node, d.cfg.Name, d.cfg.DeadAfter)
	if err != nil {
		if ctx.Err() == nil {
			d.log.WarnContext(ctx, "dispatcher heartbeat failed", "err", err)
		}
		d.alone.Store(false) // unsure: keep telling the others
		return
	}
	d.alone.Store(others == 0)
}

func (d *Dispatcher) extend(ctx context.Context) {
	d.mu.Lock()
	ids := make([]int64, 0, len(d.inflight))
	for id := range d.inflight {
		ids = append(ids, id)
	}
	d.mu.Unlock()
	if len(ids) == 0 {
		return
	}
	if _, err := d.st.Outbox.Heartbeat(ctx, d.node, ids, d.cfg.Lease); err != nil && ctx.Err() == nil {
		d.log.WarnContext(ctx, "extending the leases of running deliveries failed", "rows", len(ids), "err", err)
	}
}

// chores runs, every Config.RescueInterval and on one node at a time, the
// rescue of the rows of dead nodes and of expired leases.
func (d *Dispatcher) chores(ctx context.Context) {
	defer d.bg.Done()
	tick := time.NewTicker(d.cfg.RescueInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		rescued, err := d.rescue(ctx)
		if err != nil {
			if ctx.Err() == nil {
				d.log.WarnContext(ctx, "the rescue of stranded deliveries failed", "err", err)
			}
			continue
		}
		if rescued > 0 {
			d.Wake()
		}
	}
}

// rescue runs the rescue if this node gets the lock, and returns how many
// rows it put back or dead-lettered.
func (d *Dispatcher) rescue(ctx context.Context) (int64, error) {
	var total int64
	err := d.st.InTx(ctx, func(st *store.Store) error {
		lead, err := st.Nodes.TryLead(ctx, rescueLock)
		if err != nil || !lead {
			return err
		}
		orphans, orphansDead, err := st.Outbox.RescueOrphans(ctx, d.cfg.DeadAfter)
		if err != nil {
			return err
		}
		expired, expiredDead, err := st.Outbox.Rescue(ctx)
		if err != nil {
			return err
		}
		if _, err := st.Nodes.ForgetDead(ctx, d.cfg.DeadAfter); err != nil {
			return err
		}
		total = orphans + orphansDead + expired + expiredDead
		if total > 0 {
			d.log.InfoContext(ctx, "rescued stranded deliveries",
				"from_dead_nodes", orphans, "expired_leases", expired, "dead_lettered", orphansDead+expiredDead)
		}
		return nil
	})
	return total, err
}
