package stdlib

import "github.com/picloud/picloud/guest/eval"

// Characters, after Rhai's string_more.rs (case) and math_basic.rs
// (to_int). A character whose case mapping has several characters ("ß" →
// "SS") keeps its case, as in Rhai.
func registerChars(l lib) {
	l.fn("to_upper", "c", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return eval.Char(charUpper(a[0].Char())), nil
	})
	l.fn("to_lower", "c", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return eval.Char(charLower(a[0].Char())), nil
	})
	l.fn("make_upper", "c", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		a[0] = eval.Char(charUpper(a[0].Char()))
		return eval.Value{}, nil
	})
	l.fn("make_lower", "c", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		a[0] = eval.Char(charLower(a[0].Char()))
		return eval.Value{}, nil
	})
	l.fn("to_int", "c", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return eval.Int(int64(a[0].Char())), nil
	})
}
