package client_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.uber.org/goleak"

	"github.com/picloud/picloud/client"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func serve(t *testing.T, h http.HandlerFunc) *client.Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := client.New(client.Config{URL: srv.URL + "/", Token: "pct_x"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Problem documents become *Error with their members; other failures get
// a code from their status.
func TestErrors(t *testing.T) {
	c := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer pct_x" {
			t.Errorf("Authorization = %q", r.Header.Get("Authorization"))
		}
		switch r.URL.Path {
		case "/api/v1/apps/shop/scripts/bad":
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(400)
			fmt.Fprint(w, `{"type":"about:blank","title":"Bad Request","status":400,"code":"script_parse_error","detail":"hello:1:9: unexpected ;","line":1,"column":9,"rendered":"let x = ;\n        ^"}`)
		default:
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(502)
			fmt.Fprint(w, "<html>bad gateway</html>")
		}
	})
	_, err := c.Deploy(t.Context(), "shop", "bad", "let x = ;")
	var e *client.Error
	if !errors.As(err, &e) || e.Status != 400 || e.Code != "script_parse_error" || e.Line != 1 || e.Column != 9 ||
		err.Error() != "script_parse_error: hello:1:9: unexpected ;" || !client.IsCode(err, "script_parse_error") {
		t.Fatalf("Deploy = %#v", err)
	}
	_, err = c.Apps(t.Context())
	if !errors.As(err, &e) || e.Status != 502 || e.Code != "bad_gateway" || e.Detail != "the server answered 502 Bad Gateway" {
		t.Fatalf("Apps = %#v", err)
	}
	if _, err := client.New(client.Config{URL: "ftp://x"}); err == nil {
		t.Fatal("an ftp URL was accepted")
	}
}

// Lists follow next_cursor to the end.
func TestPages(t *testing.T) {
	c := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Query().Get("cursor") {
		case "":
			fmt.Fprint(w, `{"items":[{"slug":"a"}],"next_cursor":"c1"}`)
		case "c1":
			fmt.Fprint(w, `{"items":[{"slug":"b"}]}`)
		}
	})
	apps, err := c.Apps(t.Context())
	if err != nil || len(apps) != 2 || apps[0].Slug != "a" || apps[1].Slug != "b" {
		t.Fatalf("Apps = %+v, %v", apps, err)
	}
}

// Tail reads server-sent events: comments, multi-line data, and the end of
// the stream.
func TestTail(t *testing.T) {
	c := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("script") != "hello" {
			t.Errorf("query = %q", r.URL.RawQuery)
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, ": connected\nretry: 2000\n\n")
		fmt.Fprint(w, "event: invocation\nid: 1\ndata: {\"id\":\"1\",\"script\":\"hello\",\n")
		fmt.Fprint(w, "data: \"logs\":[{\"level\":\"info\",\"message\":\"hi\"}]}\n\n")
		fmt.Fprint(w, ": heartbeat\n\nevent: other\ndata: {}\n\n")
		fmt.Fprint(w, "event: invocation\ndata: {\"id\":\"2\"}\n\n")
	})
	var got []client.Invocation
	connected := false
	err := c.Tail(t.Context(), "shop", "hello", func() { connected = true }, func(inv client.Invocation) error {
		got = append(got, inv)
		return nil
	})
	if !errors.Is(err, client.ErrTailEnded) || !connected {
		t.Fatalf("Tail = %v (connected %v), want ErrTailEnded", err, connected)
	}
	if len(got) != 2 || got[0].Script != "hello" || len(got[0].Logs) != 1 || got[0].Logs[0].Message != "hi" || got[1].ID != "2" {
		t.Fatalf("events = %+v", got)
	}
	// An error from fn ends the tail with it; a canceled context ends it
	// quietly.
	stop := errors.New("stop")
	if err := c.Tail(t.Context(), "shop", "hello", nil, func(client.Invocation) error { return stop }); !errors.Is(err, stop) {
		t.Fatalf("Tail = %v, want stop", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := c.Tail(ctx, "shop", "hello", nil, func(client.Invocation) error { return nil }); err != nil {
		t.Fatalf("Tail after cancel = %v", err)
	}
}
