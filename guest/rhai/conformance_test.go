package rhai_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/picloud/picloud/guest/eval"
	"github.com/picloud/picloud/guest/rhai"
	"github.com/picloud/picloud/guest/syntax"
)

// TestConformance runs ../testdata/conformance.txt: one-line scripts with the
// result real Rhai gives (from its book and source), checked as picloud eval
// --json reports them: the type_of name and JSON value, or the error's kind
// (a runtime error's outer kind, a parse error's sub-kind).
func TestConformance(t *testing.T) {
	data, err := os.ReadFile("../testdata/conformance.txt")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for i, line := range strings.Split(string(data), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		want, src, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("line %d: no tab", i+1)
		}
		n++
		if got := conformanceResult(src); got != want {
			t.Errorf("line %d: %s\n got  %s\n want %s", i+1, src, got, want)
		}
	}
	t.Logf("%d cases", n)
}

func conformanceResult(src string) string {
	p, err := rhai.Compile("conformance", src, rhai.Options{})
	if err == nil {
		var res rhai.Result
		res, err = p.Run(rhai.Env{Limits: rhai.Limits{Fuel: 1_000_000}})
		if err == nil {
			b, jerr := rhai.ToJSON(res.Value)
			if jerr != nil {
				return "json error: " + jerr.Error()
			}
			return res.Value.TypeName() + " " + string(b)
		}
	}
	var se *syntax.Error
	var ee *eval.Error
	switch {
	case errors.As(err, &se):
		return "!" + se.Kind
	case errors.As(err, &ee):
		return "!" + string(ee.Kind)
	}
	return "!" + err.Error()
}
