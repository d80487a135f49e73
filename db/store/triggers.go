package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/picloud/picloud/db/internal/dbsqlc"
)

// Kind is a trigger kind, and the kind of an event, delivery or invocation.
type Kind string

// The six trigger kinds, and KindManual for invocations started from the
// API, the CLI or the dashboard.
const (
	KindHTTP       Kind = "http"
	KindCron       Kind = "cron"
	KindPubsub     Kind = "pubsub"
	KindQueue      Kind = "queue"
	KindKV         Kind = "kv"
	KindDeadletter Kind = "deadletter"
	KindManual     Kind = "manual"
)

// Trigger binds an event source to a script. Exactly one of the details
// fields is set: the one of its Kind.
type Trigger struct {
	ID          int64
	AppID       int64
	ScriptID    int64 // a script of the same app
	Kind        Kind
	Enabled     bool
	MaxAttempts int32 // deliveries before dead-lettering; 0 on insert means 10
	CreatedAt   time.Time
	UpdatedAt   time.Time

	HTTP       *HTTPTrigger
	Cron       *CronTrigger
	Pubsub     *PubsubTrigger
	Queue      *QueueTrigger
	KV         *KVTrigger
	Deadletter *DeadletterTrigger
}

// HTTPTrigger routes Method + Path under /{app} on the public listener.
type HTTPTrigger struct {
	Method string // GET, POST, … or ANY
	Path   string // pattern: /users/:id, /files/*rest
}

// CronTrigger fires on a schedule.
type CronTrigger struct {
	Schedule  string    // 5 fields, optional seconds, @every 30s, @hourly…
	TimeZone  string    // IANA name; "" on insert means UTC
	NextRunAt time.Time // the durable cursor; zero when not scheduled
}

// PubsubTrigger fires on messages published to topics matching Pattern: an
// exact topic, "<prefix>.*" or "*".
type PubsubTrigger struct{ Pattern string }

// QueueTrigger is the one consumer of the app's queue Queue.
type QueueTrigger struct{ Queue string }

// KVTrigger fires when a key matching KeyPattern (exact, "prefix*" or "*")
// is set or deleted.
type KVTrigger struct {
	KeyPattern string
	Ops        []string // "set", "delete"; empty on insert means both
}

// DeadletterTrigger fires when a delivery of the app exhausts its attempts.
type DeadletterTrigger struct {
	SourceKind Kind // only deliveries of this kind; "" for all
}

// HTTPRoute is an enabled HTTP trigger as the public router needs it.
type HTTPRoute struct {
	TriggerID int64
	ScriptID  int64
	Method    string
	Path      string
}

// CronDue is a cron trigger whose tick is due.
type CronDue struct {
	TriggerID int64
	AppID     int64
	ScriptID  int64
	Schedule  string
	TimeZone  string
	Due       time.Time
}

// Triggers stores triggers with their per-kind details.
type Triggers struct {
	db DBTX
	q  *dbsqlc.Queries
}

// Insert creates t with the details of its kind, in one transaction, and
// returns it as stored. ErrInvalid when the details do not match the kind,
// ErrConflict for a second consumer of a queue or a second route with the
// same method and path, ErrNotFound when the script is not the app's.
// Creating a queue trigger binds the messages waiting in its queue.
func (s *Triggers) Insert(ctx context.Context, t Trigger) (Trigger, error) {
	if err := t.checkDetails(); err != nil {
		return Trigger{}, err
	}
	if t.MaxAttempts == 0 {
		t.MaxAttempts = 10
	}
	var id int64
	err := inTx(ctx, s.db, func(tx pgx.Tx) error {
		q := s.q.WithTx(tx)
		row, err := q.TriggerInsert(ctx, dbsqlc.TriggerInsertParams{
			AppID: t.AppID, ScriptID: t.ScriptID, Kind: string(t.Kind), Enabled: t.Enabled, MaxAttempts: t.MaxAttempts,
		})
		if err != nil {
			return err
		}
		id = row.ID
		switch t.Kind {
		case KindHTTP:
			return q.TriggerHTTPInsert(ctx, dbsqlc.TriggerHTTPInsertParams{TriggerID: id, AppID: t.AppID, Method: t.HTTP.Method, Path: t.HTTP.Path})
		case KindCron:
			tz := t.Cron.TimeZone
			if tz == "" {
				tz = "UTC"
			}
			return q.TriggerCronInsert(ctx, dbsqlc.TriggerCronInsertParams{
				TriggerID: id, AppID: t.AppID, Schedule: t.Cron.Schedule, TimeZone: tz, NextRunAt: timePtr(t.Cron.NextRunAt),
			})
		case KindPubsub:
			return q.TriggerPubsubInsert(ctx, dbsqlc.TriggerPubsubInsertParams{TriggerID: id, AppID: t.AppID, Pattern: t.Pubsub.Pattern})
		case KindQueue:
			return q.TriggerQueueInsert(ctx, dbsqlc.TriggerQueueInsertParams{TriggerID: id, AppID: t.AppID, QueueName: t.Queue.Queue})
		case KindKV:
			ops := t.KV.Ops
			if len(ops) == 0 {
				ops = []string{"set", "delete"}
			}
			return q.TriggerKVInsert(ctx, dbsqlc.TriggerKVInsertParams{TriggerID: id, AppID: t.AppID, KeyPattern: t.KV.KeyPattern, Ops: ops})
		default: // KindDeadletter, by checkDetails
			return q.TriggerDeadletterInsert(ctx, dbsqlc.TriggerDeadletterInsertParams{
				TriggerID: id, AppID: t.AppID, SourceKind: ptr(string(t.Deadletter.SourceKind)),
			})
		}
	})
	if err != nil {
		return Trigger{}, wrap(err, "insert %s trigger in app %d", t.Kind, t.AppID)
	}
	return s.Get(ctx, id)
}

func (t Trigger) checkDetails() error {
	set := map[Kind]bool{
		KindHTTP: t.HTTP != nil, KindCron: t.Cron != nil, KindPubsub: t.Pubsub != nil,
		KindQueue: t.Queue != nil, KindKV: t.KV != nil, KindDeadletter: t.Deadletter != nil,
	}
	n := 0
	for _, ok := range set {
		if ok {
			n++
		}
	}
	if !set[t.Kind] || n != 1 {
		return &Error{Op: fmt.Sprintf("insert %q trigger", t.Kind), Kind: ErrInvalid,
			Err: fmt.Errorf("a trigger needs exactly the details of its kind")}
	}
	return nil
}

// Get returns the trigger with the given id.
func (s *Triggers) Get(ctx context.Context, id int64) (Trigger, error) {
	row, err := s.q.TriggerGetByID(ctx, id)
	if err != nil {
		return Trigger{}, wrap(err, "get trigger %d", id)
	}
	return triggerFrom(row), nil
}

// List returns the app's triggers of kind ("" for all), oldest first.
func (s *Triggers) List(ctx context.Context, appID int64, kind Kind) ([]Trigger, error) {
	rows, err := s.q.TriggerListByApp(ctx, appID, ptr(string(kind)))
	if err != nil {
		return nil, wrap(err, "list triggers of app %d", appID)
	}
	return triggersFrom(rows), nil
}

// ListAfter returns up to limit of the app's triggers of kind ("" for all)
// in id order after the id afterID (0 for the first page).
func (s *Triggers) ListAfter(ctx context.Context, appID int64, kind Kind, afterID int64, limit int32) ([]Trigger, error) {
	rows, err := s.q.TriggerListByAppAfter(ctx, dbsqlc.TriggerListByAppAfterParams{
		AppID: appID, Kind: ptr(string(kind)), AfterID: afterID, MaxRows: limit,
	})
	if err != nil {
		return nil, wrap(err, "list triggers of app %d", appID)
	}
	return triggersFrom(rows), nil
}

// ListByScript returns the script's triggers, oldest first.
func (s *Triggers) ListByScript(ctx context.Context, scriptID int64) ([]Trigger, error) {
	rows, err := s.q.TriggerListByScript(ctx, scriptID)
	if err != nil {
		return nil, wrap(err, "list triggers of script %d", scriptID)
	}
	return triggersFrom(rows), nil
}

// QueueConsumer returns the app's trigger consuming queue.
func (s *Triggers) QueueConsumer(ctx context.Context, appID int64, queue string) (Trigger, error) {
	row, err := s.q.TriggerQueueGetByName(ctx, appID, queue)
	if err != nil {
		return Trigger{}, wrap(err, "get the consumer of queue %q in app %d", queue, appID)
	}
	return triggerFrom(row), nil
}

// SetEnabled enables or disables a trigger.
func (s *Triggers) SetEnabled(ctx context.Context, id int64, enabled bool) error {
	n, err := s.q.TriggerSetEnabled(ctx, enabled, id)
	if err != nil {
		return wrap(err, "enable trigger %d", id)
	}
	if n == 0 {
		return notFound("enable trigger %d", id)
	}
	return nil
}

// Delete deletes a trigger and its pending deliveries; a queue trigger's
// messages go back to waiting for a consumer.
func (s *Triggers) Delete(ctx context.Context, id int64) error {
	n, err := s.q.TriggerDelete(ctx, id)
	if err != nil {
		return wrap(err, "delete trigger %d", id)
	}
	if n == 0 {
		return notFound("delete trigger %d", id)
	}
	return nil
}

// HTTPRoutes returns the app's enabled HTTP routes.
func (s *Triggers) HTTPRoutes(ctx context.Context, appID int64) ([]HTTPRoute, error) {
	rows, err := s.q.TriggerHTTPListRoutes(ctx, appID)
	if err != nil {
		return nil, wrap(err, "list HTTP routes of app %d", appID)
	}
	out := make([]HTTPRoute, len(rows))
	for i, r := range rows {
		out[i] = HTTPRoute{TriggerID: r.TriggerID, ScriptID: r.ScriptID, Method: r.Method, Path: r.Path}
	}
	return out, nil
}

// CronDue returns up to limit enabled cron triggers due at now, most
// overdue first.
func (s *Triggers) CronDue(ctx context.Context, now time.Time, limit int32) ([]CronDue, error) {
	rows, err := s.q.TriggerCronListDue(ctx, now, limit)
	if err != nil {
		return nil, wrap(err, "list due cron triggers")
	}
	out := make([]CronDue, len(rows))
	for i, r := range rows {
		out[i] = CronDue{TriggerID: r.TriggerID, AppID: r.AppID, ScriptID: r.ScriptID,
			Schedule: r.Schedule, TimeZone: r.TimeZone, Due: val(r.NextRunAt)}
	}
	return out, nil
}

// CronAdvance moves a cron trigger's cursor from due to next, and reports
// whether this caller did it: only that caller may enqueue the tick, in
// the same transaction.
func (s *Triggers) CronAdvance(ctx context.Context, triggerID int64, due, next time.Time) (bool, error) {
	n, err := s.q.TriggerCronAdvance(ctx, dbsqlc.TriggerCronAdvanceParams{NextRunAt: next, TriggerID: triggerID, Due: due})
	if err != nil {
		return false, wrap(err, "advance cron trigger %d", triggerID)
	}
	return n == 1, nil
}

// CronSetNext sets a cron trigger's cursor (zero: unscheduled) without
// comparing: on creation, enabling or a schedule change.
func (s *Triggers) CronSetNext(ctx context.Context, triggerID int64, next time.Time) error {
	n, err := s.q.TriggerCronSetNext(ctx, timePtr(next), triggerID)
	if err != nil {
		return wrap(err, "schedule cron trigger %d", triggerID)
	}
	if n == 0 {
		return notFound("schedule cron trigger %d", triggerID)
	}
	return nil
}

func triggersFrom(rows []dbsqlc.TriggerDetail) []Trigger {
	out := make([]Trigger, len(rows))
	for i, r := range rows {
		out[i] = triggerFrom(r)
	}
	return out
}

func triggerFrom(r dbsqlc.TriggerDetail) Trigger {
	t := Trigger{
		ID: r.ID, AppID: r.AppID, ScriptID: r.ScriptID, Kind: Kind(r.Kind), Enabled: r.Enabled,
		MaxAttempts: r.MaxAttempts, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
	switch t.Kind {
	case KindHTTP:
		t.HTTP = &HTTPTrigger{Method: val(r.HttpMethod), Path: val(r.HttpPath)}
	case KindCron:
		t.Cron = &CronTrigger{Schedule: val(r.CronSchedule), TimeZone: val(r.CronTimeZone), NextRunAt: val(r.CronNextRunAt)}
	case KindPubsub:
		t.Pubsub = &PubsubTrigger{Pattern: val(r.PubsubPattern)}
	case KindQueue:
		t.Queue = &QueueTrigger{Queue: val(r.QueueName)}
	case KindKV:
		t.KV = &KVTrigger{KeyPattern: val(r.KvKeyPattern), Ops: r.KvOps}
	case KindDeadletter:
		t.Deadletter = &DeadletterTrigger{SourceKind: Kind(val(r.DeadletterSourceKind))}
	}
	return t
}
