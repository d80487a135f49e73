package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Durable events: publish, queue push, the KV store and deliveries.

// Published is the answer to a publish.
type Published struct {
	MessageID string `json:"message_id"`
	Topic     string `json:"topic"`
	// Deliveries is the fan-out: one per matching enabled pubsub trigger;
	// 0 when none matches.
	Deliveries int64 `json:"deliveries"`
}

// Publish publishes message (any JSON value) to topic in app.
func (c *Client) Publish(ctx context.Context, app, topic string, message json.RawMessage) (Published, error) {
	var out Published
	err := c.call(ctx, http.MethodPost, "/apps/"+pathEscape(app)+"/pubsub/publish", nil,
		map[string]any{"topic": topic, "message": message}, &out)
	return out, err
}

// Pushed is the answer to a queue push.
type Pushed struct {
	MessageID  string    `json:"message_id"`
	Queue      string    `json:"queue"`
	DeliveryID int64     `json:"delivery_id"`
	Waiting    bool      `json:"waiting"` // the queue has no consumer trigger yet
	RunAt      time.Time `json:"run_at"`
}

// Push pushes payload (any JSON value) to app's queue, deliverable after
// delay.
func (c *Client) Push(ctx context.Context, app, queue string, payload json.RawMessage, delay time.Duration) (Pushed, error) {
	body := map[string]any{"payload": payload}
	if delay > 0 {
		body["delay"] = delay.Seconds()
	}
	var out Pushed
	err := c.call(ctx, http.MethodPost, "/apps/"+pathEscape(app)+"/queues/"+pathEscape(queue)+"/push", nil, body, &out)
	return out, err
}

// KVEntry is one key of an app's KV store.
type KVEntry struct {
	Key       string          `json:"key"`
	Value     json.RawMessage `json:"value"`
	UpdatedAt *time.Time      `json:"updated_at,omitempty"`
}

// KVGet returns one key (an *Error with code kv_key_not_found when absent).
func (c *Client) KVGet(ctx context.Context, app, key string) (KVEntry, error) {
	var out KVEntry
	err := c.call(ctx, http.MethodGet, "/apps/"+pathEscape(app)+"/kv/"+pathEscape(key), nil, nil, &out)
	return out, err
}

// KVSet stores value (any JSON value) under key; the app's kv triggers
// fire.
func (c *Client) KVSet(ctx context.Context, app, key string, value json.RawMessage) (KVEntry, error) {
	var out KVEntry
	err := c.call(ctx, http.MethodPut, "/apps/"+pathEscape(app)+"/kv/"+pathEscape(key), nil, map[string]any{"value": value}, &out)
	return out, err
}

// KVDelete deletes key (kv_key_not_found when absent).
func (c *Client) KVDelete(ctx context.Context, app, key string) error {
	return c.call(ctx, http.MethodDelete, "/apps/"+pathEscape(app)+"/kv/"+pathEscape(key), nil, nil, nil)
}

// KVList returns up to limit keys starting with prefix (0: every one), in
// byte order.
func (c *Client) KVList(ctx context.Context, app, prefix string, limit int) ([]KVEntry, error) {
	q := url.Values{}
	if prefix != "" {
		q.Set("prefix", prefix)
	}
	return upTo[KVEntry](ctx, c, "/apps/"+pathEscape(app)+"/kv", q, limit)
}

// Delivery is a delivery in the outbox or a dead letter.
type Delivery struct {
	ID          int64           `json:"id"`
	State       string          `json:"state"` // pending, retrying, running, waiting, dead
	Kind        string          `json:"kind"`
	TriggerID   *int64          `json:"trigger_id"`
	Script      *string         `json:"script"`
	Queue       string          `json:"queue,omitempty"`
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

// Deliveries lists up to limit (0: every one) of an app's deliveries in
// state (pending, retrying, running, waiting or dead; "" for all in the
// outbox).
func (c *Client) Deliveries(ctx context.Context, app, state string, limit int) ([]Delivery, error) {
	q := url.Values{}
	if state != "" {
		q.Set("state", state)
	}
	return upTo[Delivery](ctx, c, "/apps/"+pathEscape(app)+"/deliveries", q, limit)
}

// Retried is one retried delivery: a replayed dead letter gets a new ID.
type Retried struct {
	ID         int64  `json:"id"`
	PreviousID int64  `json:"previous_id"`
	State      string `json:"state"`
}

// RetryDelivery retries one delivery: a dead letter is replayed, a
// pending one runs now.
func (c *Client) RetryDelivery(ctx context.Context, app string, id int64) (Retried, error) {
	var out Retried
	err := c.call(ctx, http.MethodPost, "/apps/"+pathEscape(app)+"/deliveries/"+strconv.FormatInt(id, 10)+"/retry", nil, nil, &out)
	return out, err
}

// RetryDeliveries retries the listed deliveries, or when ids is empty
// every delivery in state ("dead" or "retrying"), up to 1000 per call;
// more says there are more.
func (c *Client) RetryDeliveries(ctx context.Context, app string, ids []int64, state string) (retried []Retried, more bool, err error) {
	body := map[string]any{}
	if len(ids) > 0 {
		body["ids"] = ids
	} else {
		body["state"] = state
	}
	var out struct {
		Retried []Retried `json:"retried"`
		More    bool      `json:"more"`
	}
	err = c.call(ctx, http.MethodPost, "/apps/"+pathEscape(app)+"/deliveries/retry", nil, body, &out)
	return out.Retried, out.More, err
}

// DiscardDelivery deletes a dead letter, or a delivery that is not
// running.
func (c *Client) DiscardDelivery(ctx context.Context, app string, id int64) error {
	return c.call(ctx, http.MethodDelete, "/apps/"+pathEscape(app)+"/deliveries/"+strconv.FormatInt(id, 10), nil, nil, nil)
}

// upTo fetches pages of a list until it has limit items (0: all of them).
func upTo[T any](ctx context.Context, c *Client, path string, query url.Values, limit int) ([]T, error) {
	if limit <= 0 {
		return all[T](ctx, c, path, query)
	}
	out := []T{}
	for len(out) < limit {
		query.Set("limit", strconv.Itoa(min(200, limit-len(out))))
		var p page[T]
		if err := c.call(ctx, http.MethodGet, path, query, nil, &p); err != nil {
			return nil, err
		}
		out = append(out, p.Items...)
		if p.NextCursor == "" {
			break
		}
		query.Set("cursor", p.NextCursor)
	}
	return out, nil
}
