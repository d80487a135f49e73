package ingress

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

// event is ctx.event of an HTTP invocation.
type event struct {
	Kind string       `json:"kind"`
	HTTP requestEvent `json:"http"`
}

type requestEvent struct {
	Method  string            `json:"method"`
	Path    string            `json:"path"`
	Params  map[string]string `json:"params"`
	Query   map[string]string `json:"query"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
	JSON    json.RawMessage   `json:"json,omitempty"`
}

// httpEvent encodes the request as ctx.event. params are the route's, as
// matched on the escaped path.
func httpEvent(r *http.Request, path string, params map[string]string, body []byte) ([]byte, error) {
	e := event{Kind: "http", HTTP: requestEvent{
		Method: r.Method, Path: path, Params: params,
		Query:   map[string]string{},
		Headers: make(map[string]string, len(r.Header)+1),
		Body:    string(body),
	}}
	for k, v := range params {
		if u, err := url.PathUnescape(v); err == nil {
			params[k] = u
		}
	}
	if r.URL.RawQuery != "" {
		for k, vs := range r.URL.Query() {
			e.HTTP.Query[k] = vs[0]
		}
	}
	for k, vs := range r.Header {
		e.HTTP.Headers[strings.ToLower(k)] = strings.Join(vs, ", ")
	}
	if r.Host != "" {
		e.HTTP.Headers["host"] = r.Host
	}
	if len(body) > 0 && json.Valid(body) {
		e.HTTP.JSON = body
	}
	return json.Marshal(e)
}

// unescape is the decoded form of an escaped path, for messages.
func unescape(p string) string {
	if u, err := url.PathUnescape(p); err == nil {
		return u
	}
	return p
}
