package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/picloud/picloud/auth"
	"github.com/picloud/picloud/effects"
	"github.com/picloud/picloud/hostfuncs"
	"github.com/picloud/picloud/runtime"
	"github.com/picloud/picloud/topic"
)

// Durable events over the API: publish to a topic, push to a queue, browse
// and edit the KV store, and inspect, retry and discard deliveries. Writes
// go through an effects.Stage, so they are checked and committed exactly as
// a script's: the same validation, size limits and KV quota, the same kv
// change events, one transaction.

// eventRoutes are the routes of this file (routes() appends them).
func (s *Server) eventRoutes() []apiRoute {
	r := func(method, path string, scope auth.Scope, h gin.HandlerFunc) apiRoute {
		return apiRoute{method: method, path: path, access: accessScope, scope: scope, handler: h}
	}
	return []apiRoute{
		r(http.MethodPost, "/apps/:app/pubsub/publish", auth.ScriptWrite, s.publish),
		r(http.MethodPost, "/apps/:app/queues/:queue/push", auth.ScriptWrite, s.pushQueue),

		r(http.MethodGet, "/apps/:app/kv", auth.ScriptRead, s.listKV),
		r(http.MethodGet, "/apps/:app/kv/:key", auth.ScriptRead, s.getKV),
		r(http.MethodPut, "/apps/:app/kv/:key", auth.ScriptWrite, s.putKV),
		r(http.MethodDelete, "/apps/:app/kv/:key", auth.ScriptWrite, s.deleteKV),

		r(http.MethodGet, "/apps/:app/deliveries", auth.TriggerRead, s.listDeliveries),
		r(http.MethodPost, "/apps/:app/deliveries/retry", auth.TriggerWrite, s.retryDeliveries),
		r(http.MethodGet, "/apps/:app/deliveries/:id", auth.TriggerRead, s.getDelivery),
		r(http.MethodPost, "/apps/:app/deliveries/:id/retry", auth.TriggerWrite, s.retryDelivery),
		r(http.MethodDelete, "/apps/:app/deliveries/:id", auth.TriggerWrite, s.discardDelivery),
	}
}

// publishRequest is POST /apps/{app}/pubsub/publish.
type publishRequest struct {
	Topic string `json:"topic"`
	// Message is any JSON value; it is ctx.event.pubsub.message.
	Message json.RawMessage `json:"message"`
}

type publishResponse struct {
	MessageID string `json:"message_id"`
	Topic     string `json:"topic"`
	// Deliveries is the fan-out: one per matching enabled pubsub trigger;
	// 0 when none matches (not an error).
	Deliveries int64 `json:"deliveries"`
}

func (s *Server) publish(c *gin.Context) {
	var req publishRequest
	if err := s.decodeJSON(c, &req); err != nil {
		s.fail(c, err, nil)
		return
	}
	if err := topic.Validate(req.Topic); err != nil {
		s.fail(c, topicProblem(err, "/topic"), nil)
		return
	}
	if len(req.Message) == 0 {
		s.fail(c, invalidBody("/message", "required: any JSON value"), nil)
		return
	}
	app := currentApp(c)
	stage := s.cfg.Effects.Stage(app)
	id, err := stage.Publish(c.Request.Context(), req.Topic, compact(req.Message))
	if err != nil {
		s.fail(c, stageProblem(err, "/message"), nil)
		return
	}
	sum, err := s.cfg.Effects.Commit(c.Request.Context(), stage)
	if err != nil {
		s.fail(c, commitProblem(err), nil)
		return
	}
	c.JSON(http.StatusOK, publishResponse{MessageID: uuid.UUID(id).String(), Topic: req.Topic, Deliveries: sum.Published[0]})
}

// pushRequest is POST /apps/{app}/queues/{queue}/push.
type pushRequest struct {
	// Payload is any JSON value; it is ctx.event.queue.payload.
	Payload json.RawMessage `json:"payload"`
	// Delay is a duration string ("90s", "10m", "1h30m", "2d") or a
	// number of seconds; default 0.
	Delay json.RawMessage `json:"delay"`
}

type pushResponse struct {
	MessageID  string    `json:"message_id"`
	Queue      string    `json:"queue"`
	DeliveryID int64     `json:"delivery_id"`
	Waiting    bool      `json:"waiting"` // the queue has no consumer trigger yet
	RunAt      time.Time `json:"run_at"`
}

func (s *Server) pushQueue(c *gin.Context) {
	queue := c.Param("queue")
	if err := effects.ValidQueueName(queue); err != nil {
		s.fail(c, invalidParam("queue", "%v", err), nil)
		return
	}
	var req pushRequest
	if err := s.decodeJSON(c, &req); err != nil {
		s.fail(c, err, nil)
		return
	}
	if len(req.Payload) == 0 {
		s.fail(c, invalidBody("/payload", "required: any JSON value"), nil)
		return
	}
	delay, err := parseDelay(req.Delay)
	if err != nil {
		s.fail(c, invalidBody("/delay", "%v", err), nil)
		return
	}
	app := currentApp(c)
	stage := s.cfg.Effects.Stage(app)
	id, err := stage.Push(c.Request.Context(), queue, compact(req.Payload), delay)
	if err != nil {
		s.fail(c, stageProblem(err, "/payload"), nil)
		return
	}
	sum, err := s.cfg.Effects.Commit(c.Request.Context(), stage)
	if err != nil {
		s.fail(c, commitProblem(err), nil)
		return
	}
	p := sum.Pushed[0]
	c.JSON(http.StatusOK, pushResponse{MessageID: uuid.UUID(id).String(), Queue: queue, DeliveryID: p.DeliveryID, Waiting: p.Waiting, RunAt: p.RunAt})
}

// parseDelay reads a queue push's delay: absent or null is 0, a string is a
// duration ("10m", also "2d"), a number is seconds.
func parseDelay(raw json.RawMessage) (time.Duration, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	var secs float64
	if err := json.Unmarshal(raw, &secs); err == nil {
		if secs < 0 || secs > float64(effects.DefaultMaxDelay/time.Second)*10 {
			return 0, fmt.Errorf("%v seconds: want 0 or more", secs)
		}
		return time.Duration(secs * float64(time.Second)), nil
	}
	var str string
	if err := json.Unmarshal(raw, &str); err != nil {
		return 0, errors.New(`want a duration such as "10m" or a number of seconds`)
	}
	if days, ok := strings.CutSuffix(str, "d"); ok {
		n, err := strconv.ParseUint(days, 10, 16)
		if err == nil {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	}
	d, err := time.ParseDuration(str)
	if err != nil || d < 0 {
		return 0, fmt.Errorf(`%q: want a duration such as "90s", "10m", "1h30m" or "2d", or a number of seconds`, str)
	}
	return d, nil
}

// compact removes insignificant space from a JSON value the decoder
// validated.
func compact(raw json.RawMessage) json.RawMessage {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return raw
	}
	return b.Bytes()
}

// topicProblem is a 400 for a topic topic.Validate rejected.
func topicProblem(err error, pointer string) *apiError {
	var te *topic.Error
	if !errors.As(err, &te) {
		return invalidBody(pointer, "%v", err)
	}
	e := problemf(http.StatusBadRequest, CodeInvalidTopic, "%v", err)
	e.doc.Reason = te.Reason
	e.doc.Errors = []fieldError{{Pointer: pointer, Detail: te.Reason}}
	return withOffset(e, int64(te.Offset))
}

// stageProblem answers an error of staging a write: the KV quota (507), a
// size limit (413) or an invalid value (400).
func stageProblem(err error, pointer string) error {
	switch {
	case errors.Is(err, effects.ErrQuota):
		return problemf(http.StatusInsufficientStorage, CodeKVQuotaExceeded, "%v", err)
	case errors.Is(err, hostfuncs.ErrLimit):
		return problemf(http.StatusRequestEntityTooLarge, CodeBodyTooLarge, "%s: %v", pointerName(pointer), err)
	case errors.Is(err, hostfuncs.ErrInvalid):
		return invalidBody(pointer, "%v", err)
	}
	return err
}

// commitProblem answers an error of committing a stage.
func commitProblem(err error) error {
	if errors.Is(err, effects.ErrQuota) {
		return problemf(http.StatusInsufficientStorage, CodeKVQuotaExceeded, "%v", err)
	}
	return err
}

// commitEffects commits what a successful run staged; when that fails, the
// run is turned into a failed one (its effects were not kept).
func (s *Server) commitEffects(ctx context.Context, stage *effects.Stage, res *runtime.Result, runErr *error) {
	if *runErr != nil || res.Outcome != runtime.OutcomeOK {
		return
	}
	if _, err := s.cfg.Effects.Commit(ctx, stage); err != nil {
		res.Outcome, res.Value = runtime.OutcomeError, nil
		*runErr = fmt.Errorf("the script succeeded but its effects were not committed: %w", err)
	}
}
