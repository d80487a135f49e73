package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/picloud/picloud/db/store"
	"github.com/picloud/picloud/record"
)

// Invocations: the history (filtered, newest first, paged), one invocation
// with its logs, and the live tail over Server-Sent Events.

// Tail is the live feed of recorded invocations; *record.Recorder is one.
// Subscribe returns the app's invocations as they are recorded and the
// function that ends the subscription (and closes the channel).
type Tail interface {
	Subscribe(appID int64) (<-chan record.Summary, func())
}

var _ Tail = (*record.Recorder)(nil)

// invocationJSON is one invocation. Lists carry the summary; one
// invocation's GET adds its event, result and logs; the live tail adds the
// logs.
type invocationJSON struct {
	ID              uuid.UUID       `json:"id"`
	Script          string          `json:"script"`
	Version         int32           `json:"version"`
	TriggerKind     store.Kind      `json:"trigger_kind"`
	TriggerID       *int64          `json:"trigger_id"`
	Attempt         int32           `json:"attempt"`
	StartedAt       time.Time       `json:"started_at"`
	DurationUS      int64           `json:"duration_us"`
	FuelUsed        int64           `json:"fuel_used"`
	PeakMemoryBytes int64           `json:"peak_memory_bytes"`
	Outcome         store.Outcome   `json:"outcome"`
	Error           *runErrorJSON   `json:"error"`
	OutboxID        *int64          `json:"outbox_id,omitempty"`
	Event           json.RawMessage `json:"event,omitempty"`
	Result          json.RawMessage `json:"result,omitempty"`
	Logs            []logJSON       `json:"logs,omitempty"`
	// OutboundRequests are the run's outbound HTTP requests (method, host,
	// status, duration_ms, bytes, error), in one invocation's GET.
	OutboundRequests json.RawMessage `json:"outbound_requests,omitempty"`
}

// runErrorJSON is a recorded invocation's error.
type runErrorJSON struct {
	// Message is the full rendering: position, message, call stack.
	Message string `json:"message"`
	Line    int32  `json:"line,omitempty"`
	Column  int32  `json:"column,omitempty"`
}

type logJSON struct {
	Seq     int32     `json:"seq"`
	Level   string    `json:"level"`
	Message string    `json:"message"`
	At      time.Time `json:"at"`
}

func optional(v int64) *int64 {
	if v == 0 {
		return nil
	}
	return &v
}

func runError(msg string, line, col int32) *runErrorJSON {
	if msg == "" {
		return nil
	}
	return &runErrorJSON{Message: msg, Line: line, Column: col}
}

func invocationFrom(inv store.Invocation, script string) invocationJSON {
	return invocationJSON{
		ID: inv.ID, Script: script, Version: inv.Version, TriggerKind: inv.TriggerKind,
		TriggerID: optional(inv.TriggerID), Attempt: max(inv.Attempt, 1), StartedAt: inv.StartedAt,
		DurationUS: inv.Duration.Microseconds(), FuelUsed: inv.FuelUsed, PeakMemoryBytes: inv.PeakMemoryBytes,
		Outcome: inv.Outcome, Error: runError(inv.Error, inv.ErrorLine, inv.ErrorColumn),
	}
}

func invocationFromSummary(s record.Summary) invocationJSON {
	out := invocationJSON{
		ID: s.ID, Script: s.Script, Version: s.Version, TriggerKind: s.TriggerKind,
		TriggerID: optional(s.TriggerID), Attempt: max(s.Attempt, 1), StartedAt: s.StartedAt,
		DurationUS: s.DurationUS, FuelUsed: s.FuelUsed, PeakMemoryBytes: s.PeakMemory,
		Outcome: s.Outcome, Error: runError(s.Error, s.ErrorLine, s.ErrorColumn),
		Logs: make([]logJSON, len(s.Logs)),
	}
	for i, l := range s.Logs {
		out.Logs[i] = logJSON{Seq: int32(i), Level: l.Level, Message: l.Message, At: l.At}
	}
	return out
}

var (
	outcomes     = []store.Outcome{store.OutcomeOK, store.OutcomeError, store.OutcomeFuelExhausted, store.OutcomeMemoryExceeded, store.OutcomeTimeout}
	triggerKinds = []store.Kind{store.KindHTTP, store.KindCron, store.KindPubsub, store.KindQueue, store.KindKV, store.KindDeadletter}
)

// timeParam reads an RFC 3339 time, or a duration meaning that long ago
// ("15m": since a quarter of an hour ago).
func (s *Server) timeParam(c *gin.Context, name string) (time.Time, error) {
	v := c.Query(name)
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(v); err == nil && d >= 0 {
		return s.cfg.Now().Add(-d), nil
	}
	return time.Time{}, invalidParam(name, "want an RFC 3339 time (2030-01-02T15:04:05Z) or a duration ago (15m, 24h), got %q", v)
}

// scriptNames maps the app's script ids to names.
func (s *Server) scriptNames(c *gin.Context, appID int64) (map[int64]string, error) {
	scripts, err := s.cfg.Store.Scripts.List(c.Request.Context(), appID)
	if err != nil {
		return nil, err
	}
	names := make(map[int64]string, len(scripts))
	for _, sc := range scripts {
		names[sc.ID] = sc.Name
	}
	return names, nil
}

// invocationFilter reads the list's filters: ?script=, ?outcome=,
// ?trigger_kind=, ?since=, ?until=.
func (s *Server) invocationFilter(c *gin.Context, app store.App) (store.InvocationFilter, error) {
	f := store.InvocationFilter{AppID: app.ID}
	if name := c.Query("script"); name != "" {
		sc, err := s.cfg.Store.Scripts.GetByName(c.Request.Context(), app.ID, name)
		if err != nil {
			return f, notFoundAs(err, scriptNotFound(app.Slug, name))
		}
		f.ScriptID = sc.ID
	}
	if o := store.Outcome(c.Query("outcome")); o != "" {
		if !slices.Contains(outcomes, o) {
			return f, invalidParam("outcome", "want one of ok, error, fuel_exhausted, memory_exceeded, timeout, got %q", o)
		}
		f.Outcome = o
	}
	if k := store.Kind(c.Query("trigger_kind")); k != "" {
		if k != store.KindManual && !slices.Contains(triggerKinds, k) {
			return f, invalidParam("trigger_kind", "want one of http, cron, pubsub, queue, kv, deadletter, manual, got %q", k)
		}
		f.TriggerKind = k
	}
	var err error
	if f.Since, err = s.timeParam(c, "since"); err != nil {
		return f, err
	}
	if f.Until, err = s.timeParam(c, "until"); err != nil {
		return f, err
	}
	return f, nil
}

func (s *Server) listInvocations(c *gin.Context) {
	app := currentApp(c)
	limit, cur, err := pageParams(c, "invocations")
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	f, err := s.invocationFilter(c, app)
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	if cur.List != "" {
		at, terr := time.Parse(time.RFC3339Nano, cur.At)
		id, uerr := uuid.Parse(cur.UUID)
		if terr != nil || uerr != nil {
			s.fail(c, problemf(http.StatusBadRequest, CodeInvalidCursor, "the cursor is damaged: pass next_cursor back unchanged"), nil)
			return
		}
		f.Before = &store.InvocationCursor{StartedAt: at, ID: id}
	}
	f.Limit = limit + 1
	invs, err := s.cfg.Store.Invocations.List(c.Request.Context(), f)
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	names, err := s.scriptNames(c, app.ID)
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	out := page[invocationJSON]{Items: []invocationJSON{}}
	for i, inv := range invs {
		if i == int(limit) {
			last := invs[i-1]
			out.NextCursor = encodeCursor(cursorKey{List: "invocations", At: last.StartedAt.Format(time.RFC3339Nano), UUID: last.ID.String()})
			break
		}
		out.Items = append(out.Items, invocationFrom(inv, names[inv.ScriptID]))
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) getInvocation(c *gin.Context) {
	app := currentApp(c)
	raw := c.Param("id")
	notFound := problemf(http.StatusNotFound, CodeInvocationNotFound, "app %q has no invocation %q", app.Slug, raw)
	id, err := uuid.Parse(raw)
	if err != nil {
		s.fail(c, notFound, nil)
		return
	}
	ctx := c.Request.Context()
	inv, err := s.cfg.Store.Invocations.Get(ctx, id)
	if err == nil && inv.AppID != app.ID {
		err = notFound // another app's: exactly as if it did not exist
	}
	if err != nil {
		s.fail(c, err, notFound)
		return
	}
	logs, err := s.cfg.Store.Invocations.Logs(ctx, id)
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	sc, err := s.cfg.Store.Scripts.Get(ctx, inv.ScriptID)
	if err != nil {
		s.fail(c, err, notFound)
		return
	}
	out := invocationFrom(inv, sc.Name)
	out.OutboxID, out.Event, out.Result = optional(inv.OutboxID), inv.Event, inv.Result
	out.OutboundRequests = inv.OutboundRequests
	out.Logs = make([]logJSON, len(logs))
	for i, l := range logs {
		out.Logs[i] = logJSON{Seq: l.Seq, Level: l.Level, Message: l.Message, At: l.At}
	}
	c.JSON(http.StatusOK, out)
}

// streamInvocations is the live tail: a text/event-stream of the app's
// invocations as they are recorded (optionally of one ?script=), each an
// "invocation" event whose data is the invocation as JSON with its logs.
// A comment line every Config.Heartbeat keeps idle streams open. The stream
// ends when the client goes away or the server shuts down.
func (s *Server) streamInvocations(c *gin.Context) {
	app := currentApp(c)
	if s.cfg.Tail == nil {
		writeProblem(c, problemf(http.StatusServiceUnavailable, CodeUnavailable, "this server has no live tail"))
		return
	}
	script := c.Query("script")
	if script != "" {
		if _, err := s.cfg.Store.Scripts.GetByName(c.Request.Context(), app.ID, script); err != nil {
			s.fail(c, notFoundAs(err, scriptNotFound(app.Slug, script)), nil)
			return
		}
	}
	events, stop := s.cfg.Tail.Subscribe(app.ID)
	defer stop()

	w := c.Writer
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	// Tell the client it is connected, and how long to wait before it
	// reconnects.
	if _, err := fmt.Fprint(w, ": connected\nretry: 2000\n\n"); err != nil {
		return
	}
	w.Flush()

	heartbeat := time.NewTicker(s.cfg.Heartbeat)
	defer heartbeat.Stop()
	ctx := c.Request.Context()
	for {
		var err error
		select {
		case <-ctx.Done():
			return
		case <-s.stopping:
			return
		case <-heartbeat.C:
			_, err = fmt.Fprint(w, ": heartbeat\n\n")
		case sum, ok := <-events:
			if !ok {
				return // the recorder closed
			}
			if script != "" && sum.Script != script {
				continue
			}
			data, merr := json.Marshal(invocationFromSummary(sum))
			if merr != nil {
				s.cfg.Logger.ErrorContext(ctx, "encoding a live tail event", "invocation_id", sum.ID.String(), "err", merr)
				continue
			}
			_, err = fmt.Fprintf(w, "event: invocation\nid: %s\ndata: %s\n\n", sum.ID, data)
		}
		if err != nil {
			return // the client went away mid-write
		}
		w.Flush()
	}
}
