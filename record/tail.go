package record

import (
	"time"

	"github.com/google/uuid"

	"github.com/picloud/picloud/db/store"
)

// Summary is what the live tail shows of one invocation.
type Summary struct {
	ID          uuid.UUID     `json:"id"`
	AppID       int64         `json:"app_id"`
	App         string        `json:"app"`
	ScriptID    int64         `json:"script_id"`
	Script      string        `json:"script"`
	Version     int32         `json:"version"`
	TriggerKind store.Kind    `json:"trigger_kind"`
	TriggerID   int64         `json:"trigger_id,omitempty"`
	Attempt     int32         `json:"attempt,omitempty"`
	StartedAt   time.Time     `json:"started_at"`
	DurationUS  int64         `json:"duration_us"`
	FuelUsed    int64         `json:"fuel_used"`
	PeakMemory  int64         `json:"peak_memory_bytes"`
	Outcome     store.Outcome `json:"outcome"`
	Error       string        `json:"error,omitempty"`
	ErrorLine   int32         `json:"error_line,omitempty"`
	ErrorColumn int32         `json:"error_column,omitempty"`
	Logs        []TailLine    `json:"logs"`
}

// TailLine is one log line of a Summary.
type TailLine struct {
	Level   string    `json:"level"`
	Message string    `json:"message"`
	At      time.Time `json:"at"`
}

// SummaryOf summarizes inv.
func SummaryOf(inv Invocation) Summary {
	s := Summary{
		ID: inv.ID, AppID: inv.AppID, App: inv.App, ScriptID: inv.ScriptID, Script: inv.Script,
		Version: inv.Version, TriggerKind: inv.TriggerKind, TriggerID: inv.TriggerID, Attempt: inv.Attempt,
		StartedAt: inv.StartedAt, DurationUS: inv.Duration.Microseconds(), FuelUsed: inv.FuelUsed,
		PeakMemory: inv.PeakMemoryBytes, Outcome: inv.Outcome, Error: inv.Error,
		ErrorLine: inv.ErrorLine, ErrorColumn: inv.ErrorColumn,
		Logs: make([]TailLine, len(inv.Logs)),
	}
	for i, l := range inv.Logs {
		s.Logs[i] = TailLine{Level: l.Level, Message: l.Message, At: l.At}
	}
	return s
}

// AllApps subscribes to the invocations of every app.
const AllApps int64 = 0

type subscriber struct {
	ch chan Summary
}

// Subscribe returns a channel that receives a Summary of each invocation of
// app appID (or of every app, for AllApps) recorded from now on, and the
// function that ends the subscription and closes the channel. A subscriber
// that does not keep up misses summaries rather than slowing invocations
// down. Close closes every channel.
func (r *Recorder) Subscribe(appID int64) (<-chan Summary, func()) {
	s := &subscriber{ch: make(chan Summary, r.cfg.TailBuffer)}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		close(s.ch)
		return s.ch, func() {}
	}
	if r.subs[appID] == nil {
		r.subs[appID] = map[*subscriber]struct{}{}
	}
	r.subs[appID][s] = struct{}{}
	return s.ch, func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		if _, ok := r.subs[appID][s]; !ok {
			return // already ended, or closed by Close
		}
		delete(r.subs[appID], s)
		if len(r.subs[appID]) == 0 {
			delete(r.subs, appID)
		}
		close(s.ch)
	}
}

// publish shows inv to its subscribers. r.mu is held.
func (r *Recorder) publish(inv *Invocation) {
	if len(r.subs) == 0 {
		return
	}
	app, all := r.subs[inv.AppID], r.subs[AllApps]
	if len(app) == 0 && len(all) == 0 {
		return
	}
	sum := SummaryOf(*inv)
	for _, subs := range [...]map[*subscriber]struct{}{app, all} {
		for s := range subs {
			select {
			case s.ch <- sum:
			default:
				r.stats.TailDrops++
			}
		}
	}
}
