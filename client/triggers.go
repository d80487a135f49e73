package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
)

// Trigger kinds.
const (
	KindHTTP       = "http"
	KindCron       = "cron"
	KindPubsub     = "pubsub"
	KindQueue      = "queue"
	KindKV         = "kv"
	KindDeadletter = "deadletter"
)

// CreateTrigger creates a trigger of kind for the app; t carries the
// member of that kind.
func (c *Client) CreateTrigger(ctx context.Context, app, kind string, t NewTrigger) (Trigger, error) {
	body := map[string]any{"script": t.Script}
	if t.Enabled != nil {
		body["enabled"] = *t.Enabled
	}
	if t.MaxAttempts != nil {
		body["max_attempts"] = *t.MaxAttempts
	}
	switch {
	case kind == KindHTTP && t.HTTP != nil:
		if t.HTTP.Method != "" {
			body["method"] = t.HTTP.Method
		}
		body["path"] = t.HTTP.Path
	case kind == KindCron && t.Cron != nil:
		body["schedule"] = t.Cron.Schedule
		if t.Cron.TimeZone != "" {
			body["time_zone"] = t.Cron.TimeZone
		}
	case kind == KindPubsub && t.Pubsub != nil:
		body["pattern"] = t.Pubsub.Pattern
	case kind == KindQueue && t.Queue != nil:
		body["queue"] = t.Queue.Queue
	case kind == KindKV && t.KV != nil:
		body["key_pattern"] = t.KV.KeyPattern
		if len(t.KV.Ops) > 0 {
			body["ops"] = t.KV.Ops
		}
	case kind == KindDeadletter:
		if t.Deadletter != nil && t.Deadletter.SourceKind != nil {
			body["source_kind"] = *t.Deadletter.SourceKind
		}
	default:
		return Trigger{}, fmt.Errorf("client: a %s trigger needs its %s details", kind, kind)
	}
	var out Trigger
	err := c.call(ctx, http.MethodPost, "/apps/"+pathEscape(app)+"/triggers/"+pathEscape(kind), nil, body, &out)
	return out, err
}

// Triggers lists an app's triggers, oldest first: of one kind, or of all
// when kind is "".
func (c *Client) Triggers(ctx context.Context, app, kind string) ([]Trigger, error) {
	q := url.Values{}
	if kind != "" {
		q.Set("kind", kind)
	}
	return all[Trigger](ctx, c, "/apps/"+pathEscape(app)+"/triggers", q)
}

// TriggerByID finds one of the app's triggers by id, whatever its kind.
func (c *Client) TriggerByID(ctx context.Context, app string, id int64) (Trigger, error) {
	ts, err := c.Triggers(ctx, app, "")
	if err != nil {
		return Trigger{}, err
	}
	for _, t := range ts {
		if t.ID == id {
			return t, nil
		}
	}
	return Trigger{}, &Error{Status: http.StatusNotFound, Code: "trigger_not_found", Title: "Not Found",
		Detail: fmt.Sprintf("app %q has no trigger %d", app, id)}
}

func triggerPath(app string, t Trigger) string {
	return fmt.Sprintf("/apps/%s/triggers/%s/%d", pathEscape(app), pathEscape(t.Kind), t.ID)
}

// SetTriggerEnabled enables or disables the trigger with that id.
func (c *Client) SetTriggerEnabled(ctx context.Context, app string, id int64, enabled bool) (Trigger, error) {
	t, err := c.TriggerByID(ctx, app, id)
	if err != nil {
		return Trigger{}, err
	}
	action := "/disable"
	if enabled {
		action = "/enable"
	}
	var out Trigger
	err = c.call(ctx, http.MethodPost, triggerPath(app, t)+action, nil, nil, &out)
	return out, err
}

// DeleteTrigger deletes the trigger with that id and its pending
// deliveries.
func (c *Client) DeleteTrigger(ctx context.Context, app string, id int64) error {
	t, err := c.TriggerByID(ctx, app, id)
	if err != nil {
		return err
	}
	return c.call(ctx, http.MethodDelete, triggerPath(app, t), nil, nil, nil)
}
