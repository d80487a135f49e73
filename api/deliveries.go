package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/picloud/picloud/db/store"
)

// Deliveries: the app's outbox rows (pending, retrying, running, waiting)
// and dead letters, addressed by one id space (a dead letter keeps the id
// its delivery had). Retrying a dead letter puts it back in the outbox with
// its attempts reset and its event id kept; retrying a pending delivery
// makes it due now instead of after its backoff.

// The states a delivery is listed in.
const (
	statePending  = "pending"  // waiting for its run_at; retrying ones included
	stateRetrying = "retrying" // pending after a failed attempt
	stateRunning  = "running"  // claimed by a dispatcher
	stateWaiting  = "waiting"  // a queue message whose queue has no consumer
	stateDead     = "dead"     // exhausted its attempts
)

var deliveryStates = []string{statePending, stateRetrying, stateRunning, stateWaiting, stateDead}

// deliveryJSON is a delivery or a dead letter.
type deliveryJSON struct {
	ID          int64           `json:"id"`
	State       string          `json:"state"`
	Kind        store.Kind      `json:"kind"`
	TriggerID   *int64          `json:"trigger_id"`
	Script      *string         `json:"script"`
	Queue       *string         `json:"queue,omitempty"`
	EventID     string          `json:"event_id"`
	Attempt     int32           `json:"attempt"`
	MaxAttempts int32           `json:"max_attempts"`
	RunAt       *time.Time      `json:"run_at,omitempty"`
	LeaseUntil  *time.Time      `json:"lease_until,omitempty"`
	LastError   *string         `json:"last_error"`
	CreatedAt   time.Time       `json:"created_at"`
	FailedAt    *time.Time      `json:"failed_at,omitempty"`
	Payload     json.RawMessage `json:"payload"`
}

func deliveryOf(d store.Delivery, names map[int64]string) deliveryJSON {
	out := deliveryJSON{
		ID: d.ID, Kind: d.Kind, EventID: d.EventID.String(), Attempt: d.Attempt, MaxAttempts: d.MaxAttempts,
		CreatedAt: d.CreatedAt, Payload: d.Payload, LastError: optionalString(d.LastError), Queue: optionalString(d.Queue),
	}
	switch d.State {
	case store.StateRunning:
		out.State = stateRunning
		out.LeaseUntil = &d.LeaseUntil
	case store.StateWaiting:
		out.State = stateWaiting
	default:
		out.State = statePending
		if d.Attempt > 0 {
			out.State = stateRetrying
		}
	}
	if d.State != store.StateWaiting {
		out.RunAt = &d.RunAt
	}
	out.TriggerID = optional(d.TriggerID)
	if name, ok := names[d.ScriptID]; ok {
		out.Script = &name
	}
	return out
}

func deadOf(d store.DeadLetter, names map[int64]string) deliveryJSON {
	out := deliveryJSON{
		ID: d.ID, State: stateDead, Kind: d.Kind, EventID: d.EventID.String(), Attempt: d.Attempt,
		MaxAttempts: d.MaxAttempts, CreatedAt: d.CreatedAt, FailedAt: &d.FailedAt, Payload: d.Payload,
		LastError: optionalString(d.LastError), Queue: optionalString(d.Queue),
	}
	out.TriggerID = optional(d.TriggerID)
	if name, ok := names[d.ScriptID]; ok {
		out.Script = &name
	}
	return out
}

func optionalString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func deliveryNotFound(app string, id string) *apiError {
	return problemf(http.StatusNotFound, CodeDeliveryNotFound, "app %q has no delivery %s", app, id)
}

// listDeliveries lists the app's deliveries in one state (?state=), or
// all that are in the outbox when there is none: oldest first, dead
// letters newest first.
func (s *Server) listDeliveries(c *gin.Context) {
	app := currentApp(c)
	state := c.Query("state")
	if state != "" && !slices.Contains(deliveryStates, state) {
		s.fail(c, invalidParam("state", "want one of pending, retrying, running, waiting, dead, got %q", state), nil)
		return
	}
	list := "deliveries"
	if state == stateDead {
		list = "dead-letters"
	}
	limit, cur, err := pageParams(c, list)
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	ctx := c.Request.Context()
	names, err := s.scriptNames(c, app.ID)
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	out := page[deliveryJSON]{Items: []deliveryJSON{}}
	if state == stateDead {
		var after *store.DeadCursor
		if cur.At != "" {
			at, err := time.Parse(time.RFC3339Nano, cur.At)
			if err != nil {
				s.fail(c, problemf(http.StatusBadRequest, CodeInvalidCursor, "cursor: pass next_cursor back unchanged"), nil)
				return
			}
			after = &store.DeadCursor{FailedAt: at, ID: cur.ID}
		}
		rows, err := s.cfg.Store.Outbox.DeadLetters(ctx, app.ID, after, limit+1)
		if err != nil {
			s.fail(c, err, nil)
			return
		}
		for i, d := range rows {
			if i == int(limit) {
				last := rows[i-1]
				out.NextCursor = encodeCursor(cursorKey{List: list, ID: last.ID, At: last.FailedAt.Format(time.RFC3339Nano)})
				break
			}
			out.Items = append(out.Items, deadOf(d, names))
		}
		c.JSON(http.StatusOK, out)
		return
	}
	var rows []store.Delivery
	switch state {
	case stateRetrying:
		rows, err = s.cfg.Store.Outbox.ListRetrying(ctx, app.ID, cur.ID, limit+1)
	case "":
		rows, err = s.cfg.Store.Outbox.List(ctx, app.ID, nil, cur.ID, limit+1)
	default:
		st := map[string]store.DeliveryState{statePending: store.StatePending, stateRunning: store.StateRunning, stateWaiting: store.StateWaiting}[state]
		rows, err = s.cfg.Store.Outbox.List(ctx, app.ID, &st, cur.ID, limit+1)
	}
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	for i, d := range rows {
		if i == int(limit) {
			out.NextCursor = encodeCursor(cursorKey{List: list, ID: rows[i-1].ID})
			break
		}
		out.Items = append(out.Items, deliveryOf(d, names))
	}
	c.JSON(http.StatusOK, out)
}

// deliveryID reads the {id} path parameter.
func deliveryID(c *gin.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, deliveryNotFound(currentApp(c).Slug, c.Param("id"))
	}
	return id, nil
}

// findDelivery returns the app's delivery id: in the outbox, or dead.
func (s *Server) findDelivery(ctx context.Context, app store.App, id int64) (*store.Delivery, *store.DeadLetter, error) {
	d, err := s.cfg.Store.Outbox.Get(ctx, app.ID, id)
	if err == nil {
		return &d, nil, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, nil, err
	}
	dl, err := s.cfg.Store.Outbox.DeadLetter(ctx, app.ID, id)
	if err != nil {
		return nil, nil, notFoundAs(err, deliveryNotFound(app.Slug, strconv.FormatInt(id, 10)))
	}
	return nil, &dl, nil
}

func (s *Server) getDelivery(c *gin.Context) {
	app := currentApp(c)
	id, err := deliveryID(c)
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	d, dl, err := s.findDelivery(c.Request.Context(), app, id)
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	names, err := s.scriptNames(c, app.ID)
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	if d != nil {
		c.JSON(http.StatusOK, deliveryOf(*d, names))
		return
	}
	c.JSON(http.StatusOK, deadOf(*dl, names))
}

// retryResult is what a retry did.
type retryResult struct {
	// ID is the delivery's id now: a replayed dead letter gets a new one.
	ID         int64  `json:"id"`
	PreviousID int64  `json:"previous_id"`
	State      string `json:"state"`
}

// retryOne retries one delivery: a dead letter is replayed, a pending one
// made due now.
func (s *Server) retryOne(ctx context.Context, app store.App, id int64) (retryResult, error) {
	d, dl, err := s.findDelivery(ctx, app, id)
	if err != nil {
		return retryResult{}, err
	}
	if dl != nil {
		newID, err := s.cfg.Store.Outbox.Replay(ctx, app.ID, id)
		if errors.Is(err, store.ErrNotFound) {
			return retryResult{}, problemf(http.StatusConflict, CodeTriggerGone,
				"dead letter %d cannot be replayed: its trigger was deleted (discard it, or push its payload again)", id)
		}
		if err != nil {
			return retryResult{}, err
		}
		nd, err := s.cfg.Store.Outbox.Get(ctx, app.ID, newID)
		if err != nil {
			return retryResult{}, err
		}
		return retryResult{ID: newID, PreviousID: id, State: deliveryOf(nd, nil).State}, nil
	}
	switch d.State {
	case store.StateRunning:
		return retryResult{}, problemf(http.StatusConflict, CodeDeliveryRunning, "delivery %d is running now", id)
	case store.StateWaiting:
		return retryResult{}, problemf(http.StatusConflict, CodeQueueHasNoConsumer,
			"delivery %d waits for a consumer of queue %q: create its queue trigger", id, d.Queue)
	}
	if _, err := s.cfg.Store.Outbox.RunNow(ctx, app.ID, []int64{id}); err != nil {
		return retryResult{}, err
	}
	return retryResult{ID: id, PreviousID: id, State: deliveryOf(*d, nil).State}, nil
}

func (s *Server) retryDelivery(c *gin.Context) {
	app := currentApp(c)
	id, err := deliveryID(c)
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	res, err := s.retryOne(c.Request.Context(), app, id)
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	s.cfg.Effects.Wake()
	c.JSON(http.StatusOK, res)
}

// retryManyRequest is POST /apps/{app}/deliveries/retry: the listed ids,
// or every delivery in a state (dead or retrying).
type retryManyRequest struct {
	IDs   []int64 `json:"ids"`
	State string  `json:"state"`
}

type retryManyResponse struct {
	Retried []retryResult `json:"retried"`
	// More is true when the state holds more than one request retries
	// (maxRetryMany): call again.
	More bool `json:"more"`
}

// maxRetryMany bounds one request's work.
const maxRetryMany = 1000

func (s *Server) retryDeliveries(c *gin.Context) {
	var req retryManyRequest
	if err := s.decodeJSON(c, &req); err != nil {
		s.fail(c, err, nil)
		return
	}
	switch {
	case len(req.IDs) > 0 && req.State != "":
		s.fail(c, invalidBody("/state", "give ids or a state, not both"), nil)
		return
	case len(req.IDs) == 0 && req.State != stateDead && req.State != stateRetrying:
		s.fail(c, invalidBody("/state", `want "dead" or "retrying" (or list ids), got %q`, req.State), nil)
		return
	case len(req.IDs) > maxRetryMany:
		s.fail(c, invalidBody("/ids", "at most %d ids per request, got %d", maxRetryMany, len(req.IDs)), nil)
		return
	}
	app := currentApp(c)
	ctx := c.Request.Context()
	out := retryManyResponse{Retried: []retryResult{}}
	ids := req.IDs
	if req.State == stateDead {
		dead, err := s.cfg.Store.Outbox.DeadLetters(ctx, app.ID, nil, maxRetryMany+1)
		if err != nil {
			s.fail(c, err, nil)
			return
		}
		for i, d := range dead {
			if i == maxRetryMany {
				out.More = true
				break
			}
			ids = append(ids, d.ID)
		}
	} else if req.State == stateRetrying {
		rows, err := s.cfg.Store.Outbox.ListRetrying(ctx, app.ID, 0, maxRetryMany+1)
		if err != nil {
			s.fail(c, err, nil)
			return
		}
		for i, d := range rows {
			if i == maxRetryMany {
				out.More = true
				break
			}
			ids = append(ids, d.ID)
		}
	}
	for _, id := range ids {
		res, err := s.retryOne(ctx, app, id)
		var ae *apiError
		if errors.As(err, &ae) && len(req.IDs) == 0 {
			continue // a state's rows that cannot be retried are skipped
		}
		if err != nil {
			s.fail(c, err, nil)
			return
		}
		out.Retried = append(out.Retried, res)
	}
	if len(out.Retried) > 0 {
		s.cfg.Effects.Wake()
	}
	c.JSON(http.StatusOK, out)
}

// discardDelivery deletes a dead letter, or a delivery that is not running.
func (s *Server) discardDelivery(c *gin.Context) {
	app := currentApp(c)
	id, err := deliveryID(c)
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	ctx := c.Request.Context()
	d, dl, err := s.findDelivery(ctx, app, id)
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	notFound := deliveryNotFound(app.Slug, strconv.FormatInt(id, 10))
	switch {
	case dl != nil:
		err = s.cfg.Store.Outbox.Discard(ctx, app.ID, id)
	case d.State == store.StateRunning:
		err = problemf(http.StatusConflict, CodeDeliveryRunning, "delivery %d is running now: wait for it to finish or fail", id)
	default:
		err = s.cfg.Store.Outbox.DiscardPending(ctx, app.ID, id)
		if errors.Is(err, store.ErrNotFound) { // claimed meanwhile
			err = problemf(http.StatusConflict, CodeDeliveryRunning, "delivery %d is running now: wait for it to finish or fail", id)
		}
	}
	if err != nil {
		s.fail(c, err, notFound)
		return
	}
	c.Status(http.StatusNoContent)
}
