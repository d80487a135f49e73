package main

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// evalRun runs picloud eval in-process with stdin set to input and returns
// stdout, stderr and the exit status main would use.
func evalRun(t *testing.T, input string, args ...string) (string, string, int) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stdin
	os.Stdin = r
	t.Cleanup(func() { os.Stdin = saved; r.Close() })
	go func() {
		w.WriteString(input)
		w.Close()
	}()
	var stdout, stderr strings.Builder
	err = run(t.Context(), append([]string{"eval"}, args...), &stdout, &stderr)
	code := 0
	if err != nil {
		code = 1
		var ec interface{ ExitCode() int }
		if errors.As(err, &ec) {
			code = ec.ExitCode()
		}
	}
	return stdout.String(), stderr.String(), code
}

// lastJSON decodes the last line of out.
func lastJSON(t *testing.T, out string) map[string]any {
	t.Helper()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	var m map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &m); err != nil {
		t.Fatalf("last line %q is not JSON: %v", lines[len(lines)-1], err)
	}
	return m
}

func TestEvalText(t *testing.T) {
	out, _, code := evalRun(t, `print("hello"); debug("dbg"); 6 * 7`, "-")
	if code != 0 || out != "hello\n42\n" {
		t.Fatalf("got %q (exit %d), want %q (exit 0)", out, code, "hello\n42\n")
	}
	out, _, code = evalRun(t, `let x = 1;`)
	if code != 0 || out != "" {
		t.Fatalf("unit result: got %q (exit %d), want nothing", out, code)
	}
	_, _, code = evalRun(t, `throw "boom";`)
	if code != 1 {
		t.Fatalf("script error: got exit %d, want 1", code)
	}
}

func TestEvalFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.rhai")
	if err := os.WriteFile(path, []byte(`"from file"`), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, code := evalRun(t, "", path)
	if code != 0 || out != "from file\n" {
		t.Fatalf("got %q (exit %d)", out, code)
	}
}

func TestEvalJSON(t *testing.T) {
	for _, tc := range []struct {
		src  string
		args []string
		want string
		code int
	}{
		{`print("p"); 42`, nil, `{"ok":true,"type":"i64","value":42,"fuel":3}`, 0},
		{`[1, 2.5, 'c', "s", (), true, #{b: [], a: #{}}]`, nil,
			`{"ok":true,"type":"array","value":[1,2.5,"c","s",null,true,{"a":{},"b":[]}],"fuel":2}`, 0},
		{`1.0 / 0.0`, nil, `{"ok":true,"type":"f64","value":"inf","fuel":2}`, 0},
		{`let b = blob(3, 7); b`, nil, `{"ok":true,"type":"blob","value":[7,7,7],"fuel":3}`, 0},
		{`1 / 0`, nil, `{"ok":false,"phase":"runtime","kind":"ErrorArithmetic","error":"<stdin>:1:3: Division by zero: 1 / 0","fuel":2}`, 1},
		{`let = 1;`, nil, `{"ok":false,"phase":"parse","kind":"VariableExpected","error":"<stdin>:1:5: Expecting name of a variable","fuel":0}`, 1},
		{`loop { }`, []string{"--fuel", "500"}, `{"ok":false,"phase":"runtime","kind":"ErrorTooManyOperations","error":"<stdin>:1:1: Too many operations","fuel":500}`, 1},
		{`fn f(n) { f(n + 1) } f(0)`, []string{"--max-call-depth", "10"}, `"kind":"ErrorStackOverflow"`, 1},
		{`let a = []; loop { a.push("xxxxxxxxxx"); }`, []string{"--max-memory", "100000"}, `"kind":"ErrorMemoryLimit"`, 1},
		{`loop { }`, []string{"--timeout", "50ms"}, `"kind":"ErrorTerminated"`, 1},
	} {
		args := append([]string{"--json"}, tc.args...)
		out, _, code := evalRun(t, tc.src, args...)
		lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
		last := lines[len(lines)-1]
		lastJSON(t, out)
		ok := last == tc.want
		if strings.HasPrefix(tc.want, `"`) { // a fragment
			ok = strings.Contains(last, tc.want)
		}
		if !ok || code != tc.code {
			t.Errorf("%s: got %s (exit %d), want %s (exit %d)", tc.src, last, code, tc.want, tc.code)
		}
	}
}

func TestEvalUsage(t *testing.T) {
	for _, args := range [][]string{
		{"--bogus"},
		{"a.rhai", "b.rhai"},
		{"--fuel", "lots"},
		{"--timeout", "-1s"},
		{filepath.Join(t.TempDir(), "missing.rhai")},
	} {
		if _, _, code := evalRun(t, "1", args...); code != 2 {
			t.Errorf("eval %v: got exit %d, want 2", args, code)
		}
	}
}
