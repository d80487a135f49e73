package client

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Invocations returns one page of an app's invocations, newest first,
// without their event, result and logs.
func (c *Client) Invocations(ctx context.Context, app string, f InvocationFilter) (InvocationPage, error) {
	q := url.Values{}
	for k, v := range map[string]string{
		"script": f.Script, "outcome": f.Outcome, "trigger_kind": f.TriggerKind,
		"since": f.Since, "until": f.Until, "cursor": f.Cursor,
	} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	var out InvocationPage
	err := c.call(ctx, http.MethodGet, "/apps/"+pathEscape(app)+"/invocations", q, nil, &out)
	return out, err
}

// Invocation returns one invocation with its event, result and logs.
func (c *Client) Invocation(ctx context.Context, app, id string) (Invocation, error) {
	var out Invocation
	err := c.call(ctx, http.MethodGet, "/apps/"+pathEscape(app)+"/invocations/"+pathEscape(id), nil, nil, &out)
	return out, err
}

// ErrTailEnded is Tail's error when the server ends the stream (it shuts
// down).
var ErrTailEnded = errors.New("client: the server ended the live tail")

// Tail follows an app's invocations (of one script, unless script is "")
// as they finish, calling fn with each, with its logs, until ctx is done
// (Tail then returns nil), fn returns an error (returned), or the stream
// ends (ErrTailEnded). connected, when not nil, is called once the stream
// is open.
func (c *Client) Tail(ctx context.Context, app, script string, connected func(), fn func(Invocation) error) error {
	q := url.Values{}
	if script != "" {
		q.Set("script", script)
	}
	resp, err := c.send(ctx, http.MethodGet, "/apps/"+pathEscape(app)+"/invocations/stream", q, nil, "")
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	defer resp.Body.Close()
	if connected != nil {
		connected()
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	var event string
	var data strings.Builder
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if event == "invocation" && data.Len() > 0 {
				var inv Invocation
				if err := json.Unmarshal([]byte(data.String()), &inv); err != nil {
					return fmt.Errorf("client: live tail: %w", err)
				}
				if err := fn(inv); err != nil {
					return err
				}
			}
			event = ""
			data.Reset()
		case strings.HasPrefix(line, ":"): // a comment: connected, heartbeat
		default:
			field, value, _ := strings.Cut(line, ":")
			value = strings.TrimPrefix(value, " ")
			switch field {
			case "event":
				event = value
			case "data":
				if data.Len() > 0 {
					data.WriteByte('\n')
				}
				data.WriteString(value)
			}
		}
	}
	if ctx.Err() != nil {
		return nil
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("client: live tail: %w", err)
	}
	return ErrTailEnded
}
