package main

import "testing"

// TestEvalSandboxMatchesNative runs scripts in the sandbox (the default) and
// with --native, and checks that both print the same and exit the same.
func TestEvalSandboxMatchesNative(t *testing.T) {
	for _, tc := range []struct {
		src  string
		args []string
	}{
		{`print("p"); debug("d"); 42`, nil},
		{`print("p"); 42`, []string{"--json"}},
		{`#{b: [1, 2.5, 'c'], a: blob(2, 7)}`, nil},
		{`#{b: [1, 2.5, 'c'], a: blob(2, 7)}`, []string{"--json"}},
		{`let x = 1;`, nil},
		{`1.0 / 0.0`, []string{"--json"}},
		{"let = 1;", nil},
		{"let = 1;", []string{"--json"}},
		{"fn f(x) { x / 0 }\nf(1)", []string{"--json"}},
		{`throw #{code: 7}`, []string{"--json"}},
		{`loop { }`, []string{"--json", "--fuel", "500"}},
		{`fn f(n) { f(n + 1) } f(0)`, []string{"--json", "--max-call-depth", "10"}},
		{`let a = []; loop { a.push("xxxxxxxxxx"); }`, []string{"--json", "--max-memory", "100000"}},
	} {
		native, nativeErr, nativeCode := evalRun(t, tc.src, append([]string{"--native"}, tc.args...)...)
		sandbox, sandboxErr, sandboxCode := evalRun(t, tc.src, tc.args...)
		if sandbox != native || sandboxErr != nativeErr || sandboxCode != nativeCode {
			t.Errorf("%s %v:\nsandbox: %q %q exit %d\nnative:  %q %q exit %d", tc.src, tc.args, sandbox, sandboxErr, sandboxCode, native, nativeErr, nativeCode)
		}
	}
}
