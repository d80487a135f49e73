package api

import (
	"strings"
	"testing"
)

func TestScripts(t *testing.T) {
	e := newEnv(t, envOptions{})
	tok := e.admin
	if r := e.do(req{method: "POST", path: "/api/v1/apps", token: tok, body: map[string]any{"slug": "shop"}}); r.code != 201 {
		t.Fatal(r)
	}
	base := "/api/v1/apps/shop/scripts/"

	// First upload, as JSON: creates the script, version 1 active, with its
	// default endpoint.
	r := e.do(req{method: "PUT", path: base + "hello", token: tok, body: map[string]any{"source": `"v1"`}})
	if r.code != 201 || r.num("version") != 1 || r.body["active"] != true || r.body["created"] != true ||
		r.body["previous_version"] != nil || r.str("endpoint") != testPublicURL+"/shop/hello" ||
		r.header.Get("Location") != base+"hello/versions/1" || !strings.Contains(r.str("message"), "version 1 of shop/hello is now active") {
		t.Fatalf("first upload: %s", r)
	}
	// Second, as text/plain with POST.
	r = e.do(req{method: "POST", path: base + "hello", token: tok, body: "let x = 2;\n`v${x}`", contentType: "text/plain; charset=utf-8"})
	if r.code != 201 || r.num("version") != 2 || r.body["created"] != false || r.num("previous_version") != 1 {
		t.Fatalf("second upload: %s", r)
	}

	// A source that does not parse: positioned error, nothing stored.
	r = e.do(req{method: "PUT", path: base + "hello", token: tok, body: map[string]any{"source": "let x = 1;\nlet y = (2 + ;\n"}})
	problemCode(t, r, 400, CodeScriptParseError)
	if r.num("line") != 2 || r.num("column") == 0 || r.str("message") == "" ||
		!strings.Contains(r.str("rendered"), "hello:2:") || !strings.Contains(r.str("rendered"), "^") {
		t.Fatalf("parse error: %s", r)
	}
	if r := e.do(req{method: "GET", path: base + "hello", token: tok}); r.num("latest_version") != 2 || r.num("active_version") != 2 {
		t.Fatalf("a failed upload changed the script: %s", r)
	}
	problemCode(t, e.do(req{method: "PUT", path: base + "broken", token: tok, body: "fn (", contentType: "text/plain"}), 400, CodeScriptParseError)
	problemCode(t, e.do(req{method: "GET", path: base + "broken", token: tok}), 404, CodeScriptNotFound)
	problemCode(t, e.do(req{method: "PUT", path: base + "empty", token: tok, body: map[string]any{"source": "  \n"}}), 400, CodeInvalidField)
	problemCode(t, e.do(req{method: "PUT", path: base + "nosource", token: tok, body: map[string]any{}}), 400, CodeInvalidField)
	problemCode(t, e.do(req{method: "PUT", path: base + "Bad.Name", token: tok, body: map[string]any{"source": "1"}}), 400, CodeInvalidField)
	problemCode(t, e.do(req{method: "PUT", path: base + "x", token: tok, body: []byte{0xff, 0xfe}, contentType: "text/plain"}), 400, CodeInvalidField)
	problemCode(t, e.do(req{method: "PUT", path: base + "x", token: tok, body: "1", contentType: "application/octet-stream"}), 415, CodeUnsupportedMediaType)
	if r := e.do(req{method: "GET", path: "/api/v1/apps/shop/scripts", token: tok}); len(r.items()) != 1 {
		t.Fatalf("failed uploads left scripts: %s", r)
	}

	// Get with versions, one version's source.
	r = e.do(req{method: "GET", path: base + "hello", token: tok})
	versions, _ := r.body["versions"].([]any)
	if r.code != 200 || len(versions) != 2 || versions[0].(map[string]any)["number"] != float64(2) || versions[0].(map[string]any)["active"] != true {
		t.Fatalf("get: %s", r)
	}
	r = e.do(req{method: "GET", path: base + "hello/versions/1", token: tok})
	if r.code != 200 || r.str("source") != `"v1"` || r.body["active"] != false || len(r.str("sha256")) != 64 {
		t.Fatalf("version 1: %s", r)
	}
	r = e.do(req{method: "GET", path: base + "hello/versions/2", token: tok, header: map[string]string{"Accept": "text/plain"}})
	if r.code != 200 || string(r.raw) != "let x = 2;\n`v${x}`" || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
		t.Fatalf("version 2 as text: %d %q", r.code, r.raw)
	}
	problemCode(t, e.do(req{method: "GET", path: base + "hello/versions/3", token: tok}), 404, CodeVersionNotFound)
	problemCode(t, e.do(req{method: "GET", path: base + "hello/versions/x", token: tok}), 404, CodeVersionNotFound)
	if r := e.do(req{method: "GET", path: base + "hello/versions", token: tok}); len(r.items()) != 2 {
		t.Fatalf("versions: %s", r)
	}

	// Roll back, and forward again.
	r = e.do(req{method: "POST", path: base + "hello/versions/1/activate", token: tok})
	if r.code != 200 || r.num("active_version") != 1 || r.num("latest_version") != 2 {
		t.Fatalf("activate 1: %s", r)
	}
	problemCode(t, e.do(req{method: "POST", path: base + "hello/versions/9/activate", token: tok}), 404, CodeVersionNotFound)
	if r := e.do(req{method: "GET", path: base + "hello", token: tok}); r.num("active_version") != 1 {
		t.Fatalf("a failed activation changed the script: %s", r)
	}

	// A trigger takes the default endpoint away.
	if r := e.do(req{method: "POST", path: "/api/v1/apps/shop/triggers/http", token: tok, body: map[string]any{"script": "hello", "path": "/hi"}}); r.code != 201 {
		t.Fatal(r)
	}
	r = e.do(req{method: "GET", path: "/api/v1/apps/shop/scripts", token: tok})
	if it := r.items(); len(it) != 1 || it[0]["endpoint"] != nil {
		t.Fatalf("a triggered script lists an endpoint: %s", r)
	}
	if r := e.do(req{method: "PUT", path: base + "hello", token: tok, body: map[string]any{"source": "3"}}); r.body["endpoint"] != nil || strings.Contains(r.str("message"), "answers") {
		t.Fatalf("upload of a triggered script: %s", r)
	}

	// Pages of scripts.
	for _, n := range []string{"a", "b", "c"} {
		e.do(req{method: "PUT", path: base + n, token: tok, body: map[string]any{"source": "1"}})
	}
	r = e.do(req{method: "GET", path: "/api/v1/apps/shop/scripts?limit=3", token: tok})
	r2 := e.do(req{method: "GET", path: "/api/v1/apps/shop/scripts?limit=3&cursor=" + r.str("next_cursor"), token: tok})
	if len(r.items()) != 3 || len(r2.items()) != 1 || r2.items()[0]["name"] != "hello" || r2.str("next_cursor") != "" {
		t.Fatalf("pages: %s then %s", r, r2)
	}
	appsCursor := encodeCursor(cursorKey{List: "apps", Name: "a"})
	problemCode(t, e.do(req{method: "GET", path: "/api/v1/apps/shop/scripts?cursor=" + appsCursor, token: tok}), 400, CodeInvalidCursor)

	// Delete takes the triggers along.
	if r := e.do(req{method: "DELETE", path: base + "hello", token: tok}); r.code != 204 {
		t.Fatal(r)
	}
	problemCode(t, e.do(req{method: "GET", path: base + "hello", token: tok}), 404, CodeScriptNotFound)
	if r := e.do(req{method: "GET", path: "/api/v1/apps/shop/triggers", token: tok}); len(r.items()) != 0 {
		t.Fatalf("triggers outlived their script: %s", r)
	}
}
