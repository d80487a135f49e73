package stdlib_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/picloud/picloud/guest/eval"
	"github.com/picloud/picloud/guest/rhai"
)

// FuzzParseJSON checks that parse_json never panics, accepts only valid
// JSON, and that to_json of what it parsed parses back to the same value.
func FuzzParseJSON(f *testing.F) {
	for _, seed := range []string{
		`{"a":1,"b":[true,false,null],"c":{"d":"e"}}`, `[]`, `{}`, `0`, `-0.0`, `1e400`,
		`"\ud83d\ude00"`, `"\ud800"`, `[1,]`, `{"a" 1}`, `"\u0000"`, `9223372036854775808`,
		`[[[[[[[[[[]]]]]]]]]]`, ` {"x" : [ 1.5e-7 , -2 ] } `, `"é\n"`, `nul`, `{"a":1}x`,
	} {
		f.Add(seed)
	}
	p, err := rhai.Compile("fuzz.rhai", `
		let v = parse_json(input);
		let t = to_json(v);
		let w = parse_json(t);
		[v, t, w == v, to_json(w) == t]`, rhai.Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, input string) {
		res, err := p.Run(rhai.Env{
			Limits: rhai.Limits{Fuel: 10_000_000, MaxMemory: 64 << 20},
			Vars:   []rhai.Var{{Name: "input", Value: eval.Str(input)}},
		})
		if err != nil {
			var e *eval.Error
			if !asEvalError(err, &e) || strings.Contains(e.Msg, "internal error") {
				t.Fatalf("parse_json(%q): %v", input, err)
			}
			if json.Valid([]byte(input)) && e.Kind == eval.ErrorRuntime &&
				!strings.Contains(e.Msg, "recursion limit") && !strings.Contains(e.Msg, "out of range") &&
				!strings.Contains(e.Msg, "surrogate") && !strings.Contains(e.Msg, "hex escape") {
				t.Fatalf("parse_json(%q) rejected valid JSON: %v", input, err)
			}
			return
		}
		if !json.Valid([]byte(input)) {
			t.Fatalf("parse_json(%q) accepted invalid JSON", input)
		}
		out := res.Value.Array().Elems
		if !out[2].Bool() || !out[3].Bool() {
			t.Fatalf("parse_json(%q): round trip through %s changed the value", input, out[1].Str())
		}
		if !json.Valid([]byte(out[1].Str())) {
			t.Fatalf("to_json wrote invalid JSON %s", out[1].Str())
		}
	})
}

func asEvalError(err error, e **eval.Error) bool {
	x, ok := err.(*eval.Error)
	*e = x
	return ok
}
