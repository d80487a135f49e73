package store

import (
	"context"
	"strconv"
	"time"

	"github.com/picloud/picloud/db/internal/dbsqlc"
)

// Nodes registers dispatcher processes and their heartbeats. A node's id is
// what the outbox's claimed_by holds while it runs a delivery.
type Nodes struct{ q *dbsqlc.Queries }

// Register adds a node named name and returns its id.
func (s *Nodes) Register(ctx context.Context, name string) (int64, error) {
	id, err := s.q.DispatcherNodeInsert(ctx, name)
	if err != nil {
		return 0, wrap(err, "register dispatcher node %q", name)
	}
	return id, nil
}

// Beat marks node id alive (registering it again under name if a rescue
// forgot it) and returns how many other nodes were seen within deadAfter.
func (s *Nodes) Beat(ctx context.Context, id int64, name string, deadAfter time.Duration) (others int, err error) {
	r, err := s.q.DispatcherNodeBeat(ctx, dbsqlc.DispatcherNodeBeatParams{ID: id, Name: name, DeadAfterSeconds: deadAfter.Seconds()})
	if err != nil {
		return 0, wrap(err, "heartbeat of dispatcher node %d", id)
	}
	return int(r.Others), nil
}

// Unregister removes a node that stopped cleanly.
func (s *Nodes) Unregister(ctx context.Context, id int64) error {
	if _, err := s.q.DispatcherNodeDelete(ctx, id); err != nil {
		return wrap(err, "unregister dispatcher node %d", id)
	}
	return nil
}

// ForgetDead removes the nodes not seen within deadAfter and returns how
// many. Rescue their deliveries first (Outbox.RescueOrphans).
func (s *Nodes) ForgetDead(ctx context.Context, deadAfter time.Duration) (int64, error) {
	n, err := s.q.DispatcherNodeDeleteDead(ctx, deadAfter.Seconds())
	if err != nil {
		return 0, wrap(err, "forget dead dispatcher nodes")
	}
	return n, nil
}

// TryLead takes the transaction-scoped advisory lock key if no other
// session holds it, and reports whether it did: the node that gets it does
// a periodic chore this time. Call it inside InTx; the lock ends with the
// transaction.
func (s *Nodes) TryLead(ctx context.Context, key int64) (bool, error) {
	ok, err := s.q.LeaderTryLock(ctx, key)
	if err != nil {
		return false, wrap(err, "take advisory lock %d", key)
	}
	return ok, nil
}

// OutboxChannel is the LISTEN/NOTIFY channel on which a node announces that
// it committed deliveries other nodes may claim. The payload is the sending
// node's id in decimal, so a node ignores its own announcements. Nodes
// debounce it (at most one per node per few milliseconds) and send it
// outside the transactions that wrote the rows.
const OutboxChannel = "picloud_outbox"

// NotifyOutbox announces on OutboxChannel that node committed deliveries.
func (s *Store) NotifyOutbox(ctx context.Context, node int64) error {
	return wrap(s.q.Notify(ctx, OutboxChannel, strconv.FormatInt(node, 10)), "notify %s", OutboxChannel)
}
