package runtime

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/picloud/picloud/egress"
)

// TestHTTPThroughSandbox runs http:: calls from a script against a loopback
// httptest server, reached through the test-only policy that allows
// loopback; nothing leaves the machine.
func TestHTTPThroughSandbox(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/json":
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"x": 1, "name": "pi"}`)
		case "/echo":
			b, _ := io.ReadAll(r.Body)
			w.Header().Set("X-Method", r.Method)
			fmt.Fprintf(w, "%s|%s|%s|%s", r.Method, r.Header.Get("Content-Type"), r.Header.Get("X-Key"), b)
		case "/private":
			http.Redirect(w, r, "http://10.0.0.1/", http.StatusFound)
		case "/big":
			fmt.Fprint(w, strings.Repeat("z", 4096))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	h := newHost(t, Config{})

	run := func(t *testing.T, p egress.Policy, src string) (Result, []egress.Record) {
		t.Helper()
		c := p.NewClient(time.Time{})
		defer c.Close()
		src = strings.ReplaceAll(src, "URL", srv.URL)
		res, err := h.Invoke(context.Background(), Request{App: "http", Script: "main", Version: versionOf(src), Source: src, HTTP: c, Limits: Limits{Concurrency: 1}})
		if err != nil && res.Outcome == OutcomeOK {
			t.Fatalf("Invoke: %v", err)
		}
		return res, c.Records()
	}
	loopback := egress.Policy{AllowLoopback: true}

	for _, tc := range []struct{ name, src, want string }{
		{"get json", `let r = http::get("URL/json"); [r.status, r.json.x, r.json.name, r.headers["content-type"]]`, `[200,1,"pi","application/json"]`},
		{"get headers", `let r = http::get("URL/echo", #{headers: #{"X-Key": "k1"}}); r.body`, `"GET||k1|"`},
		{"get no json", `let r = http::get("URL/echo"); "json" in r`, `false`},
		{"post string", `http::post("URL/echo", "hello").body`, `"POST|||hello"`},
		{"post map", `http::post("URL/echo", #{a: [1, 2]}).body`, `"POST|application/json||{\"a\":[1,2]}"`},
		{"request", `let r = http::request(#{method: "PUT", url: "URL/echo", headers: #{"X-Key": "v"}, body: "b", timeout: 5}); [r.status, r.body, r.headers["x-method"]]`, `[200,"PUT||v|b","PUT"]`},
		{"not found", `http::get("URL/nope").status`, `404`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, recs := run(t, loopback, tc.src)
			if res.Outcome != OutcomeOK || string(res.Value) != tc.want {
				t.Fatalf("got %s %s (%v), want %s", res.Outcome, res.Value, res.Error, tc.want)
			}
			if len(recs) != 1 || recs[0].Host != "127.0.0.1" || recs[0].Status == 0 {
				t.Fatalf("records = %+v", recs)
			}
		})
	}

	// Failures are catchable errors whose message starts with the kind.
	for _, tc := range []struct {
		name   string
		policy egress.Policy
		src    string
		kind   string
	}{
		{"loopback by default", egress.Policy{}, `http::get("URL/json")`, "blocked"},
		{"metadata", loopback, `http::get("http://169.254.169.254/latest/meta-data/")`, "blocked"},
		{"private", loopback, `http::get("http://192.168.1.1/")`, "blocked"},
		{"redirect to private", loopback, `http::get("URL/private")`, "blocked"},
		{"allowlist", egress.Policy{AllowLoopback: true, Allowlist: []string{"api.example.com"}}, `http::get("URL/json")`, "blocked"},
		{"too large", egress.Policy{AllowLoopback: true, MaxResponseBytes: 100}, `http::get("URL/big")`, "too_large"},
		{"too many", egress.Policy{AllowLoopback: true, MaxRequests: 2}, `http::get("URL/json"); http::get("URL/json"); http::get("URL/json")`, "too_many_requests"},
		{"bad scheme", loopback, `http::get("file:///etc/passwd")`, "blocked"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := `let out = "no error"; try { ` + tc.src + `; } catch (e) { out = e } out`
			res, _ := run(t, tc.policy, src)
			if res.Outcome != OutcomeOK || !strings.HasPrefix(string(res.Value), `"`+tc.kind+`:`) {
				t.Fatalf("got %s %s (%v), want a %s error", res.Outcome, res.Value, res.Error, tc.kind)
			}
		})
	}

	// Without an HTTP client the functions fail, catchably.
	src := `let out = ""; try { http::get("` + srv.URL + `/json"); } catch (e) { out = e } out`
	res, err := h.Invoke(context.Background(), Request{App: "http", Script: "main", Version: versionOf(src), Source: src, Limits: Limits{Concurrency: 1}})
	if err != nil || !strings.HasPrefix(string(res.Value), `"blocked: `) {
		t.Fatalf("no client: %s %v", res.Value, err)
	}
}
