package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/picloud/picloud/db/store"
	"github.com/picloud/picloud/route"
	"github.com/picloud/picloud/schedule"
	"github.com/picloud/picloud/topic"
)

// Triggers: POST /apps/{app}/triggers/{kind} creates one of that kind; a
// trigger is addressed as /apps/{app}/triggers/{kind}/{id}. Every change
// announces itself on store.RoutesChannel in its own transaction, so each
// node's route table follows.

// triggerJSON is a trigger; exactly one of the kind members is set, the one
// named by Kind.
type triggerJSON struct {
	ID          int64      `json:"id"`
	Kind        store.Kind `json:"kind"`
	Script      string     `json:"script"`
	Enabled     bool       `json:"enabled"`
	MaxAttempts int32      `json:"max_attempts"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`

	HTTP       *httpDetails       `json:"http,omitempty"`
	Cron       *cronDetails       `json:"cron,omitempty"`
	Pubsub     *pubsubDetails     `json:"pubsub,omitempty"`
	Queue      *queueDetails      `json:"queue,omitempty"`
	KV         *kvDetails         `json:"kv,omitempty"`
	Deadletter *deadletterDetails `json:"deadletter,omitempty"`
}

type httpDetails struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	// URL is the pattern under the app's prefix on the public listener.
	URL string `json:"url"`
}

type cronDetails struct {
	Schedule string `json:"schedule"`
	TimeZone string `json:"time_zone"`
	// NextRunAt is the scheduler's cursor: the tick it fires next; null
	// while the trigger is disabled.
	NextRunAt *time.Time `json:"next_run_at"`
	// NextFireTimes are the schedule's next five fire times from now.
	NextFireTimes []time.Time `json:"next_fire_times"`
}

type pubsubDetails struct {
	Pattern string `json:"pattern"`
}

type queueDetails struct {
	Queue string `json:"queue"`
}

type kvDetails struct {
	KeyPattern string   `json:"key_pattern"`
	Ops        []string `json:"ops"`
}

type deadletterDetails struct {
	// SourceKind limits the trigger to dead deliveries of that kind; null
	// for all.
	SourceKind *store.Kind `json:"source_kind"`
}

// Create requests: the members every kind has, and each kind's own.

type triggerCommon struct {
	// Script names the script to run: one of the app's.
	Script string `json:"script"`
	// Enabled defaults to true.
	Enabled *bool `json:"enabled"`
	// MaxAttempts is how many deliveries before dead-lettering, 1 to 100;
	// default 10. HTTP triggers run once, synchronously.
	MaxAttempts *int32 `json:"max_attempts"`
}

type httpTriggerRequest struct {
	triggerCommon
	Method string `json:"method"` // default ANY
	Path   string `json:"path"`
}

type cronTriggerRequest struct {
	triggerCommon
	Schedule string `json:"schedule"`
	TimeZone string `json:"time_zone"` // IANA name; default UTC
}

type pubsubTriggerRequest struct {
	triggerCommon
	Pattern string `json:"pattern"`
}

type queueTriggerRequest struct {
	triggerCommon
	Queue string `json:"queue"`
}

type kvTriggerRequest struct {
	triggerCommon
	KeyPattern string   `json:"key_pattern"`
	Ops        []string `json:"ops"` // set, delete; default both
}

type deadletterTriggerRequest struct {
	triggerCommon
	SourceKind string `json:"source_kind"` // cron, pubsub, queue, kv; default all
}

type patchTriggerRequest struct {
	Enabled *bool `json:"enabled"`
}

const (
	maxMaxAttempts = 100
	previewFires   = 5
	maxKeyPattern  = 1024
)

var queueNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,127}$`)

// kindParam reads the {kind} path parameter.
func kindParam(c *gin.Context) (store.Kind, error) {
	k := store.Kind(c.Param("kind"))
	if !slices.Contains(triggerKinds, k) {
		return "", problemf(http.StatusNotFound, CodeNotFound, "no trigger kind %q: want one of http, cron, pubsub, queue, kv, deadletter", k)
	}
	return k, nil
}

func triggerNotFound(app string, kind store.Kind, id string) *apiError {
	return problemf(http.StatusNotFound, CodeTriggerNotFound, "app %q has no %s trigger %s", app, kind, id)
}

func (s *Server) triggerFrom(app string, t store.Trigger, script string) triggerJSON {
	out := triggerJSON{
		ID: t.ID, Kind: t.Kind, Script: script, Enabled: t.Enabled, MaxAttempts: t.MaxAttempts,
		CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt,
	}
	switch {
	case t.HTTP != nil:
		out.HTTP = &httpDetails{Method: t.HTTP.Method, Path: t.HTTP.Path, URL: s.cfg.PublicURL + "/" + app + t.HTTP.Path}
	case t.Cron != nil:
		d := &cronDetails{Schedule: t.Cron.Schedule, TimeZone: t.Cron.TimeZone, NextFireTimes: []time.Time{}}
		if !t.Cron.NextRunAt.IsZero() {
			next := t.Cron.NextRunAt
			d.NextRunAt = &next
		}
		if sch, err := schedule.Parse(t.Cron.Schedule, t.Cron.TimeZone); err == nil {
			d.NextFireTimes = sch.NextN(s.cfg.Now(), previewFires)
		}
		out.Cron = d
	case t.Pubsub != nil:
		out.Pubsub = &pubsubDetails{Pattern: t.Pubsub.Pattern}
	case t.Queue != nil:
		out.Queue = &queueDetails{Queue: t.Queue.Queue}
	case t.KV != nil:
		out.KV = &kvDetails{KeyPattern: t.KV.KeyPattern, Ops: t.KV.Ops}
	case t.Deadletter != nil:
		d := &deadletterDetails{}
		if t.Deadletter.SourceKind != "" {
			k := t.Deadletter.SourceKind
			d.SourceKind = &k
		}
		out.Deadletter = d
	}
	return out
}

// createTrigger validates the kind's request with the same packages that
// run the trigger (route, schedule, topic), then stores it and announces
// the change in one transaction: a failure leaves nothing behind.
func (s *Server) createTrigger(c *gin.Context) {
	kind, err := kindParam(c)
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	app := currentApp(c)
	t, common, err := s.decodeTrigger(c, kind)
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	t.AppID, t.Kind, t.Enabled = app.ID, kind, common.Enabled == nil || *common.Enabled
	if common.MaxAttempts != nil {
		if n := *common.MaxAttempts; n < 1 || n > maxMaxAttempts {
			s.fail(c, invalidBody("/max_attempts", "want 1 to %d, got %d", maxMaxAttempts, n), nil)
			return
		}
		t.MaxAttempts = *common.MaxAttempts
	}
	if common.Script == "" {
		s.fail(c, invalidBody("/script", "required: the name of the script to run"), nil)
		return
	}
	if t.Cron != nil && t.Enabled {
		sch, _ := schedule.Parse(t.Cron.Schedule, t.Cron.TimeZone) // validated by decodeTrigger
		t.Cron.NextRunAt = sch.Next(s.cfg.Now())
	}

	ctx := c.Request.Context()
	var created store.Trigger
	err = s.changeRoutes(ctx, app.ID, func(st *store.Store) error {
		sc, err := st.Scripts.GetByName(ctx, app.ID, common.Script)
		if errors.Is(err, store.ErrNotFound) {
			return unknownScript(app.Slug, common.Script)
		}
		if err != nil {
			return err
		}
		t.ScriptID = sc.ID
		if t.HTTP != nil {
			if err := checkRouteFree(ctx, st, app.ID, t.HTTP); err != nil {
				return err
			}
		}
		created, err = st.Triggers.Insert(ctx, t)
		return err
	})
	if err != nil {
		s.fail(c, triggerInsertError(err, app.Slug, common.Script, t), nil)
		return
	}
	c.Header("Location", fmt.Sprintf("%s/apps/%s/triggers/%s/%d", apiPrefix, app.Slug, kind, created.ID))
	c.JSON(http.StatusCreated, s.triggerFrom(app.Slug, created, common.Script))
}

func unknownScript(app, script string) *apiError {
	e := problemf(http.StatusBadRequest, CodeUnknownScript, "app %q has no script %q: upload it first", app, script)
	e.doc.Errors = []fieldError{{Pointer: "/script", Detail: fmt.Sprintf("no script %q", script)}}
	return e
}

// triggerInsertError names what a failed insert collided with.
func triggerInsertError(err error, app, script string, t store.Trigger) error {
	var se *store.Error
	switch {
	case errors.Is(err, store.ErrConflict) && errors.As(err, &se) && se.Constraint == "trigger_queue_name_key":
		return problemf(http.StatusConflict, CodeQueueHasConsumer, "queue %q of app %q already has its consumer trigger; a queue has one", t.Queue.Queue, app)
	case errors.Is(err, store.ErrConflict) && t.HTTP != nil:
		return problemf(http.StatusConflict, CodeRouteExists, "app %q already has an HTTP trigger for %s %s", app, t.HTTP.Method, t.HTTP.Path)
	case errors.Is(err, store.ErrNotFound):
		return unknownScript(app, script) // deleted meanwhile
	}
	return err
}

// checkRouteFree rejects an HTTP route that an existing trigger of the app
// already serves: the same method and an equivalent pattern ("/u/:id" and
// "/u/:name" match the same requests).
func checkRouteFree(ctx context.Context, st *store.Store, appID int64, h *store.HTTPTrigger) error {
	want, _ := route.Parse(h.Path) // validated by decodeTrigger
	existing, err := st.Triggers.List(ctx, appID, store.KindHTTP)
	if err != nil {
		return err
	}
	for _, t := range existing {
		if t.HTTP.Method != h.Method {
			continue
		}
		if p, err := route.Parse(t.HTTP.Path); err == nil && p.Key() == want.Key() {
			return problemf(http.StatusConflict, CodeRouteExists,
				"%s %s is already served by HTTP trigger %d (%s %s)", h.Method, h.Path, t.ID, t.HTTP.Method, t.HTTP.Path)
		}
	}
	return nil
}

// decodeTrigger reads and validates the request body of a kind.
func (s *Server) decodeTrigger(c *gin.Context, kind store.Kind) (store.Trigger, triggerCommon, error) {
	var t store.Trigger
	switch kind {
	case store.KindHTTP:
		var req httpTriggerRequest
		if err := s.decodeJSON(c, &req); err != nil {
			return t, req.triggerCommon, err
		}
		h, err := checkHTTPTrigger(req.Method, req.Path)
		t.HTTP = h
		return t, req.triggerCommon, err
	case store.KindCron:
		var req cronTriggerRequest
		if err := s.decodeJSON(c, &req); err != nil {
			return t, req.triggerCommon, err
		}
		if _, err := parseSchedule(req.Schedule, req.TimeZone, "/schedule", "/time_zone"); err != nil {
			return t, req.triggerCommon, err
		}
		tz := req.TimeZone
		if tz == "" {
			tz = "UTC"
		}
		t.Cron = &store.CronTrigger{Schedule: strings.TrimSpace(req.Schedule), TimeZone: tz}
		return t, req.triggerCommon, nil
	case store.KindPubsub:
		var req pubsubTriggerRequest
		if err := s.decodeJSON(c, &req); err != nil {
			return t, req.triggerCommon, err
		}
		if _, err := topic.ParsePattern(req.Pattern); err != nil {
			return t, req.triggerCommon, topicPatternProblem(err, "/pattern")
		}
		t.Pubsub = &store.PubsubTrigger{Pattern: req.Pattern}
		return t, req.triggerCommon, nil
	case store.KindQueue:
		var req queueTriggerRequest
		if err := s.decodeJSON(c, &req); err != nil {
			return t, req.triggerCommon, err
		}
		if !queueNameRE.MatchString(req.Queue) {
			return t, req.triggerCommon, invalidBody("/queue", "%q is not a valid queue name: use 1 to 128 of a-z, 0-9, _, . and -, starting with a letter or digit", req.Queue)
		}
		t.Queue = &store.QueueTrigger{Queue: req.Queue}
		return t, req.triggerCommon, nil
	case store.KindKV:
		var req kvTriggerRequest
		if err := s.decodeJSON(c, &req); err != nil {
			return t, req.triggerCommon, err
		}
		kv, err := checkKVTrigger(req.KeyPattern, req.Ops)
		t.KV = kv
		return t, req.triggerCommon, err
	default: // store.KindDeadletter, by kindParam
		var req deadletterTriggerRequest
		if err := s.decodeJSON(c, &req); err != nil {
			return t, req.triggerCommon, err
		}
		src := store.Kind(req.SourceKind)
		if src != "" && !slices.Contains([]store.Kind{store.KindCron, store.KindPubsub, store.KindQueue, store.KindKV}, src) {
			return t, req.triggerCommon, invalidBody("/source_kind", "want cron, pubsub, queue or kv (or nothing, for all), got %q", src)
		}
		t.Deadletter = &store.DeadletterTrigger{SourceKind: src}
		return t, req.triggerCommon, nil
	}
}

func checkHTTPTrigger(method, path string) (*store.HTTPTrigger, error) {
	if method == "" {
		method = "ANY"
	}
	m, err := route.ParseMethod(method)
	if err != nil {
		return nil, invalidBody("/method", "%v", err)
	}
	if path == "" {
		return nil, invalidBody("/path", `required: a path pattern such as "/users/:id" (under the app's prefix)`)
	}
	if _, err := route.Parse(path); err != nil {
		var re *route.Error
		if !errors.As(err, &re) {
			return nil, invalidBody("/path", "%v", err)
		}
		e := problemf(http.StatusBadRequest, CodeInvalidPathPattern, "%v", err)
		e.doc.Reason = re.Reason
		e.doc.Errors = []fieldError{{Pointer: "/path", Detail: re.Reason}}
		return nil, withOffset(e, int64(re.Offset))
	}
	return &store.HTTPTrigger{Method: m, Path: path}, nil
}

func checkKVTrigger(pattern string, ops []string) (*store.KVTrigger, error) {
	switch {
	case pattern == "":
		return nil, invalidBody("/key_pattern", `required: a key ("user:1"), a prefix ending in * ("user:*") or *`)
	case len(pattern) > maxKeyPattern:
		return nil, invalidBody("/key_pattern", "at most %d bytes, got %d", maxKeyPattern, len(pattern))
	case strings.Contains(pattern[:len(pattern)-1], "*"):
		return nil, invalidBody("/key_pattern", "%q: * may only end the pattern (a prefix match)", pattern)
	}
	var clean []string
	for i, op := range ops {
		if op != "set" && op != "delete" {
			return nil, invalidBody("/ops/"+strconv.Itoa(i), `want "set" or "delete", got %q`, op)
		}
		if !slices.Contains(clean, op) {
			clean = append(clean, op)
		}
	}
	if ops != nil && len(clean) == 0 {
		return nil, invalidBody("/ops", `name at least one of "set" and "delete", or leave ops out for both`)
	}
	return &store.KVTrigger{KeyPattern: pattern, Ops: clean}, nil
}

// parseSchedule validates a cron schedule and time zone, pointing at the
// member at fault (pointers for a body, parameter names for a query).
func parseSchedule(expr, tz, exprAt, tzAt string) (*schedule.Schedule, error) {
	fail := func(at string, err error) *apiError {
		e := problemf(http.StatusBadRequest, CodeInvalidSchedule, "%v", err)
		e.doc.Reason = err.Error()
		fe := fieldError{Detail: err.Error()}
		if strings.HasPrefix(at, "/") {
			fe.Pointer = at
		} else {
			fe.Parameter = at
		}
		e.doc.Errors = []fieldError{fe}
		return e
	}
	if tz != "" {
		if _, err := schedule.Parse("@hourly", tz); err != nil {
			return nil, fail(tzAt, err)
		}
	}
	sch, err := schedule.Parse(expr, tz)
	if err != nil {
		return nil, fail(exprAt, err)
	}
	return sch, nil
}

// topicPatternProblem is a 400 for a pattern topic.ParsePattern rejected.
func topicPatternProblem(err error, pointer string) *apiError {
	var te *topic.Error
	if !errors.As(err, &te) {
		return invalidBody(pointer, "%v", err)
	}
	e := problemf(http.StatusBadRequest, CodeInvalidTopicPattern, "%v", err)
	e.doc.Reason = te.Reason
	e.doc.Errors = []fieldError{{Pointer: pointer, Detail: te.Reason}}
	return withOffset(e, int64(te.Offset))
}

func (s *Server) listTriggers(c *gin.Context) {
	app := currentApp(c)
	var kind store.Kind
	if c.Param("kind") != "" {
		k, err := kindParam(c)
		if err != nil {
			s.fail(c, err, nil)
			return
		}
		kind = k
	} else if k := store.Kind(c.Query("kind")); k != "" {
		if !slices.Contains(triggerKinds, k) {
			s.fail(c, invalidParam("kind", "want one of http, cron, pubsub, queue, kv, deadletter, got %q", k), nil)
			return
		}
		kind = k
	}
	limit, cur, err := pageParams(c, "triggers")
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	ts, err := s.cfg.Store.Triggers.ListAfter(c.Request.Context(), app.ID, kind, cur.ID, limit+1)
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	names, err := s.scriptNames(c, app.ID)
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	out := page[triggerJSON]{Items: []triggerJSON{}}
	for i, t := range ts {
		if i == int(limit) {
			out.NextCursor = encodeCursor(cursorKey{List: "triggers", ID: ts[i-1].ID})
			break
		}
		out.Items = append(out.Items, s.triggerFrom(app.Slug, t, names[t.ScriptID]))
	}
	c.JSON(http.StatusOK, out)
}

// loadTrigger finds the trigger of the request's path: one of the current
// app's, of the kind the path names.
func (s *Server) loadTrigger(c *gin.Context) (store.App, store.Trigger, error) {
	app := currentApp(c)
	kind, err := kindParam(c)
	if err != nil {
		return app, store.Trigger{}, err
	}
	raw := c.Param("id")
	notFound := triggerNotFound(app.Slug, kind, raw)
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id < 1 {
		return app, store.Trigger{}, notFound
	}
	t, err := s.cfg.Store.Triggers.Get(c.Request.Context(), id)
	if err == nil && (t.AppID != app.ID || t.Kind != kind) {
		return app, store.Trigger{}, notFound
	}
	return app, t, notFoundAs(err, notFound)
}

func (s *Server) respondTrigger(c *gin.Context, app string, t store.Trigger) {
	sc, err := s.cfg.Store.Scripts.Get(c.Request.Context(), t.ScriptID)
	if err != nil {
		s.fail(c, err, triggerNotFound(app, t.Kind, strconv.FormatInt(t.ID, 10)))
		return
	}
	c.JSON(http.StatusOK, s.triggerFrom(app, t, sc.Name))
}

func (s *Server) getTrigger(c *gin.Context) {
	app, t, err := s.loadTrigger(c)
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	s.respondTrigger(c, app.Slug, t)
}

func (s *Server) patchTrigger(c *gin.Context) {
	var req patchTriggerRequest
	if err := s.decodeJSON(c, &req); err != nil {
		s.fail(c, err, nil)
		return
	}
	if req.Enabled == nil {
		s.fail(c, invalidBody("/enabled", "required: true or false"), nil)
		return
	}
	s.setEnabled(c, *req.Enabled)
}

func (s *Server) enableTrigger(c *gin.Context)  { s.setEnabled(c, true) }
func (s *Server) disableTrigger(c *gin.Context) { s.setEnabled(c, false) }

// setEnabled enables or disables the path's trigger. A cron trigger is
// scheduled from now when enabled, so it does not fire for the ticks it
// missed while disabled, and unscheduled when disabled.
func (s *Server) setEnabled(c *gin.Context, enabled bool) {
	app, t, err := s.loadTrigger(c)
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	ctx := c.Request.Context()
	notFound := triggerNotFound(app.Slug, t.Kind, strconv.FormatInt(t.ID, 10))
	err = s.changeRoutes(ctx, app.ID, func(st *store.Store) error {
		if err := st.Triggers.SetEnabled(ctx, t.ID, enabled); err != nil {
			return err
		}
		if t.Cron != nil && enabled != t.Enabled {
			var next time.Time
			if enabled {
				sch, err := schedule.Parse(t.Cron.Schedule, t.Cron.TimeZone)
				if err != nil {
					return fmt.Errorf("trigger %d: stored schedule: %w", t.ID, err)
				}
				next = sch.Next(s.cfg.Now())
			}
			if err := st.Triggers.CronSetNext(ctx, t.ID, next); err != nil {
				return err
			}
		}
		var err error
		t, err = st.Triggers.Get(ctx, t.ID)
		return err
	})
	if err != nil {
		s.fail(c, err, notFound)
		return
	}
	s.respondTrigger(c, app.Slug, t)
}

func (s *Server) deleteTrigger(c *gin.Context) {
	app, t, err := s.loadTrigger(c)
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	ctx := c.Request.Context()
	err = s.changeRoutes(ctx, app.ID, func(st *store.Store) error { return st.Triggers.Delete(ctx, t.ID) })
	if err != nil {
		s.fail(c, err, triggerNotFound(app.Slug, t.Kind, strconv.FormatInt(t.ID, 10)))
		return
	}
	c.Status(http.StatusNoContent)
}
