package store

import (
	"context"

	"github.com/google/uuid"

	"github.com/picloud/picloud/db/internal/dbsqlc"
)

// InvocationsChannel is the LISTEN/NOTIFY channel on which each node's
// recorder announces the invocations it has just written, so that the
// other nodes show them in their live tails (package record says the
// payload's format).
const InvocationsChannel = "picloud_invocations"

// NotifyInvocations announces payload on InvocationsChannel.
func (s *Store) NotifyInvocations(ctx context.Context, payload string) error {
	return wrap(s.q.Notify(ctx, InvocationsChannel, payload), "notify %s", InvocationsChannel)
}

// NamedInvocation is an invocation with its logs, its app's slug and its
// script's name.
type NamedInvocation struct {
	Invocation
	App    string
	Script string
}

// Named returns the listed invocations that exist, with their logs and
// names, oldest first.
func (s *Invocations) Named(ctx context.Context, ids []uuid.UUID) ([]NamedInvocation, error) {
	rows, err := s.q.InvocationListNamed(ctx, ids)
	if err != nil {
		return nil, wrap(err, "read %d invocations", len(ids))
	}
	if len(rows) == 0 {
		return nil, nil
	}
	logs, err := s.q.InvocationLogListMany(ctx, ids)
	if err != nil {
		return nil, wrap(err, "read the logs of %d invocations", len(ids))
	}
	byID := make(map[uuid.UUID][]LogLine, len(rows))
	for _, l := range logs {
		byID[l.InvocationID] = append(byID[l.InvocationID], LogLine{Seq: l.Seq, Level: l.Level, Message: l.Message, At: l.At})
	}
	out := make([]NamedInvocation, len(rows))
	for i, r := range rows {
		inv := invocationFrom(dbsqlc.Invocation{
			ID: r.ID, AppID: r.AppID, ScriptID: r.ScriptID, Version: r.Version, TriggerKind: r.TriggerKind,
			TriggerID: r.TriggerID, OutboxID: r.OutboxID, Attempt: r.Attempt, StartedAt: r.StartedAt,
			DurationUs: r.DurationUs, FuelUsed: r.FuelUsed, PeakMemoryBytes: r.PeakMemoryBytes, Outcome: r.Outcome,
			Error: r.Error, ErrorLine: r.ErrorLine, ErrorColumn: r.ErrorColumn, Result: r.Result, Event: r.Event,
			OutboundRequests: r.OutboundRequests,
		})
		inv.Logs = byID[r.ID]
		out[i] = NamedInvocation{Invocation: inv, App: r.AppSlug, Script: r.ScriptName}
	}
	return out, nil
}
