package ingress

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/picloud/picloud/db/store"
	"github.com/picloud/picloud/record"
	"github.com/picloud/picloud/runtime"
	"github.com/picloud/picloud/secrets"
)

// Problem codes: the stable code member of the problem documents the
// public listener answers with. Each comes with the status shown.
const (
	// 404: no app has the path's first segment as its slug, or the app has
	// no route for the path; the detail says which.
	CodeNotFound = "not_found"
	// 405: the app has routes for the path, not for the method; Allow lists
	// the methods that have one.
	CodeMethodNotAllowed = "method_not_allowed"
	// 413: the request body is over the app's body limit.
	CodeBodyTooLarge = "body_too_large"
	// 500: the script failed (threw, or a runtime error); the detail has
	// the error with its position when the app's debug output is on.
	CodeScriptError = "script_error"
	// 500: the script's value is a response map that is not valid.
	CodeInvalidResponse = "invalid_response"
	// 500: the script's response body is over the app's body limit.
	CodeResponseTooLarge = "response_too_large"
	// 503: the script used its whole fuel budget.
	CodeFuelExhausted = "fuel_exhausted"
	// 503: the script went over its memory limit.
	CodeMemoryExceeded = "memory_exceeded"
	// 504: the script ran past its wall-time limit.
	CodeTimeout = "timeout"
	// 503: the sandbox is not running (shutting down) or failed.
	CodeUnavailable = "unavailable"
	// 500: a fault of the server; the log says more.
	CodeInternal = "internal"
)

// ServeHTTP answers one public request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	snap := h.snap.Load()
	slug, rest := splitApp(r.URL.EscapedPath())
	app := snap.apps[slug]
	if app == nil {
		writeProblem(w, problem{Status: http.StatusNotFound, Code: CodeNotFound, Detail: fmt.Sprintf("no app %q", slug)})
		return
	}
	rt, params, ok := snap.table.Lookup(slug, r.Method, rest)
	if !ok {
		if allowed := snap.table.Allowed(slug, rest); len(allowed) > 0 {
			if slices.Contains(allowed, http.MethodGet) && !slices.Contains(allowed, http.MethodHead) {
				allowed = append(allowed, http.MethodHead)
			}
			slices.Sort(allowed)
			w.Header().Set("Allow", strings.Join(allowed, ", "))
			writeProblem(w, problem{Status: http.StatusMethodNotAllowed, Code: CodeMethodNotAllowed,
				Detail: fmt.Sprintf("%s is not routed for %s in app %q", r.Method, unescape(rest), slug)})
			return
		}
		writeProblem(w, problem{Status: http.StatusNotFound, Code: CodeNotFound,
			Detail: fmt.Sprintf("no HTTP trigger of app %q matches %s %s", slug, r.Method, unescape(rest))})
		return
	}

	body, err := readBody(r, app.maxBody)
	if err != nil {
		if errors.Is(err, errTooLarge) {
			writeProblem(w, problem{Status: http.StatusRequestEntityTooLarge, Code: CodeBodyTooLarge,
				Detail: fmt.Sprintf("the request body is over app %q's limit of %d bytes", slug, app.maxBody)})
		}
		return // otherwise the client went away mid-body
	}
	event, err := httpEvent(r, relPath(r.URL.Path, slug), params, body)
	if err != nil {
		writeProblem(w, problem{Status: http.StatusInternalServerError, Code: CodeInternal, Detail: "internal server error"})
		h.log.ErrorContext(r.Context(), "encoding an HTTP event failed", "app", slug, "err", err)
		return
	}

	t := rt.Target
	id := uuid.Must(uuid.NewV7())
	started := time.Now()
	req := runtime.Request{
		App: slug, Script: t.script.name, Version: t.script.key, Source: t.script.source,
		InvocationID: id.String(), Event: event, Env: app.app.Env, Limits: app.limits,
	}
	stage := h.stage(app) // durable effects, committed when the script succeeds (effects.go)
	if stage != nil {
		req.Effects = stage
	}
	sec, err := h.cfg.Secrets.Secrets(r.Context(), app.app.ID)
	if err != nil {
		h.log.ErrorContext(r.Context(), "reading the app's secrets failed: the script runs without them", "app", slug, "err", err)
	}
	req.Env = secrets.Env(req.Env, sec)
	out := h.cfg.Egress.AppClient(app.app.Egress.Allowlist, app.app.Egress.AllowPrivate, int(app.app.Limits.MaxOutboundRequests)).WithSecrets(sec)
	defer out.Close()
	if out != nil {
		req.HTTP = out
	}
	res, runErr := h.cfg.Invoker.Invoke(r.Context(), req)
	effectsFailed := h.commit(r.Context(), stage, id, &res, &runErr)
	if h.cfg.Recorder != nil {
		inv := store.Invocation{
			ID: id, AppID: app.app.ID, ScriptID: t.script.id, Version: t.script.version,
			TriggerKind: store.KindHTTP, TriggerID: t.triggerID, StartedAt: started, Event: event,
		}
		record.Fill(&inv, res, runErr, app.app.DebugOutput)
		record.Outbound(&inv, out)
		h.cfg.Recorder.Record(record.Invocation{Invocation: inv, App: slug, Script: t.script.name})
	}
	if r.Context().Err() != nil {
		return // nobody is listening
	}
	if effectsFailed != nil {
		writeProblem(w, *effectsFailed)
		return
	}
	if res.Outcome != runtime.OutcomeOK {
		writeProblem(w, failure(app, id, res, runErr))
		return
	}
	if p := respond(w, res.Value, app.maxBody); p != nil {
		p.InvocationID = id.String()
		writeProblem(w, *p)
	}
}

// failure is the problem document for an invocation that did not end ok.
func failure(app *appState, id uuid.UUID, res runtime.Result, err error) problem {
	p := problem{InvocationID: id.String()}
	var se *runtime.ScriptError
	if res.Error != nil {
		se = res.Error
	} else {
		errors.As(err, &se)
	}
	switch res.Outcome {
	case runtime.OutcomeFuelExhausted:
		p.Status, p.Code, p.Detail = http.StatusServiceUnavailable, CodeFuelExhausted, "the script used its whole fuel budget"
	case runtime.OutcomeMemoryExceeded:
		p.Status, p.Code, p.Detail = http.StatusServiceUnavailable, CodeMemoryExceeded, "the script went over its memory limit"
	case runtime.OutcomeTimeout:
		p.Status, p.Code, p.Detail = http.StatusGatewayTimeout, CodeTimeout, "the script ran past its time limit"
	case runtime.OutcomeError:
		if se == nil || se.Kind == runtime.KindInternal {
			// The sandbox, not the script: a trap, a closed host.
			p.Status, p.Code, p.Detail = http.StatusServiceUnavailable, CodeUnavailable, "the sandbox could not run the script"
			return p
		}
		p.Status, p.Code, p.Detail = http.StatusInternalServerError, CodeScriptError, "the script failed"
	default: // it did not run at all
		p.Status, p.Code, p.Detail = http.StatusServiceUnavailable, CodeUnavailable, "the sandbox could not run the script"
		return p
	}
	if app.app.DebugOutput && se != nil {
		p.Detail += ": " + se.Error()
	} else {
		p.Detail += " (invocation " + id.String() + ")"
	}
	return p
}

// splitApp splits an escaped request path into the app's slug and the rest,
// which starts with "/".
func splitApp(p string) (slug, rest string) {
	p = strings.TrimPrefix(p, "/")
	slug, rest, _ = strings.Cut(p, "/")
	return slug, "/" + rest
}

// relPath is the decoded path below the app prefix.
func relPath(p, slug string) string {
	rest := strings.TrimPrefix(strings.TrimPrefix(p, "/"), slug)
	if rest == "" || rest[0] != '/' {
		rest = "/" + rest
	}
	return rest
}

var errTooLarge = errors.New("body too large")

// readBody reads the request body, up to limit bytes.
func readBody(r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, errTooLarge
	}
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, errTooLarge
	}
	return b, nil
}
