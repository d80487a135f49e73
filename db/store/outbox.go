package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"github.com/picloud/picloud/db/internal/dbsqlc"
	"github.com/picloud/picloud/topic"
)

// DeliveryState is where a delivery is in its life.
type DeliveryState int16

const (
	// StatePending: waiting for run_at, then claimable.
	StatePending DeliveryState = 0
	// StateRunning: claimed by a dispatcher until LeaseUntil.
	StateRunning DeliveryState = 1
	// StateWaiting: a queue message whose queue has no consumer yet.
	StateWaiting DeliveryState = 2
)

// Delivery is a row of the outbox: one event for one trigger.
type Delivery struct {
	ID          int64 // stable across retries
	AppID       int64
	Kind        Kind
	TriggerID   int64 // 0 while waiting
	ScriptID    int64 // 0 while waiting
	Queue       string
	EventID     uuid.UUID // shared by the rows of one fan-out
	DedupeKey   string
	Payload     json.RawMessage
	State       DeliveryState
	Attempt     int32 // 1 during the first run
	MaxAttempts int32
	RunAt       time.Time
	LeaseUntil  time.Time
	ClaimedBy   int64
	LastError   string
	CreatedAt   time.Time
}

// Claimed names one claimed attempt of a delivery, for fenced updates.
type Claimed struct {
	ID      int64
	Attempt int32
}

// DeadLetter is a delivery that exhausted its attempts.
type DeadLetter struct {
	ID          int64 // the delivery's id
	AppID       int64
	Kind        Kind
	TriggerID   int64
	ScriptID    int64
	Queue       string
	EventID     uuid.UUID
	DedupeKey   string
	Payload     json.RawMessage
	Attempt     int32
	MaxAttempts int32
	LastError   string
	CreatedAt   time.Time
	FailedAt    time.Time
}

// DeadCursor is the position after the last dead letter of a page.
type DeadCursor struct {
	FailedAt time.Time
	ID       int64
}

// Outbox stores deliveries and dead letters.
type Outbox struct{ q *dbsqlc.Queries }

// Enqueue adds one delivery for a trigger (a cron tick, a replay) to run at
// runAt. With a dedupeKey, it is a no-op (inserted false) while a delivery
// with the same key for the same trigger is still in the outbox.
func (s *Outbox) Enqueue(ctx context.Context, triggerID int64, eventID uuid.UUID, dedupeKey string, payload json.RawMessage, runAt time.Time) (id int64, inserted bool, err error) {
	id, err = s.q.OutboxInsertForTrigger(ctx, dbsqlc.OutboxInsertForTriggerParams{
		EventID: eventID, DedupeKey: ptr(dedupeKey), Payload: payload, RunAt: runAt, TriggerID: triggerID,
	})
	if err != nil {
		err = wrap(err, "enqueue a delivery for trigger %d", triggerID)
		if dedupeKey != "" && isNotFound(err) {
			// Either the key is taken or the trigger is gone: tell them apart.
			if _, gerr := s.q.TriggerGetByID(ctx, triggerID); gerr == nil {
				return 0, false, nil
			}
		}
		return 0, false, err
	}
	return id, true, nil
}

// Publish fans a message out to the app's enabled pubsub triggers matching
// topic and returns how many deliveries it made (0: no subscriber). With a
// dedupeKey, triggers that still hold a delivery with that key get none.
func (s *Outbox) Publish(ctx context.Context, appID int64, topicName string, eventID uuid.UUID, dedupeKey string, payload json.RawMessage) (int64, error) {
	n, err := s.q.OutboxInsertPubsub(ctx, dbsqlc.OutboxInsertPubsubParams{
		EventID: eventID, DedupeKey: ptr(dedupeKey), Payload: payload, AppID: appID,
		Topic: topicName, Prefixes: topicPrefixes(topicName),
	})
	if err != nil {
		return 0, wrap(err, "publish to %q in app %d", topicName, appID)
	}
	return n, nil
}

// topicPrefixes are the prefix column values a matching trigger can have:
// "" (the pattern "*") and the topic's own prefixes.
func topicPrefixes(t string) []string {
	return append([]string{""}, topic.Prefixes(t)...)
}

// Push adds a message to the app's queue, to run at runAt; waiting is true
// when the queue has no consumer yet.
func (s *Outbox) Push(ctx context.Context, appID int64, queue string, eventID uuid.UUID, payload json.RawMessage, runAt time.Time) (id int64, waiting bool, err error) {
	row, err := s.q.OutboxInsertQueue(ctx, dbsqlc.OutboxInsertQueueParams{
		AppID: appID, QueueName: queue, EventID: eventID, Payload: payload, RunAt: runAt,
	})
	if err != nil {
		return 0, false, wrap(err, "push to queue %q of app %d", queue, appID)
	}
	return row.ID, DeliveryState(row.State) == StateWaiting, nil
}

// KVChanged adds a delivery for each of the app's enabled kv triggers that
// match key and op ("set" or "delete"), and returns how many.
func (s *Outbox) KVChanged(ctx context.Context, appID int64, key, op string, eventID uuid.UUID, payload json.RawMessage) (int64, error) {
	n, err := s.q.OutboxInsertKV(ctx, dbsqlc.OutboxInsertKVParams{EventID: eventID, Payload: payload, AppID: appID, Op: op, Key: key})
	if err != nil {
		return 0, wrap(err, "record the %s of key %q in app %d", op, key, appID)
	}
	return n, nil
}

// Claim claims up to limit due deliveries for dispatcher node, leased for
// lease, oldest first.
func (s *Outbox) Claim(ctx context.Context, node int64, lease time.Duration, limit int32) ([]Delivery, error) {
	rows, err := s.q.OutboxClaim(ctx, dbsqlc.OutboxClaimParams{Node: node, LeaseSeconds: lease.Seconds(), MaxRows: limit})
	if err != nil {
		return nil, wrap(err, "claim deliveries")
	}
	out := make([]Delivery, len(rows))
	for i, r := range rows {
		out[i] = Delivery{
			ID: r.ID, AppID: r.AppID, Kind: Kind(r.Kind), TriggerID: val(r.TriggerID), ScriptID: val(r.ScriptID),
			Queue: val(r.QueueName), EventID: r.EventID, Payload: r.Payload, State: StateRunning,
			Attempt: r.Attempt, MaxAttempts: r.MaxAttempts, RunAt: r.RunAt, ClaimedBy: node, CreatedAt: r.CreatedAt,
		}
	}
	return out, nil
}

// Complete deletes delivered rows that node still holds at those attempts,
// and returns how many it deleted.
func (s *Outbox) Complete(ctx context.Context, node int64, done []Claimed) (int64, error) {
	ids := make([]int64, len(done))
	attempts := make([]int32, len(done))
	for i, c := range done {
		ids[i], attempts[i] = c.ID, c.Attempt
	}
	n, err := s.q.OutboxComplete(ctx, dbsqlc.OutboxCompleteParams{Ids: ids, Attempts: attempts, Node: node})
	if err != nil {
		return 0, wrap(err, "complete %d deliveries", len(done))
	}
	return n, nil
}

// Fail puts a failed attempt back to pending at runAt (the backoff), if
// node still holds it; it reports whether it did.
func (s *Outbox) Fail(ctx context.Context, node int64, c Claimed, runAt time.Time, lastError string) (bool, error) {
	n, err := s.q.OutboxFail(ctx, dbsqlc.OutboxFailParams{RunAt: runAt, LastError: &lastError, ID: c.ID, Node: node, Attempt: c.Attempt})
	if err != nil {
		return false, wrap(err, "fail delivery %d", c.ID)
	}
	return n == 1, nil
}

// FailFinal moves a delivery whose last attempt failed to the dead letters
// (notifying the app's deadletter triggers), if node still holds it; it
// reports whether it did.
func (s *Outbox) FailFinal(ctx context.Context, node int64, c Claimed, lastError string) (bool, error) {
	_, err := s.q.OutboxDeadLetter(ctx, dbsqlc.OutboxDeadLetterParams{ID: c.ID, Node: node, Attempt: c.Attempt, LastError: &lastError})
	if err != nil {
		err = wrap(err, "dead-letter delivery %d", c.ID)
		if isNotFound(err) {
			return false, nil
		}
		return false, err
	}
	return true, nil
}

// Heartbeat extends the leases of the deliveries node still runs.
func (s *Outbox) Heartbeat(ctx context.Context, node int64, ids []int64, lease time.Duration) (int64, error) {
	n, err := s.q.OutboxHeartbeat(ctx, dbsqlc.OutboxHeartbeatParams{LeaseSeconds: lease.Seconds(), Ids: ids, Node: node})
	if err != nil {
		return 0, wrap(err, "extend %d leases", len(ids))
	}
	return n, nil
}

// Rescue returns deliveries whose lease expired to pending (with a backoff)
// and dead-letters those that were on their last attempt.
func (s *Outbox) Rescue(ctx context.Context) (requeued, dead int64, err error) {
	if requeued, err = s.q.OutboxRescue(ctx); err != nil {
		return 0, 0, wrap(err, "rescue expired deliveries")
	}
	if dead, err = s.q.OutboxRescueDead(ctx); err != nil {
		return requeued, 0, wrap(err, "dead-letter expired deliveries")
	}
	return requeued, dead, nil
}

// Release hands back every delivery node holds, without counting the
// attempt: on shutdown, or at boot for a previous run of the same node.
func (s *Outbox) Release(ctx context.Context, node int64) (int64, error) {
	n, err := s.q.OutboxRelease(ctx, node)
	if err != nil {
		return 0, wrap(err, "release the deliveries of node %d", node)
	}
	return n, nil
}

// List returns up to limit of the app's deliveries in id order after
// afterID, all of them or those in state.
func (s *Outbox) List(ctx context.Context, appID int64, state *DeliveryState, afterID int64, limit int32) ([]Delivery, error) {
	var st *int16
	if state != nil {
		v := int16(*state)
		st = &v
	}
	rows, err := s.q.OutboxListByApp(ctx, dbsqlc.OutboxListByAppParams{AppID: appID, AfterID: afterID, State: st, MaxRows: limit})
	if err != nil {
		return nil, wrap(err, "list deliveries of app %d", appID)
	}
	out := make([]Delivery, len(rows))
	for i, r := range rows {
		out[i] = Delivery{
			ID: r.ID, AppID: r.AppID, Kind: Kind(r.Kind), TriggerID: val(r.TriggerID), ScriptID: val(r.ScriptID),
			Queue: val(r.QueueName), EventID: r.EventID, DedupeKey: val(r.DedupeKey), Payload: r.Payload,
			State: DeliveryState(r.State), Attempt: r.Attempt, MaxAttempts: r.MaxAttempts, RunAt: r.RunAt,
			LeaseUntil: val(r.LeaseUntil), ClaimedBy: val(r.ClaimedBy), LastError: val(r.LastError), CreatedAt: r.CreatedAt,
		}
	}
	return out, nil
}

// DeadLetters returns up to limit of the app's dead letters, newest first,
// after the cursor (nil for the first page).
func (s *Outbox) DeadLetters(ctx context.Context, appID int64, after *DeadCursor, limit int32) ([]DeadLetter, error) {
	p := dbsqlc.OutboxDeadListParams{AppID: appID, MaxRows: limit}
	if after != nil {
		p.BeforeFailedAt, p.BeforeID = &after.FailedAt, &after.ID
	}
	rows, err := s.q.OutboxDeadList(ctx, p)
	if err != nil {
		return nil, wrap(err, "list dead letters of app %d", appID)
	}
	out := make([]DeadLetter, len(rows))
	for i, r := range rows {
		out[i] = deadFrom(r)
	}
	return out, nil
}

// DeadLetter returns one of the app's dead letters.
func (s *Outbox) DeadLetter(ctx context.Context, appID, id int64) (DeadLetter, error) {
	r, err := s.q.OutboxDeadGet(ctx, id, appID)
	if err != nil {
		return DeadLetter{}, wrap(err, "get dead letter %d of app %d", id, appID)
	}
	return deadFrom(r), nil
}

// Replay puts a dead letter back in the outbox with its attempts reset and
// its event id kept, and returns the new delivery's id. ErrNotFound when
// there is no such dead letter, or its trigger is gone (queue messages go
// to the queue's current consumer, or wait for one).
func (s *Outbox) Replay(ctx context.Context, appID, id int64) (int64, error) {
	n, err := s.q.OutboxDeadReplay(ctx, id, appID)
	if err != nil {
		return 0, wrap(err, "replay dead letter %d of app %d", id, appID)
	}
	return n, nil
}

// Discard deletes one of the app's dead letters.
func (s *Outbox) Discard(ctx context.Context, appID, id int64) error {
	n, err := s.q.OutboxDeadDelete(ctx, id, appID)
	if err != nil {
		return wrap(err, "discard dead letter %d of app %d", id, appID)
	}
	if n == 0 {
		return notFound("discard dead letter %d of app %d", id, appID)
	}
	return nil
}

// PurgeDead deletes up to limit dead letters that failed before before, and
// returns how many: retention, run in batches.
func (s *Outbox) PurgeDead(ctx context.Context, before time.Time, limit int32) (int64, error) {
	n, err := s.q.OutboxDeadPurge(ctx, before, limit)
	if err != nil {
		return 0, wrap(err, "purge dead letters")
	}
	return n, nil
}

func deadFrom(r dbsqlc.OutboxDead) DeadLetter {
	return DeadLetter{
		ID: r.ID, AppID: r.AppID, Kind: Kind(r.Kind), TriggerID: val(r.TriggerID), ScriptID: val(r.ScriptID),
		Queue: val(r.QueueName), EventID: r.EventID, DedupeKey: val(r.DedupeKey), Payload: r.Payload,
		Attempt: r.Attempt, MaxAttempts: r.MaxAttempts, LastError: val(r.LastError), CreatedAt: r.CreatedAt, FailedAt: r.FailedAt,
	}
}

func isNotFound(err error) bool {
	e, ok := err.(*Error)
	return ok && e.Kind == ErrNotFound
}
