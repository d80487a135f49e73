package stdlib

import (
	"math"
	"strconv"
	"strings"

	"github.com/picloud/picloud/guest/eval"
)

// Numbers, after Rhai's packages/arithmetic.rs (abs, sign, is_zero, is_odd,
// is_even), logic.rs (min, max), math_basic.rs (float functions, to_int,
// to_float, parse_int, parse_float) and string_basic.rs (to_hex, to_octal,
// to_binary). As in Rhai, the float functions take floats only.

func registerMath(l lib) {
	l.fn("abs", "i", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		x := a[0].Int()
		if x == math.MinInt64 {
			return eval.Value{}, c.Errorf(eval.ErrorArithmetic, "Negation overflow: -%d", x)
		}
		if x < 0 {
			x = -x
		}
		return eval.Int(x), nil
	})
	l.fn("abs", "f", float1(math.Abs))
	l.fn("sign", "i", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		x := a[0].Int()
		switch {
		case x > 0:
			return eval.Int(1), nil
		case x < 0:
			return eval.Int(-1), nil
		}
		return eval.Int(0), nil
	})
	l.fn("sign", "f", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		x := a[0].Float()
		switch {
		case x == 0:
			return eval.Int(0), nil
		case math.IsNaN(x):
			return eval.Value{}, c.Errorf(eval.ErrorArithmetic, "Sign of NaN is undefined")
		case x > 0:
			return eval.Int(1), nil
		}
		return eval.Int(-1), nil
	})
	l.method("is_zero", "i", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return eval.Bool(a[0].Int() == 0), nil
	})
	l.method("is_zero", "f", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return eval.Bool(a[0].Float() == 0), nil
	})
	l.method("is_odd", "i", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return eval.Bool(a[0].Int()%2 != 0), nil
	})
	l.method("is_even", "i", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return eval.Bool(a[0].Int()%2 == 0), nil
	})

	// min and max; an int mixed with a float gives a float.
	l.fn("max", "ii", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return eval.Int(max(a[0].Int(), a[1].Int())), nil
	})
	l.fn("min", "ii", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return eval.Int(min(a[0].Int(), a[1].Int())), nil
	})
	for _, sig := range []string{"ff", "if", "fi"} {
		l.fn("max", sig, func(c *eval.Call, a []eval.Value) (eval.Value, error) {
			x, _ := a[0].AsFloat()
			y, _ := a[1].AsFloat()
			if x >= y {
				return eval.Float(x), nil
			}
			return eval.Float(y), nil
		})
		l.fn("min", sig, func(c *eval.Call, a []eval.Value) (eval.Value, error) {
			x, _ := a[0].AsFloat()
			y, _ := a[1].AsFloat()
			if x <= y {
				return eval.Float(x), nil
			}
			return eval.Float(y), nil
		})
	}

	// Floating-point functions.
	// Rust calls the C library for these; see libm.go and fdlibm.go for why
	// they are not Go's math functions. They cost more fuel than a plain
	// operation: a few hundred nanoseconds of double-double arithmetic.
	for name, f := range map[string]func(float64) float64{
		"sin": crSin, "cos": crCos, "tan": crTan,
		"sinh": glibcSinh, "cosh": glibcCosh, "tanh": glibcTanh,
		"asin": crAsin, "acos": crAcos, "atan": crAtan,
		"asinh": rustAsinh, "acosh": rustAcosh, "atanh": rustAtanh,
		"exp": crExp, "ln": crLog, "log": glibcLog10,
	} {
		l.fn(name, "f", libm1(f))
	}
	for name, f := range map[string]func(float64) float64{
		"sqrt": math.Sqrt, "to_degrees": toDegrees, "to_radians": toRadians,
	} {
		l.fn(name, "f", float1(f))
	}
	l.fn("atan", "ff", libm2(crAtan2)) // atan(y, x)
	l.fn("hypot", "ff", libm2(crHypot))
	l.fn("log", "ff", libm2(func(x, base float64) float64 { return crLog(x) / crLog(base) }))
	for name, f := range map[string]func(float64) float64{
		"floor": math.Floor, "ceiling": math.Ceil, "round": math.Round,
		"int": math.Trunc, "fraction": fraction,
	} {
		l.method(name, "f", float1(f))
	}
	l.method("is_nan", "f", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return eval.Bool(math.IsNaN(a[0].Float())), nil
	})
	l.method("is_finite", "f", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		x := a[0].Float()
		return eval.Bool(!math.IsNaN(x) && !math.IsInf(x, 0)), nil
	})
	l.method("is_infinite", "f", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return eval.Bool(math.IsInf(a[0].Float(), 0)), nil
	})
	l.fn("PI", "", func(c *eval.Call, a []eval.Value) (eval.Value, error) { return eval.Float(math.Pi), nil })
	l.fn("E", "", func(c *eval.Call, a []eval.Value) (eval.Value, error) { return eval.Float(math.E), nil })

	// Conversions.
	l.fn("to_int", "i", func(c *eval.Call, a []eval.Value) (eval.Value, error) { return a[0], nil })
	l.fn("to_int", "f", floatToInt)
	l.fn("to_float", "i", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return eval.Float(float64(a[0].Int())), nil
	})
	l.fn("to_float", "f", func(c *eval.Call, a []eval.Value) (eval.Value, error) { return a[0], nil })
	l.fn("parse_int", "s", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return parseInt(c, a[0].Str(), 10)
	})
	l.fn("parse_int", "si", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return parseInt(c, a[0].Str(), a[1].Int())
	})
	l.fn("parse_float", "s", parseFloat)
	for name, base := range map[string]int{"to_hex": 16, "to_octal": 8, "to_binary": 2} {
		l.fn(name, "i", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
			// Rust formats a negative integer as its two's complement.
			return eval.Str(strconv.FormatUint(uint64(a[0].Int()), base)), nil
		})
	}
}

func float1(f func(float64) float64) builtin {
	return func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return eval.Float(f(a[0].Float())), nil
	}
}

// libmCost is the fuel of one elementary function; reducing a huge
// argument of sin, cos or tan (|x| >= 2^26) takes big-number arithmetic.
const (
	libmCost     = 8
	libmHugeCost = 400
)

func libm1(f func(float64) float64) builtin {
	return func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		x := a[0].Float()
		cost := libmCost
		if math.Abs(x) >= 0x1p26 {
			cost = libmHugeCost
		}
		if err := spend(c, cost); err != nil {
			return eval.Value{}, err
		}
		return eval.Float(f(x)), nil
	}
}

func libm2(f func(x, y float64) float64) builtin {
	return func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		if err := spend(c, libmCost); err != nil {
			return eval.Value{}, err
		}
		return eval.Float(f(a[0].Float(), a[1].Float())), nil
	}
}

// fraction is Rust's f64::fract: x minus its integral part.
func fraction(x float64) float64 { return x - math.Trunc(x) }

// Rust's f64::to_degrees multiplies by 180/π rounded once; to_radians by
// the float division π/180, done at run time here to round the same way.
var (
	pi64       = math.Pi
	radsPerDeg = pi64 / 180
)

func toDegrees(x float64) float64 { return x * (180 / math.Pi) }
func toRadians(x float64) float64 { return x * radsPerDeg }

// floatToInt truncates a float to an integer; out of the integer range is
// an error, as in Rhai (which compares with i64::MAX as f64, 2^63).
func floatToInt(c *eval.Call, a []eval.Value) (eval.Value, error) {
	x := a[0].Float()
	const limit = 9223372036854775808.0 // 2^63
	switch {
	case x > limit || x < -limit:
		return eval.Value{}, c.Errorf(eval.ErrorArithmetic, "Integer overflow: to_int(%s)", eval.FormatFloat(x))
	case math.IsNaN(x):
		return eval.Int(0), nil
	case x == limit:
		return eval.Int(math.MaxInt64), nil
	}
	return eval.Int(int64(math.Trunc(x))), nil
}

func parseInt(c *eval.Call, s string, radix int64) (eval.Value, error) {
	if radix < 2 || radix > 36 {
		return eval.Value{}, c.Errorf(eval.ErrorArithmetic, "Invalid radix: '%d'", radix)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), int(radix), 64)
	if err != nil {
		return eval.Value{}, c.Errorf(eval.ErrorArithmetic, "Error parsing integer number '%s': %s", s, numErr(err))
	}
	return eval.Int(n), nil
}

// numErr describes why a number did not parse.
func numErr(err error) string {
	if ne, ok := err.(*strconv.NumError); ok {
		if ne.Err == strconv.ErrRange {
			return "number too large to fit in target type"
		}
		if ne.Num == "" {
			return "cannot parse integer from empty string"
		}
	}
	return "invalid digit found in string"
}

func parseFloat(c *eval.Call, a []eval.Value) (eval.Value, error) {
	s := a[0].Str()
	t := strings.TrimSpace(s)
	if !isRustFloat(t) {
		return eval.Value{}, c.Errorf(eval.ErrorArithmetic, "Error parsing floating-point number '%s': invalid float literal", s)
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil && !isRange(err) {
		return eval.Value{}, c.Errorf(eval.ErrorArithmetic, "Error parsing floating-point number '%s': invalid float literal", s)
	}
	return eval.Float(f), nil // out of range: ±inf or 0, as Rust gives
}

func isRange(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// isRustFloat reports whether s is a float as Rust's f64::from_str accepts
// it: an optional sign, then inf, infinity or nan (any case), or decimal
// digits with an optional point and an optional exponent, at least one
// digit before the exponent. No hex, no underscores.
func isRustFloat(s string) bool {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	switch strings.ToLower(s) {
	case "inf", "infinity", "nan":
		return true
	}
	digits := 0
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(s)
}
