package api

import (
	"testing"
)

func TestCheckScript(t *testing.T) {
	e := newEnv(t, envOptions{})
	check := func(body any) resp {
		t.Helper()
		return e.do(req{method: "POST", path: "/api/v1/scripts/check", token: e.admin, body: body})
	}

	r := check(map[string]any{"source": "let x = 1;\nx + 1\n"})
	if r.code != 200 || r.body["valid"] != true || r.body["error"] != nil {
		t.Fatalf("valid source: %s", r)
	}

	// The error an upload would get, positioned.
	r = check(map[string]any{"source": "let x = 1;\nlet = 2;\n"})
	if r.code != 200 || r.body["valid"] != false {
		t.Fatalf("invalid source: %s", r)
	}
	got, _ := r.body["error"].(map[string]any)
	if got["line"] != float64(2) || got["column"] != float64(5) || got["message"] == "" {
		t.Errorf("error = %v, want line 2, column 5 and a message", got)
	}
	if rendered, _ := got["rendered"].(string); rendered == "" {
		t.Errorf("rendered is empty: %v", got)
	}
	// ... the same as an upload of that source gets.
	if r := e.do(req{method: "POST", path: "/api/v1/apps", token: e.admin, body: map[string]any{"slug": "shop"}}); r.code != 201 {
		t.Fatal(r)
	}
	up := e.do(req{method: "PUT", path: "/api/v1/apps/shop/scripts/s", token: e.admin, body: map[string]any{"source": "let x = 1;\nlet = 2;\n"}})
	problemCode(t, up, 400, CodeScriptParseError)
	if up.body["line"] != got["line"] || up.body["column"] != got["column"] || up.body["message"] != got["message"] {
		t.Errorf("upload's error %s, check's %v", up, got)
	}

	r = check(map[string]any{"source": "  \n"})
	if r.code != 200 || r.body["valid"] != false {
		t.Errorf("empty source: %s", r)
	}
	problemCode(t, check(map[string]any{}), 400, CodeInvalidField)
	problemCode(t, check(map[string]any{"source": 1}), 400, CodeWrongType)
	problemCode(t, e.do(req{method: "POST", path: "/api/v1/scripts/check", body: map[string]any{"source": "1"}}), 401, CodeUnauthenticated)
}
