package store

import (
	"context"
	"math"
	"time"
)

// MinuteStats is one minute of an app's invocations.
type MinuteStats struct {
	Minute time.Time // the minute's start
	// Outcomes counts the invocations of the minute by outcome; outcomes
	// that did not occur are absent.
	Outcomes map[Outcome]int64
	P50, P99 time.Duration // of the durations
}

// WindowStats sums up an app's invocations over a window.
type WindowStats struct {
	Invocations, Failed int64
	P50, P99            time.Duration
}

// Stats returns an app's invocations started at or after since, per minute
// (only the minutes that had any, oldest first) and in total, aggregated by
// the database.
func (s *Invocations) Stats(ctx context.Context, appID int64, since time.Time) ([]MinuteStats, WindowStats, error) {
	rows, err := s.q.InvocationStatsPerMinute(ctx, appID, since)
	if err != nil {
		return nil, WindowStats{}, wrap(err, "invocation stats of app %d", appID)
	}
	out := make([]MinuteStats, len(rows))
	for i, r := range rows {
		m := MinuteStats{Minute: r.Minute, Outcomes: map[Outcome]int64{}, P50: micros(r.P50Us), P99: micros(r.P99Us)}
		for o, n := range map[Outcome]int64{
			OutcomeOK: r.Ok, OutcomeError: r.Error, OutcomeFuelExhausted: r.FuelExhausted,
			OutcomeMemoryExceeded: r.MemoryExceeded, OutcomeTimeout: r.Timeout,
		} {
			if n > 0 {
				m.Outcomes[o] = n
			}
		}
		out[i] = m
	}
	t, err := s.q.InvocationStatsTotal(ctx, appID, since)
	if err != nil {
		return nil, WindowStats{}, wrap(err, "invocation totals of app %d", appID)
	}
	return out, WindowStats{Invocations: t.Invocations, Failed: t.Failed, P50: micros(t.P50Us), P99: micros(t.P99Us)}, nil
}

// micros turns the database's fractional microseconds into a Duration,
// rounded to the microsecond the durations are stored in.
func micros(us float64) time.Duration { return time.Duration(math.Round(us)) * time.Microsecond }

// Backlog counts an app's deliveries as they are now.
type Backlog struct {
	Pending  int64 // due or scheduled, not attempted yet
	Retrying int64 // failed at least once, waiting for the next attempt
	Running  int64 // claimed by a dispatcher
	Waiting  int64 // queue messages whose queue has no consumer trigger
	Dead     int64 // exhausted their attempts (outbox_dead)
}

// Backlog returns the app's delivery counts.
func (o *Outbox) Backlog(ctx context.Context, appID int64) (Backlog, error) {
	r, err := o.q.OutboxBacklog(ctx, appID)
	if err != nil {
		return Backlog{}, wrap(err, "delivery backlog of app %d", appID)
	}
	return Backlog{Pending: r.Pending, Retrying: r.Retrying, Running: r.Running, Waiting: r.Waiting, Dead: r.Dead}, nil
}
