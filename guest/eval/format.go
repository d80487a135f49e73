package eval

import (
	"math"
	"strconv"
	"strings"
	"unicode"
)

// String returns the value as Rhai's print and to_string show it: () is
// empty, strings and chars are bare, arrays and maps use the debug format.
func (v Value) String() string {
	s, _ := v.Format(false, 0)
	return s
}

// DebugString returns the value as Rhai's debug and to_debug show it:
// strings quoted and escaped, () as "()".
func (v Value) DebugString() string {
	s, _ := v.Format(true, 0)
	return s
}

// Format returns the value's display (debug=false) or debug form. With a
// limit > 0 it stops as soon as the text would exceed limit bytes and
// reports ok=false: a container holding one big string many times over can
// display far larger than the memory it takes.
func (v Value) Format(debug bool, limit int) (s string, ok bool) {
	if !debug {
		switch v.k {
		case UnitKind:
			return "", true
		case StringKind:
			if limit > 0 && int(v.n) > limit {
				return "", false
			}
			return v.Str(), true
		case CharKind:
			return string(v.Char()), true
		case FloatKind:
			return FormatFloat(v.Float()), true
		}
	}
	b := limitedBuilder{limit: limit}
	v.writeDebug(&b)
	if b.over {
		return "", false
	}
	return b.String(), true
}

// limitedBuilder is a strings.Builder that stops growing past limit (0 = no
// limit).
type limitedBuilder struct {
	strings.Builder
	limit int
	over  bool
}

func (b *limitedBuilder) check(n int) bool {
	if b.over {
		return false
	}
	if b.limit > 0 && b.Len()+n > b.limit {
		b.over = true
		return false
	}
	return true
}

func (b *limitedBuilder) WriteString(s string) {
	if b.check(len(s)) {
		b.Builder.WriteString(s)
	}
}

func (b *limitedBuilder) WriteByte(c byte) error {
	if b.check(1) {
		return b.Builder.WriteByte(c)
	}
	return nil
}

func (b *limitedBuilder) WriteRune(r rune) {
	if b.check(4) {
		b.Builder.WriteRune(r)
	}
}

func (v Value) writeDebug(b *limitedBuilder) {
	if b.over {
		return
	}
	switch v.k {
	case UnitKind:
		b.WriteString("()")
	case BoolKind:
		b.WriteString(strconv.FormatBool(v.Bool()))
	case IntKind:
		b.WriteString(strconv.FormatInt(v.n, 10))
	case FloatKind:
		b.WriteString(FormatFloatDebug(v.Float()))
	case CharKind:
		b.WriteByte('\'')
		writeEscaped(b, string(v.Char()), '\'')
		b.WriteByte('\'')
	case StringKind:
		b.WriteByte('"')
		writeEscaped(b, v.Str(), '"')
		b.WriteByte('"')
	case ArrayKind:
		b.WriteByte('[')
		for i, e := range v.Array().Elems {
			if i > 0 {
				b.WriteString(", ")
			}
			e.writeDebug(b)
		}
		b.WriteByte(']')
	case MapKind:
		b.WriteString("#{")
		m := v.Map()
		for i, k := range m.Keys() {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('"')
			writeEscaped(b, k, '"')
			b.WriteString("\": ")
			e := m.m[k]
			e.writeDebug(b)
		}
		b.WriteByte('}')
	case BlobKind:
		const hex = "0123456789abcdef"
		b.WriteByte('[')
		for i, c := range v.Blob().B {
			if i > 0 && i%8 == 0 {
				b.WriteByte(' ')
			}
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
		b.WriteByte(']')
	case FnPtrKind:
		f := v.FnPtr()
		b.WriteString("Fn(")
		b.WriteString(f.Name)
		b.WriteByte(')')
	case TimestampKind:
		b.WriteString("<timestamp>")
	case IterKind:
		b.WriteString("<iterator>")
	case RangeKind:
		r := v.Range()
		b.WriteString(strconv.FormatInt(r.Start, 10))
		if r.Inclusive {
			b.WriteString("..=")
		} else {
			b.WriteString("..")
		}
		if r.End != math.MaxInt64 {
			b.WriteString(strconv.FormatInt(r.End, 10))
		}
	}
}

// writeEscaped writes s escaped as Rust's Debug does inside quote.
func writeEscaped(b *limitedBuilder, s string, quote byte) {
	if b.limit > 0 && b.Len()+len(s) > b.limit {
		b.over = true
		return
	}
	for _, r := range s {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case 0:
			b.WriteString(`\0`)
		case rune(quote):
			b.WriteByte('\\')
			b.WriteByte(quote)
		default:
			if r < 0x20 || r == 0x7f || (!unicode.IsPrint(r) && r != ' ' && !unicode.IsSpace(r)) {
				b.WriteString(`\u{`)
				b.WriteString(strconv.FormatInt(int64(r), 16))
				b.WriteByte('}')
			} else {
				b.WriteRune(r)
			}
		}
	}
}

// FormatFloat formats f as Rhai's Display does: "0.0" for zero, decimal with
// a ".0" for whole numbers, scientific notation ("1e20") outside 1e-13..1e13.
func FormatFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case f == 0:
		return "0.0"
	}
	a := math.Abs(f)
	if a > 1e13 || a < 1e-13 {
		return formatExp(f)
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsRune(s, '.') {
		s += ".0"
	}
	return s
}

// FormatFloatDebug formats f as Rust's Debug does (used inside arrays, maps
// and by debug): decimal within 1e-4..1e16, scientific outside.
func FormatFloatDebug(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	a := math.Abs(f)
	if a >= 1e16 || a < 1e-4 {
		return formatExp(f)
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsRune(s, '.') {
		s += ".0"
	}
	return s
}

// formatExp formats like Rust's {:e}: shortest digits, "e", exponent without
// "+" or leading zeros ("1.5e-14", "1e20").
func formatExp(f float64) string {
	s := strconv.FormatFloat(f, 'e', -1, 64)
	i := strings.IndexByte(s, 'e')
	mant, exp := s[:i], s[i+1:]
	neg := false
	if exp[0] == '+' || exp[0] == '-' {
		neg = exp[0] == '-'
		exp = exp[1:]
	}
	exp = strings.TrimLeft(exp, "0")
	if exp == "" {
		exp = "0"
	}
	if neg {
		exp = "-" + exp
	}
	return mant + "e" + exp
}
