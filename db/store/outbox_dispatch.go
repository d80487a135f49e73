package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"github.com/picloud/picloud/db/internal/dbsqlc"
)

// KVChange is one KV write as a change event: Op is "set" or "delete",
// Payload the event's ctx.event.kv object.
type KVChange struct {
	Key     string
	Op      string
	EventID uuid.UUID
	Payload json.RawMessage
}

// KVChangedMany adds, for each change, a delivery for each of the app's
// enabled kv triggers matching its key and op, in one statement, and
// returns how many deliveries it made.
func (s *Outbox) KVChangedMany(ctx context.Context, appID int64, changes []KVChange) (int64, error) {
	p := dbsqlc.OutboxInsertKVManyParams{
		AppID:    appID,
		Keys:     make([]string, len(changes)),
		Ops:      make([]string, len(changes)),
		EventIds: make([]uuid.UUID, len(changes)),
		Payloads: make([]json.RawMessage, len(changes)),
	}
	for i, c := range changes {
		p.Keys[i], p.Ops[i], p.EventIds[i], p.Payloads[i] = c.Key, c.Op, c.EventID, c.Payload
	}
	n, err := s.q.OutboxInsertKVMany(ctx, p)
	if err != nil {
		return 0, wrap(err, "record %d KV changes in app %d", len(changes), appID)
	}
	return n, nil
}

// NextRunAt returns when the earliest pending delivery becomes due; ok is
// false when nothing is pending.
func (s *Outbox) NextRunAt(ctx context.Context) (next time.Time, ok bool, err error) {
	r, err := s.q.OutboxNextRunAt(ctx)
	if err != nil {
		return time.Time{}, false, wrap(err, "read the next due delivery")
	}
	return r.Next, r.Found, nil
}

// RescueOrphans returns the running deliveries of dispatcher nodes not
// seen within deadAfter (or unregistered) to pending after their backoff,
// and dead-letters those that were on their last attempt.
func (s *Outbox) RescueOrphans(ctx context.Context, deadAfter time.Duration) (requeued, dead int64, err error) {
	if requeued, err = s.q.OutboxRescueOrphans(ctx, deadAfter.Seconds()); err != nil {
		return 0, 0, wrap(err, "rescue the deliveries of dead dispatchers")
	}
	if dead, err = s.q.OutboxRescueOrphansDead(ctx, deadAfter.Seconds()); err != nil {
		return requeued, 0, wrap(err, "dead-letter the deliveries of dead dispatchers")
	}
	return requeued, dead, nil
}

// Get returns one of the app's deliveries.
func (s *Outbox) Get(ctx context.Context, appID, id int64) (Delivery, error) {
	r, err := s.q.OutboxGet(ctx, id, appID)
	if err != nil {
		return Delivery{}, wrap(err, "get delivery %d of app %d", id, appID)
	}
	return deliveryFrom(r), nil
}

// ListRetrying returns up to limit of the app's pending deliveries that
// failed at least once, in id order after afterID.
func (s *Outbox) ListRetrying(ctx context.Context, appID, afterID int64, limit int32) ([]Delivery, error) {
	rows, err := s.q.OutboxListRetrying(ctx, dbsqlc.OutboxListRetryingParams{AppID: appID, AfterID: afterID, MaxRows: limit})
	if err != nil {
		return nil, wrap(err, "list retrying deliveries of app %d", appID)
	}
	out := make([]Delivery, len(rows))
	for i, r := range rows {
		out[i] = deliveryFrom(r)
	}
	return out, nil
}

// RunNow makes the app's pending deliveries among ids due at once, and
// returns how many it changed.
func (s *Outbox) RunNow(ctx context.Context, appID int64, ids []int64) (int64, error) {
	n, err := s.q.OutboxRunNow(ctx, appID, ids)
	if err != nil {
		return 0, wrap(err, "run %d deliveries of app %d now", len(ids), appID)
	}
	return n, nil
}

// DiscardPending deletes one of the app's deliveries that is not running
// (pending or waiting); ErrNotFound when there is none such.
func (s *Outbox) DiscardPending(ctx context.Context, appID, id int64) error {
	n, err := s.q.OutboxDiscard(ctx, id, appID)
	if err != nil {
		return wrap(err, "discard delivery %d of app %d", id, appID)
	}
	if n == 0 {
		return notFound("discard delivery %d of app %d", id, appID)
	}
	return nil
}

func deliveryFrom(r dbsqlc.Outbox) Delivery {
	return Delivery{
		ID: r.ID, AppID: r.AppID, Kind: Kind(r.Kind), TriggerID: val(r.TriggerID), ScriptID: val(r.ScriptID),
		Queue: val(r.QueueName), EventID: r.EventID, DedupeKey: val(r.DedupeKey), Payload: r.Payload,
		State: DeliveryState(r.State), Attempt: r.Attempt, MaxAttempts: r.MaxAttempts, RunAt: r.RunAt,
		LeaseUntil: val(r.LeaseUntil), ClaimedBy: val(r.ClaimedBy), LastError: val(r.LastError), CreatedAt: r.CreatedAt,
	}
}

// CronNextDue returns the earliest scheduled tick of any cron trigger; ok
// is false when none is scheduled.
func (s *Triggers) CronNextDue(ctx context.Context) (next time.Time, ok bool, err error) {
	r, err := s.q.TriggerCronNextDue(ctx)
	if err != nil {
		return time.Time{}, false, wrap(err, "read the next cron tick")
	}
	return r.Next, r.Found, nil
}

// PushAfter adds a message to the app's queue, deliverable delay after the
// database's clock says now (nodes' clocks do not matter). It returns the
// delivery's id, whether it waits for a consumer, and when it is due.
func (s *Outbox) PushAfter(ctx context.Context, appID int64, queue string, eventID uuid.UUID, payload json.RawMessage, delay time.Duration) (id int64, waiting bool, runAt time.Time, err error) {
	row, err := s.q.OutboxInsertQueueAfter(ctx, dbsqlc.OutboxInsertQueueAfterParams{
		AppID: appID, QueueName: queue, EventID: eventID, Payload: payload, DelaySeconds: delay.Seconds(),
	})
	if err != nil {
		return 0, false, time.Time{}, wrap(err, "push to queue %q of app %d", queue, appID)
	}
	return row.ID, DeliveryState(row.State) == StateWaiting, row.RunAt, nil
}
