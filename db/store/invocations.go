package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/picloud/picloud/db/internal/dbsqlc"
)

// Outcome is how an invocation ended.
type Outcome string

// The outcomes of an invocation.
const (
	OutcomeOK             Outcome = "ok"
	OutcomeError          Outcome = "error"
	OutcomeFuelExhausted  Outcome = "fuel_exhausted"
	OutcomeMemoryExceeded Outcome = "memory_exceeded"
	OutcomeTimeout        Outcome = "timeout"
)

// Invocation is one run of one script version.
type Invocation struct {
	ID              uuid.UUID // chosen by the host before the run (UUIDv7)
	AppID           int64
	ScriptID        int64
	Version         int32
	TriggerKind     Kind // a trigger kind, or KindManual
	TriggerID       int64
	OutboxID        int64 // the delivery, for outbox-driven runs
	Attempt         int32 // 0 on insert means 1
	StartedAt       time.Time
	Duration        time.Duration // stored in microseconds
	FuelUsed        int64
	PeakMemoryBytes int64
	Outcome         Outcome
	Error           string
	ErrorLine       int32 // 0 when the error has no position
	ErrorColumn     int32
	Result          json.RawMessage
	Event           json.RawMessage
	// OutboundRequests is the run's outbound HTTP requests as a JSON array
	// (egress.Record); nil when it made none.
	OutboundRequests json.RawMessage
	Logs             []LogLine // written by InsertBatch; not filled by Get or List
}

// LogLine is one line an invocation logged.
type LogLine struct {
	Seq     int32 // order within the invocation
	Level   string
	Message string
	At      time.Time
}

// InvocationFilter selects invocations for List. AppID is required; every
// other zero field matches everything.
type InvocationFilter struct {
	AppID       int64
	ScriptID    int64
	Outcome     Outcome
	TriggerKind Kind
	Since       time.Time         // started at or after
	Until       time.Time         // started before
	Before      *InvocationCursor // the last row of the previous page
	Limit       int32
}

// InvocationCursor is the position of an invocation in List's order.
type InvocationCursor struct {
	StartedAt time.Time
	ID        uuid.UUID
}

// Invocations stores invocations and their log lines.
type Invocations struct {
	db DBTX
	q  *dbsqlc.Queries
}

// InsertBatch writes invocations and their log lines with COPY, in one
// transaction.
func (s *Invocations) InsertBatch(ctx context.Context, invs []Invocation) error {
	rows := make([]dbsqlc.InvocationInsertBatchParams, len(invs))
	var logs []dbsqlc.InvocationLogInsertBatchParams
	for i, v := range invs {
		attempt := v.Attempt
		if attempt == 0 {
			attempt = 1
		}
		rows[i] = dbsqlc.InvocationInsertBatchParams{
			ID: v.ID, AppID: v.AppID, ScriptID: v.ScriptID, Version: v.Version, TriggerKind: string(v.TriggerKind),
			TriggerID: ptr(v.TriggerID), OutboxID: ptr(v.OutboxID), Attempt: attempt, StartedAt: v.StartedAt,
			DurationUs: v.Duration.Microseconds(), FuelUsed: v.FuelUsed, PeakMemoryBytes: v.PeakMemoryBytes,
			Outcome: string(v.Outcome), Error: ptr(v.Error), ErrorLine: ptr(v.ErrorLine), ErrorColumn: ptr(v.ErrorColumn),
			Result: v.Result, Event: v.Event, OutboundRequests: v.OutboundRequests,
		}
		for _, l := range v.Logs {
			logs = append(logs, dbsqlc.InvocationLogInsertBatchParams{InvocationID: v.ID, Seq: l.Seq, Level: l.Level, Message: l.Message, At: l.At})
		}
	}
	err := inTx(ctx, s.db, func(tx pgx.Tx) error {
		q := s.q.WithTx(tx)
		if _, err := q.InvocationInsertBatch(ctx, rows); err != nil {
			return err
		}
		if len(logs) > 0 {
			if _, err := q.InvocationLogInsertBatch(ctx, logs); err != nil {
				return err
			}
		}
		return nil
	})
	return wrap(err, "insert %d invocations", len(invs))
}

// Get returns one invocation, without its logs.
func (s *Invocations) Get(ctx context.Context, id uuid.UUID) (Invocation, error) {
	r, err := s.q.InvocationGet(ctx, id)
	if err != nil {
		return Invocation{}, wrap(err, "get invocation %s", id)
	}
	return invocationFrom(r), nil
}

// List returns the invocations f selects, newest first.
func (s *Invocations) List(ctx context.Context, f InvocationFilter) ([]Invocation, error) {
	p := dbsqlc.InvocationListParams{
		AppID: f.AppID, ScriptID: ptr(f.ScriptID), Outcome: ptr(string(f.Outcome)),
		TriggerKind: ptr(string(f.TriggerKind)), Since: timePtr(f.Since), Until: timePtr(f.Until), MaxRows: f.Limit,
	}
	if f.Before != nil {
		p.BeforeStartedAt, p.BeforeID = &f.Before.StartedAt, &f.Before.ID
	}
	rows, err := s.q.InvocationList(ctx, p)
	if err != nil {
		return nil, wrap(err, "list invocations of app %d", f.AppID)
	}
	out := make([]Invocation, len(rows))
	for i, r := range rows {
		out[i] = invocationFrom(r)
	}
	return out, nil
}

// Logs returns an invocation's log lines in order.
func (s *Invocations) Logs(ctx context.Context, id uuid.UUID) ([]LogLine, error) {
	rows, err := s.q.InvocationLogList(ctx, id)
	if err != nil {
		return nil, wrap(err, "list the logs of invocation %s", id)
	}
	out := make([]LogLine, len(rows))
	for i, r := range rows {
		out[i] = LogLine{Seq: r.Seq, Level: r.Level, Message: r.Message, At: r.At}
	}
	return out, nil
}

// DeleteBefore deletes up to limit invocations (with their logs) started
// before before, and returns how many: retention, run in batches.
func (s *Invocations) DeleteBefore(ctx context.Context, before time.Time, limit int32) (int64, error) {
	n, err := s.q.InvocationDeleteBefore(ctx, before, limit)
	if err != nil {
		return 0, wrap(err, "delete old invocations")
	}
	return n, nil
}

func invocationFrom(r dbsqlc.Invocation) Invocation {
	return Invocation{
		ID: r.ID, AppID: r.AppID, ScriptID: r.ScriptID, Version: r.Version, TriggerKind: Kind(r.TriggerKind),
		TriggerID: val(r.TriggerID), OutboxID: val(r.OutboxID), Attempt: r.Attempt, StartedAt: r.StartedAt,
		Duration: time.Duration(r.DurationUs) * time.Microsecond, FuelUsed: r.FuelUsed, PeakMemoryBytes: r.PeakMemoryBytes,
		Outcome: Outcome(r.Outcome), Error: val(r.Error), ErrorLine: val(r.ErrorLine), ErrorColumn: val(r.ErrorColumn),
		Result: r.Result, Event: r.Event, OutboundRequests: r.OutboundRequests,
	}
}
