package stdlib

import (
	"math"

	"github.com/picloud/picloud/guest/eval"
)

// Type names and text, after Rhai's packages/string_basic.rs, and take and
// the value tag from lang_core.rs: to_string
// gives the display text (print's), to_debug the debug text (debug's:
// strings quoted, () as "()"). The evaluator calls type_of, print and debug
// directly; they are registered here too for method calls (x.type_of())
// and function pointers (Fn("print")).
func registerConv(l lib) {
	// Rhai's fn_ptr functions: name and is_anonymous, as methods and properties
	l.method("name", "F", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return eval.Str(a[0].FnPtr().Name), nil
	})
	l.method("is_anonymous", "F", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return eval.Bool(a[0].FnPtr().IsAnonymous()), nil
	})
	l.fn("type_of", "*", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return eval.Str(a[0].TypeName()), nil
	})
	l.fn("to_string", "*", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		s, err := display(c, a[0])
		if err != nil {
			return eval.Value{}, err
		}
		return str(c, s)
	})
	l.fn("to_debug", "*", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		if err := c.Charge(a[0].Size() / bytesPerFuel); err != nil {
			return eval.Value{}, err
		}
		return str(c, a[0].DebugString())
	})
	// A value's tag: an i32 any value may carry (Rhai's Dynamic tag).
	l.method("tag", "*", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return eval.Int(int64(a[0].Tag())), nil
	})
	for _, name := range []string{"set_tag", "set$tag"} {
		l.fn(name, "*i", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
			t := a[1].Int()
			if t < math.MinInt32 || t > math.MaxInt32 {
				return eval.Value{}, c.Errorf(eval.ErrorArithmetic,
					"%d is out of range for a tag (must be between %d and %d)", t, math.MinInt32, math.MaxInt32)
			}
			a[0] = a[0].WithTag(int32(t))
			return eval.Value{}, nil
		})
	}
	// take returns the value and leaves () in its place (x.take()).
	l.fn("take", "*", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		v := a[0]
		a[0] = eval.Value{}
		return v, nil
	})
	l.fn("print", "*", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		s, err := display(c, a[0])
		if err == nil {
			c.Print(s)
		}
		return eval.Value{}, err
	})
	l.fn("debug", "*", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		if err := c.Charge(a[0].Size() / bytesPerFuel); err != nil {
			return eval.Value{}, err
		}
		c.Debug(a[0].DebugString())
		return eval.Value{}, nil
	})
}
