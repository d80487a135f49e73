package rhai_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/picloud/picloud/guest/eval"
	"github.com/picloud/picloud/guest/rhai"
)

// testBuiltins are the functions only the test harness provides.
func testBuiltins() *eval.Registry {
	r := eval.NewRegistry()
	r.Register("assert", []eval.Kind{eval.Any}, func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		if a[0].Kind() != eval.BoolKind || !a[0].Bool() {
			return eval.Unit(), c.Errorf(eval.ErrorRuntime, "assertion failed")
		}
		return eval.Unit(), nil
	})
	r.Register("assert", []eval.Kind{eval.Any, eval.StringKind}, func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		if a[0].Kind() != eval.BoolKind || !a[0].Bool() {
			return eval.Unit(), c.Errorf(eval.ErrorRuntime, "assertion failed: %s", a[1].Str())
		}
		return eval.Unit(), nil
	})
	r.Register("assert_eq", []eval.Kind{eval.Any, eval.Any}, func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		if a[0].Kind() != a[1].Kind() || !eval.Equal(a[0], a[1]) {
			return eval.Unit(), c.Errorf(eval.ErrorRuntime, "assert_eq failed: got %s (%s), want %s (%s)",
				a[0].DebugString(), a[0].TypeName(), a[1].DebugString(), a[1].TypeName())
		}
		return eval.Unit(), nil
	})
	r.Register("assert_ne", []eval.Kind{eval.Any, eval.Any}, func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		if a[0].Kind() == a[1].Kind() && eval.Equal(a[0], a[1]) {
			return eval.Unit(), c.Errorf(eval.ErrorRuntime, "assert_ne failed: both %s", a[0].DebugString())
		}
		return eval.Unit(), nil
	})
	return r
}

// moduleResolver resolves import paths to testdata/modules/<path>.rhai.
func moduleResolver(dir string, builtins *eval.Registry) func(string) (*rhai.Program, error) {
	return func(path string) (*rhai.Program, error) {
		src, err := os.ReadFile(filepath.Join(dir, "modules", path+".rhai"))
		if err != nil {
			return nil, err
		}
		return rhai.Compile(path, string(src), rhai.Options{Builtins: builtins})
	}
}

// TestLanguage runs every ../testdata/*.rhai script. A script passes when it
// runs to the end without error, or, when its first line is a comment
// "// error: Kind", when it fails with an error of that kind.
func TestLanguage(t *testing.T) {
	files, err := filepath.Glob("../testdata/*.rhai")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test scripts: %v", err)
	}
	builtins := testBuiltins()
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".rhai"), func(t *testing.T) {
			t.Parallel()
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			want := ""
			first, _, _ := strings.Cut(string(src), "\n")
			if k, ok := strings.CutPrefix(strings.TrimSpace(first), "// error:"); ok {
				want = strings.TrimSpace(k)
			}
			var out strings.Builder
			p, err := rhai.Compile(filepath.Base(file), string(src), rhai.Options{Builtins: builtins})
			if err == nil {
				_, err = p.Run(rhai.Env{
					Limits:   rhai.Limits{Fuel: 50_000_000},
					Print:    func(s string) { out.WriteString(s + "\n") },
					Debug:    func(s string) { out.WriteString(s + "\n") },
					Resolver: moduleResolver("../testdata", builtins),
				})
			}
			switch {
			case want == "" && err != nil:
				t.Fatalf("got error %v, want success\noutput:\n%s", err, out.String())
			case want != "" && err == nil:
				t.Fatalf("got success, want error %s", want)
			case want != "":
				var ee *eval.Error
				kind := "ParseError"
				if errors.As(err, &ee) {
					kind = string(ee.Kind)
				}
				if kind != want {
					t.Fatalf("got error %s (%v), want %s", kind, err, want)
				}
			}
		})
	}
}

func kindOf(err error) string {
	var ee *eval.Error
	if errors.As(err, &ee) {
		return string(ee.Kind)
	}
	return "ParseError"
}
