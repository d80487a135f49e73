package api

import (
	"net/http"
	"strings"
	"testing"
)

// Bodies are read strictly, and every way a body can be wrong is a clear
// 4xx problem document.
func TestStrictJSON(t *testing.T) {
	e := newEnv(t, envOptions{cfg: Config{MaxBodyBytes: 1024}})
	tok := e.admin
	post := func(body, contentType string) resp {
		t.Helper()
		return e.do(req{method: "POST", path: "/api/v1/apps", token: tok, body: body, contentType: contentType})
	}

	r := post(`{"slug": "a",}`, "application/json")
	problemCode(t, r, 400, CodeMalformedJSON)
	if r.num("offset") != 14 || !strings.Contains(r.str("detail"), "byte 14") {
		t.Errorf("malformed: %s, want offset 14", r)
	}
	r = post(`{"slug": "a"`, "application/json")
	problemCode(t, r, 400, CodeMalformedJSON)
	if r.num("offset") != 12 {
		t.Errorf("truncated: %s, want offset 12", r)
	}
	problemCode(t, post(``, "application/json"), 400, CodeMalformedJSON)
	problemCode(t, post(`{"slug": "a"} {}`, "application/json"), 400, CodeMalformedJSON)

	r = post(`{"slug": "a", "colour": "red"}`, "application/json")
	problemCode(t, r, 400, CodeUnknownField)
	if r.str("pointer") != "/colour" {
		t.Errorf("unknown field: %s, want pointer /colour", r)
	}
	r = post(`{"slug": "a", "limits": {"timeout_ms": "fast"}}`, "application/json")
	problemCode(t, r, 400, CodeWrongType)
	if r.str("pointer") != "/limits/timeout_ms" {
		t.Errorf("wrong type: %s, want pointer /limits/timeout_ms", r)
	}
	r = post(`{"slug": "a", "limits": {"memory_pages": 99999999999}}`, "application/json")
	problemCode(t, r, 400, CodeWrongType)
	problemCode(t, post(`["slug"]`, "application/json"), 400, CodeWrongType)

	r = post(`{"slug": "`+strings.Repeat("a", 2000)+`"}`, "application/json")
	problemCode(t, r, http.StatusRequestEntityTooLarge, CodeBodyTooLarge)
	problemCode(t, post(`slug=a`, "application/x-www-form-urlencoded"), http.StatusUnsupportedMediaType, CodeUnsupportedMediaType)

	// Nothing of the rejected requests was stored.
	if r := e.do(req{method: "GET", path: "/api/v1/apps", token: tok}); len(r.items()) != 0 {
		t.Fatalf("rejected requests stored apps: %s", r)
	}
	// A JSON subtype and no Content-Type at all are read as JSON.
	if r := post(`{"slug": "a"}`, "application/merge-patch+json"); r.code != 201 {
		t.Fatalf("+json: %s", r)
	}
	if r := post(`{"slug": "b"}`, ""); r.code != 201 {
		t.Fatalf("no Content-Type: %s", r)
	}
}

func TestMethodNotAllowed(t *testing.T) {
	e := newEnv(t, envOptions{})
	r := e.do(req{method: "PUT", path: "/api/v1/apps", token: e.admin})
	if r.code != 405 || r.str("code") != CodeMethodNotAllowed || !strings.Contains(r.header.Get("Allow"), "GET") {
		t.Fatalf("PUT /api/v1/apps: %s %v", r, r.header)
	}
	problemCode(t, e.do(req{method: "GET", path: "/api/v1/nothing", token: e.admin}), 404, CodeNotFound)
}
