package ingress

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// problem is an RFC 9457 problem document with PiCloud's code.
type problem struct {
	Type         string `json:"type"`
	Title        string `json:"title"`
	Status       int    `json:"status"`
	Code         string `json:"code"`
	Detail       string `json:"detail"`
	InvocationID string `json:"invocation_id,omitempty"`
}

func writeProblem(w http.ResponseWriter, p problem) {
	p.Type, p.Title = "about:blank", http.StatusText(p.Status)
	b, err := json.Marshal(p)
	if err != nil {
		b = []byte(`{"type":"about:blank","status":500,"code":"internal"}`)
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "application/problem+json")
	hdr.Set("Content-Length", strconv.Itoa(len(b)))
	hdr.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(p.Status)
	_, _ = w.Write(b)
}

const (
	textPlain = "text/plain; charset=utf-8"
	appJSON   = "application/json"
)

// respond writes the response the script's value describes (see the package
// documentation), or returns the problem with it.
func respond(w http.ResponseWriter, value json.RawMessage, maxBody int64) *problem {
	value = bytes.TrimSpace(value)
	status := http.StatusOK
	var body []byte
	contentType := appJSON
	var headers map[string]json.RawMessage
	switch {
	case len(value) > 0 && value[0] == '"':
		var s string
		if err := json.Unmarshal(value, &s); err != nil {
			return invalid("the script's string value is not valid JSON: %v", err)
		}
		body, contentType = []byte(s), textPlain
	case len(value) > 0 && value[0] == '{':
		var m map[string]json.RawMessage
		if err := json.Unmarshal(value, &m); err != nil {
			return invalid("the script's map value is not valid JSON: %v", err)
		}
		if !isResponseMap(m) {
			body = value
			break
		}
		if raw, ok := m["status"]; ok {
			n, err := strconv.Atoi(string(raw))
			if err != nil || n < 200 || n > 599 {
				return invalid("status %s: want an integer from 200 to 599", raw)
			}
			status = n
		}
		if raw, ok := m["headers"]; ok && string(raw) != "null" {
			if err := json.Unmarshal(raw, &headers); err != nil {
				return invalid("headers: want a map of strings")
			}
		}
		b, ct, p := responseBody(m["body"])
		if p != nil {
			return p
		}
		body, contentType = b, ct
	case len(value) == 0:
		body = []byte("null")
	default:
		body = value
	}
	if int64(len(body)) > maxBody {
		return &problem{Status: http.StatusInternalServerError, Code: CodeResponseTooLarge,
			Detail: fmt.Sprintf("the response body has %d bytes, over the app's limit of %d", len(body), maxBody)}
	}

	hdr := w.Header()
	for name, raw := range headers {
		v, ok := headerValue(raw)
		if !ok || !validHeaderName(name) || !validHeaderValue(v) {
			clear(hdr)
			return invalid("header %q: want a valid name and a string, number or bool value without line breaks", name)
		}
		switch http.CanonicalHeaderKey(name) {
		case "Content-Length", "Transfer-Encoding", "Connection", "Trailer", "Upgrade", "Keep-Alive":
			continue // the server sets these
		}
		hdr.Set(name, v)
	}
	if status == http.StatusNoContent || status == http.StatusNotModified {
		w.WriteHeader(status) // no body allowed
		return nil
	}
	if len(body) > 0 && hdr.Get("Content-Type") == "" {
		hdr.Set("Content-Type", contentType)
	}
	hdr.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
	return nil
}

// isResponseMap says whether a map value describes a response: it is not
// empty and every key is status, headers or body.
func isResponseMap(m map[string]json.RawMessage) bool {
	if len(m) == 0 {
		return false
	}
	for k := range m {
		if k != "status" && k != "headers" && k != "body" {
			return false
		}
	}
	return true
}

// responseBody is a response map's body: a string as is, nothing for
// absent or (), any other value as JSON.
func responseBody(raw json.RawMessage) ([]byte, string, *problem) {
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return nil, textPlain, nil
	case raw[0] == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, "", invalid("body: %v", err)
		}
		return []byte(s), textPlain, nil
	default:
		return raw, appJSON, nil
	}
}

// headerValue is a header's value: a string, or a number or bool written
// out.
func headerValue(raw json.RawMessage) (string, bool) {
	if len(raw) == 0 {
		return "", false
	}
	switch raw[0] {
	case '"':
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err == nil
	case '{', '[', 'n':
		return "", false
	default:
		return string(raw), true
	}
}

func invalid(format string, args ...any) *problem {
	return &problem{Status: http.StatusInternalServerError, Code: CodeInvalidResponse,
		Detail: "the script's response is not valid: " + fmt.Sprintf(format, args...)}
}

// validHeaderName reports whether name is an RFC 9110 token.
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

// validHeaderValue reports whether v has no control characters but tabs.
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}
