package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/picloud/picloud/db/dbtest"
)

// The operator's admin secret the CLI tests start the server with.
const testAdminSecret = "pct_cli_test_secret_0123456789abcdef"

// cliEnv is a picloud serve running in-process and the client flags that
// reach it.
type cliEnv struct {
	t   *testing.T
	srv *server
}

func newCLIEnv(t *testing.T) *cliEnv {
	t.Helper()
	t.Setenv("PICLOUD_ADMIN_TOKEN", testAdminSecret)
	// The client reads these too: the flags the tests pass must win, and
	// nothing from the caller's environment may leak in.
	t.Setenv("PICLOUD_URL", "")
	t.Setenv("PICLOUD_TOKEN", "")
	s := startServe(t, "--data", dataDir(t), "--database-url", dbtest.EmptyURL(t))
	return &cliEnv{t: t, srv: s}
}

// run runs picloud with args against the server and returns its standard
// output, standard error and error.
func (e *cliEnv) run(args ...string) (stdout, stderr string, err error) {
	e.t.Helper()
	out, errOut := newOutput(), newOutput()
	args = append(args, "--url", "http://"+e.srv.admin, "--token", testAdminSecret)
	err = run(e.t.Context(), args, out, errOut)
	if err != nil && strings.Contains(err.Error(), "\n") {
		e.t.Errorf("picloud %s: the error spans lines: %q", strings.Join(args, " "), err)
	}
	return out.String(), errOut.String(), err
}

// ok runs picloud with args, which must succeed, and returns its output.
func (e *cliEnv) ok(args ...string) string {
	e.t.Helper()
	out, errOut, err := e.run(args...)
	if err != nil {
		e.t.Fatalf("picloud %s: %v\n%s%s", strings.Join(args, " "), err, out, errOut)
	}
	return out
}

// fails runs picloud with args, which must fail with the exit status and an
// error starting with prefix.
func (e *cliEnv) fails(status int, prefix string, args ...string) string {
	e.t.Helper()
	out, _, err := e.run(args...)
	if err == nil {
		e.t.Fatalf("picloud %s succeeded:\n%s", strings.Join(args, " "), out)
	}
	got := 1
	var ec interface{ ExitCode() int }
	if errors.As(err, &ec) {
		got = ec.ExitCode()
	}
	if got != status || !strings.HasPrefix(err.Error(), prefix) {
		e.t.Fatalf("picloud %s: exit %d %q, want exit %d and %q…", strings.Join(args, " "), got, err, status, prefix)
	}
	return out
}

// jsonOf decodes a command's --json output.
func jsonOf[T any](t *testing.T, out string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("--json output %q: %v", out, err)
	}
	return v
}

// eventually polls fn every 10ms until it holds, for up to 30 seconds:
// for what the server does in the background (the ingress reloading after
// a NOTIFY, the recorder writing a batch), which signals nothing to a
// client.
func eventually(t *testing.T, what string, fn func() bool) {
	t.Helper()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(30 * time.Second)
	for !fn() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("%s: not after 30 seconds", what)
		}
	}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestCLIAppsDeployInvokeLogs(t *testing.T) {
	e := newCLIEnv(t)
	public := "http://" + e.srv.public

	if out := e.ok("apps", "create", "shop", "--description", "the shop", "--env", "REGION=eu"); out != "created app shop\n" {
		t.Fatalf("apps create: %q", out)
	}
	e.ok("apps", "create", "blog")
	out := e.ok("apps", "list")
	if !regexp.MustCompile(`(?m)^SLUG +DEBUG +CREATED +DESCRIPTION\n`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^blog +false .*\n^shop +false .* the shop$`).MatchString(out) {
		t.Fatalf("apps list:\n%s", out)
	}
	apps := jsonOf[[]map[string]any](t, e.ok("apps", "list", "--json"))
	if len(apps) != 2 || apps[1]["slug"] != "shop" || apps[1]["env"].(map[string]any)["REGION"] != "eu" {
		t.Fatalf("apps list --json: %v", apps)
	}
	if out := e.ok("apps", "get", "shop"); !regexp.MustCompile(`(?m)^env\.REGION +eu$`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^fuel_per_invocation +default$`).MatchString(out) {
		t.Fatalf("apps get:\n%s", out)
	}

	// deploy: the name comes from the file; the endpoint answers once the
	// ingress has heard of it.
	file := writeFile(t, "hello.rhai", `log::info("hi from " + ctx.app); "Hello, " + ctx.env.REGION`)
	out = e.ok("deploy", "shop", file)
	want := "deployed shop/hello version 1\nendpoint: ANY " + public + "/shop/hello\n"
	if out != want {
		t.Fatalf("deploy:\n got %q\nwant %q", out, want)
	}
	eventually(t, "the endpoint answers", func() bool {
		code, body := httpGet(t, public+"/shop/hello")
		return code == 200 && body == "Hello, eu"
	})

	// invoke prints the logs and the result; the summary goes to stderr.
	stdout, stderr, err := e.run("invoke", "shop", "hello", "--data", `{"kind": "test"}`)
	if err != nil || stdout != "[info] hi from shop\n\"Hello, eu\"\n" || !strings.Contains(stderr, "hello version 1: ok in ") {
		t.Fatalf("invoke: %v\n%s%s", err, stdout, stderr)
	}
	res := jsonOf[map[string]any](t, e.ok("invoke", "shop", "hello", "--json"))
	if res["outcome"] != "ok" || res["result"] != "Hello, eu" || res["recorded"] != true {
		t.Fatalf("invoke --json: %v", res)
	}

	// logs shows what was recorded: the HTTP call and the two invokes.
	eventually(t, "three invocations recorded", func() bool {
		out, _, err := e.run("logs", "shop", "--json")
		return err == nil && strings.Count(out, "\n") >= 3
	})
	out = e.ok("logs", "shop", "hello")
	if !regexp.MustCompile(`(?m)^\S+Z hello@1 http ok \S+ fuel=\d+ id=[0-9a-f-]{36}\n  \S+ info  hi from shop$`).MatchString(out) ||
		!strings.Contains(out, " hello@1 manual ok ") {
		t.Fatalf("logs:\n%s", out)
	}

	// logs -f follows the live tail.
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	tailOut, tailErr := newOutput(), newOutput()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"logs", "shop", "-f", "--url", "http://" + e.srv.admin, "--token", testAdminSecret}, tailOut, tailErr)
	}()
	waitFor(t, tailErr, "following the invocations of shop", done)
	if code, _ := httpGet(t, public+"/shop/hello?from=tail"); code != 200 {
		t.Fatalf("GET = %d", code)
	}
	waitFor(t, tailOut, "hi from shop", done)
	if !strings.Contains(tailOut.String(), " hello@1 http ok ") {
		t.Fatalf("logs -f:\n%s", tailOut.String())
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("logs -f returned %v after an interrupt", err)
	}

	// Errors: one line with the problem's code, exit status 1; usage
	// errors exit 2; --json puts the problem on stdout.
	e.fails(1, "app_not_found: ", "apps", "get", "nope")
	prob := jsonOf[map[string]any](t, e.fails(1, "app_not_found: ", "apps", "get", "nope", "--json"))
	if prob["code"] != "app_not_found" || prob["status"] != float64(404) {
		t.Fatalf("problem on stdout: %v", prob)
	}
	e.fails(1, "app_exists: ", "apps", "create", "shop")
	e.fails(2, "picloud apps get takes SLUG", "apps", "get")
	e.fails(1, "script_parse_error: ", "deploy", "shop", writeFile(t, "bad.rhai", "let x = ;"))
	e.fails(2, "--data: not valid JSON", "invoke", "shop", "hello", "--data", "{nope")
	e.ok("deploy", "shop", writeFile(t, "boom.rhai", "let x = 1;\nthrow \"boom \" + x;"))
	e.fails(1, "error: 2:1: ", "invoke", "shop", "boom")
	res = jsonOf[map[string]any](t, e.fails(1, "", "invoke", "shop", "boom", "--json")) // quiet: the JSON says it
	if res["outcome"] != "error" {
		t.Fatalf("failed invoke --json: %v", res)
	}

	e.ok("apps", "delete", "blog")
	if out := e.ok("apps", "list", "--json"); strings.Contains(out, "blog") {
		t.Fatalf("deleted app still listed: %s", out)
	}
	if err := run(t.Context(), []string{"apps", "list", "--url", "http://" + e.srv.admin, "--token", "pct_wrong_0123456789012345678901"}, io.Discard, io.Discard); err == nil ||
		!strings.HasPrefix(err.Error(), "invalid_token: ") {
		t.Fatalf("a wrong token: %v", err)
	}
}

// waitFor waits until out contains s, or fails when run returned.
func waitFor(t *testing.T, out *output, s string, done <-chan error) {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for !strings.Contains(out.String(), s) {
		select {
		case <-out.changed:
		case err := <-done:
			t.Fatalf("returned %v before printing %q:\n%s", err, s, out.String())
		case <-timeout:
			t.Fatalf("no %q after 30 seconds:\n%s", s, out.String())
		}
	}
}

func TestCLIScriptsTriggersTokens(t *testing.T) {
	e := newCLIEnv(t)
	public := "http://" + e.srv.public
	e.ok("apps", "create", "shop")
	e.ok("deploy", "shop", writeFile(t, "v.rhai", `"one"`), "--name", "greet")
	if out := e.ok("deploy", "shop", writeFile(t, "v.rhai", `"two"`), "--name", "greet"); !strings.HasPrefix(out, "deployed shop/greet version 2 (was version 1)\n") {
		t.Fatalf("second deploy: %q", out)
	}
	out := e.ok("scripts", "list", "shop")
	if !regexp.MustCompile(`(?m)^NAME +ACTIVE +LATEST +UPDATED +ENDPOINT\n^greet +2 +2 .* ` + regexp.QuoteMeta(public) + `/shop/greet$`).MatchString(out) {
		t.Fatalf("scripts list:\n%s", out)
	}
	out = e.ok("scripts", "versions", "shop", "greet")
	if !regexp.MustCompile(`(?m)^VERSION +ACTIVE +CREATED +SHA256\n^2 +\* .*\n^1 +- `).MatchString(out) {
		t.Fatalf("scripts versions:\n%s", out)
	}
	if out := e.ok("scripts", "rollback", "shop", "greet"); out != "shop/greet: version 1 is active\n" {
		t.Fatalf("rollback: %q", out)
	}
	eventually(t, "the rollback reaches the endpoint", func() bool {
		_, body := httpGet(t, public+"/shop/greet")
		return body == "one"
	})
	e.fails(1, "no_older_version: ", "scripts", "rollback", "shop", "greet")
	e.ok("scripts", "rollback", "shop", "greet", "2")
	vs := jsonOf[[]map[string]any](t, e.ok("scripts", "versions", "shop", "greet", "--json"))
	if len(vs) != 2 || vs[0]["active"] != true {
		t.Fatalf("versions --json: %v", vs)
	}

	// Triggers: an HTTP route replaces the default endpoint.
	out = e.ok("triggers", "add", "shop", "http", "--script", "greet", "--method", "get", "--path", "/hi/:name")
	m := regexp.MustCompile(`^added http trigger (\d+): GET \S+/shop/hi/:name → greet\n$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("triggers add http: %q", out)
	}
	id := m[1]
	eventually(t, "the route answers", func() bool {
		code, body := httpGet(t, public+"/shop/hi/you")
		return code == 200 && body == "two"
	})
	if out := e.ok("deploy", "shop", writeFile(t, "greet.rhai", `"three"`)); !strings.Contains(out, "endpoint: GET "+public+"/shop/hi/:name\n") {
		t.Fatalf("deploy of a script with a route: %q", out)
	}
	e.ok("triggers", "add", "shop", "cron", "--script", "greet", "--schedule", "@hourly", "--tz", "Europe/Berlin", "--disabled")
	e.ok("triggers", "add", "shop", "kv", "--script", "greet", "--key-pattern", "user:*", "--ops", "set")
	out = e.ok("triggers", "list", "shop")
	if !regexp.MustCompile(`(?m)^ID +KIND +SCRIPT +ENABLED +SOURCE\n^` + id + ` +http +greet +true +GET \S+/shop/hi/:name\n^\d+ +cron +greet +false +"@hourly" Europe/Berlin\n^\d+ +kv +greet +true +key user:\* on set$`).MatchString(out) {
		t.Fatalf("triggers list:\n%s", out)
	}
	if ts := jsonOf[[]map[string]any](t, e.ok("triggers", "list", "shop", "--kind", "cron", "--json")); len(ts) != 1 || ts[0]["kind"] != "cron" {
		t.Fatalf("triggers list --kind cron --json: %v", ts)
	}
	if out := e.ok("triggers", "disable", "shop", id); out != "disabled http trigger "+id+"\n" {
		t.Fatalf("disable: %q", out)
	}
	eventually(t, "the disabled route stops answering", func() bool {
		code, _ := httpGet(t, public+"/shop/hi/you")
		return code == 404
	})
	e.ok("triggers", "enable", "shop", id)
	e.ok("triggers", "rm", "shop", id)
	e.fails(1, "trigger_not_found: ", "triggers", "rm", "shop", id)
	e.fails(2, "--script is required", "triggers", "add", "shop", "http", "--path", "/x")
	e.fails(2, "--schedule is for cron triggers, not http", "triggers", "add", "shop", "http", "--script", "greet", "--path", "/x", "--schedule", "@daily")
	e.fails(2, `unknown trigger kind "smtp"`, "triggers", "add", "shop", "smtp", "--script", "greet")
	e.fails(1, "invalid_path_pattern: ", "triggers", "add", "shop", "http", "--script", "greet", "--path", "no-slash")
	e.fails(1, "invalid_topic_pattern: ", "triggers", "add", "shop", "pubsub", "--script", "greet", "--pattern", "orders*")

	// Tokens: the secret is shown once and works; a revoked one does not.
	out = e.ok("token", "create", "reader", "--scope", "app:read", "--app", "shop")
	secret := secretRE.FindString(out)
	if secret == "" || !strings.Contains(out, "shown this once") {
		t.Fatalf("token create: %q", out)
	}
	reader := func(args ...string) error {
		err := run(t.Context(), append(args, "--url", "http://"+e.srv.admin, "--token", secret), io.Discard, io.Discard)
		return err
	}
	if err := reader("apps", "get", "shop"); err != nil {
		t.Fatalf("the new token: %v", err)
	}
	if err := reader("deploy", "shop", writeFile(t, "x.rhai", "1")); err == nil || !strings.HasPrefix(err.Error(), "insufficient_scope: ") {
		t.Fatalf("deploy with a read-only token: %v", err)
	}
	out = e.ok("token", "list")
	if !regexp.MustCompile(`(?m)^ID +NAME +PREFIX +SCOPES +APP +STATUS +EXPIRES +LAST USED\n^1 +bootstrap admin .* admin +- +active .*\n^2 +reader +\S+ +app:read +shop +active `).MatchString(out) {
		t.Fatalf("token list:\n%s", out)
	}
	ts := jsonOf[[]map[string]any](t, e.ok("token", "list", "--json"))
	if len(ts) != 2 || ts[1]["name"] != "reader" || ts[1]["secret"] != nil {
		t.Fatalf("token list --json: %v", ts)
	}
	e.ok("token", "revoke", "2")
	if err := reader("apps", "get", "shop"); err == nil || !strings.HasPrefix(err.Error(), "invalid_token: ") {
		t.Fatalf("a revoked token: %v", err)
	}
	e.fails(2, "token create needs at least one --scope", "token", "create", "x")
	e.fails(1, "last_admin_token: ", "token", "revoke", "1")

	// PICLOUD_URL and PICLOUD_TOKEN stand in for the flags; a flag wins.
	t.Setenv("PICLOUD_URL", "http://"+e.srv.admin)
	t.Setenv("PICLOUD_TOKEN", testAdminSecret)
	out2 := newOutput()
	if err := run(t.Context(), []string{"apps", "list", "--json"}, out2, out2); err != nil || !strings.Contains(out2.String(), `"slug": "shop"`) {
		t.Fatalf("apps list from the environment: %v\n%s", err, out2.String())
	}
	if err := run(t.Context(), []string{"apps", "list", "--token", "pct_wrong_0123456789012345678901"}, io.Discard, io.Discard); err == nil ||
		!strings.HasPrefix(err.Error(), "invalid_token: ") {
		t.Fatalf("--token did not win over PICLOUD_TOKEN: %v", err)
	}
}
