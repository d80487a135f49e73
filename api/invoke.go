package api

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/picloud/picloud/db/store"
	"github.com/picloud/picloud/limits"
	"github.com/picloud/picloud/record"
	"github.com/picloud/picloud/runtime"
	"github.com/picloud/picloud/secrets"
)

// Invoker runs one invocation in the sandbox; *runtime.Host is one.
type Invoker interface {
	Invoke(ctx context.Context, req runtime.Request) (runtime.Result, error)
}

// Recorder records a finished invocation; *record.Recorder is one.
type Recorder interface {
	Record(inv record.Invocation)
}

var (
	_ Invoker  = (*runtime.Host)(nil)
	_ Recorder = (*record.Recorder)(nil)
)

// invokeRequest is POST /apps/{app}/scripts/{script}/invoke.
type invokeRequest struct {
	// Event is ctx.event; absent or null means {"kind": "manual"}.
	Event json.RawMessage `json:"event"`
	// Version runs that version instead of the active one.
	Version *int32 `json:"version"`
}

// invokeResponse is what one run produced: the run panel's content.
type invokeResponse struct {
	InvocationID    string           `json:"invocation_id"`
	Script          string           `json:"script"`
	Version         int32            `json:"version"`
	Outcome         store.Outcome    `json:"outcome"`
	Result          json.RawMessage  `json:"result"` // the script's value, outcome ok only
	Logs            []logJSON        `json:"logs"`
	LogsDropped     int              `json:"logs_dropped"`
	FuelUsed        int64            `json:"fuel_used"`
	PeakMemoryBytes int64            `json:"peak_memory_bytes"`
	DurationUS      int64            `json:"duration_us"`
	Error           *scriptErrorJSON `json:"error"`
	// Recorded says whether the invocation went to the invocation history
	// (and the live tail) like every other run.
	Recorded bool `json:"recorded"`
}

// scriptErrorJSON is a run's error with its position.
type scriptErrorJSON struct {
	Kind    string `json:"kind,omitempty"` // Rhai's error variant, e.g. ErrorRuntime
	Message string `json:"message"`
	Line    int32  `json:"line,omitempty"`
	Column  int32  `json:"column,omitempty"`
	// Text is the full rendering: position, message, call stack.
	Text string `json:"text"`
}

var manualEvent = json.RawMessage(`{"kind":"manual"}`)

// invoke runs a script version once with the given event, through the same
// sandbox and limits as every trigger, records it, and answers what it
// produced. A script that fails still answers 200: the run happened, and
// its outcome and error say how it ended.
func (s *Server) invoke(c *gin.Context) {
	var req invokeRequest
	if c.Request.ContentLength != 0 {
		// No body at all (curl -X POST) is {}: the active version, the
		// manual event.
		if err := s.decodeJSON(c, &req); err != nil {
			s.fail(c, err, nil)
			return
		}
	}
	app, sc, err := s.loadScript(c)
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	if s.cfg.Invoker == nil {
		writeProblem(c, problemf(http.StatusServiceUnavailable, CodeUnavailable, "this server does not run scripts"))
		return
	}
	ctx := c.Request.Context()
	var v store.ScriptVersion
	if req.Version != nil {
		v, err = s.cfg.Store.Scripts.Version(ctx, sc.ID, *req.Version)
		err = notFoundAs(err, versionNotFound(app.Slug, sc.Name, *req.Version))
	} else {
		v, err = s.cfg.Store.Scripts.ActiveVersion(ctx, sc.ID)
		err = notFoundAs(err, problemf(http.StatusConflict, CodeScriptNotDeployed, "script %q of app %q has no active version", sc.Name, app.Slug))
	}
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	event := req.Event
	if len(event) == 0 || bytes.Equal(bytes.TrimSpace(event), []byte("null")) {
		event = manualEvent
	}

	id, err := uuid.NewV7()
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	started := s.cfg.Now()
	stage := s.cfg.Effects.Stage(app) // kv::, pubsub::, queue:: (events.go)
	rreq := runtime.Request{
		App: app.Slug, Script: sc.Name,
		// The guest caches compiled programs per app by this key: the
		// source's hash names the source exactly.
		Version: hex.EncodeToString(v.SHA256[:]), Source: v.Source,
		InvocationID: id.String(), Event: event, Env: app.Env,
		Limits: limits.For(app.Limits, s.cfg.DefaultLimits, s.cfg.MaxLimits), Effects: stage,
	}
	appSecrets, err := s.cfg.SecretEnv.Secrets(ctx, app.ID)
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	rreq.Env = secrets.Env(app.Env, appSecrets)
	outbound := s.cfg.Egress.AppClient(app.Egress.Allowlist, app.Egress.AllowPrivate, int(app.Limits.MaxOutboundRequests)).WithSecrets(appSecrets)
	defer outbound.Close()
	if outbound != nil {
		rreq.HTTP = outbound
	}
	res, runErr := s.cfg.Invoker.Invoke(ctx, rreq)
	s.commitEffects(ctx, stage, &res, &runErr)
	if runErr != nil && res.Outcome == "" {
		// The guest did not run: the caller went away, or the sandbox
		// failed. Nothing to record.
		s.fail(c, runErr, nil)
		return
	}

	inv := store.Invocation{
		ID: id, AppID: app.ID, ScriptID: sc.ID, Version: v.Number, TriggerKind: store.KindManual,
		StartedAt: started, Event: event,
	}
	record.Fill(&inv, res, runErr, app.DebugOutput)
	record.Outbound(&inv, outbound)
	out := invokeResponse{
		InvocationID: id.String(), Script: sc.Name, Version: v.Number, Outcome: inv.Outcome,
		Result: inv.Result, Logs: make([]logJSON, len(res.Logs)), LogsDropped: res.LogsDropped,
		FuelUsed: res.Fuel, PeakMemoryBytes: res.PeakMemory, DurationUS: res.Duration.Microseconds(),
	}
	// The run panel shows every line the script wrote, debug() included.
	for i, l := range res.Logs {
		out.Logs[i] = logJSON{Seq: int32(i), Level: l.Level.String(), Message: l.Text, At: l.Time}
	}
	if inv.Outcome != store.OutcomeOK {
		out.Error = &scriptErrorJSON{Message: inv.Error, Line: inv.ErrorLine, Column: inv.ErrorColumn, Text: inv.Error}
		var se *runtime.ScriptError
		if res.Error != nil || errors.As(runErr, &se) {
			if res.Error != nil {
				se = res.Error
			}
			out.Error.Kind, out.Error.Message = se.Kind, se.Message
		}
	}
	if s.cfg.Recorder != nil {
		s.cfg.Recorder.Record(record.Invocation{Invocation: inv, App: app.Slug, Script: sc.Name})
		out.Recorded = true
	}
	c.JSON(http.StatusOK, out)
}

// notFoundAs replaces a store.ErrNotFound with e.
func notFoundAs(err error, e *apiError) error {
	if errors.Is(err, store.ErrNotFound) {
		return e
	}
	return err
}
