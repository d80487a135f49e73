package stdlib

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/picloud/picloud/guest/eval"
)

// JSON: parse_json and to_json, as Rhai built with its `metadata` feature
// (serde_json) has them. parse_json reads any JSON value: objects become
// maps, arrays arrays, integers that fit i64 become i64, other numbers f64,
// null (). Nesting is limited to 127 levels, serde_json's limit. A malformed
// text is a catchable error (ErrorRuntime) whose value is the message.
// to_json writes compact JSON: keys in sorted order, () as null, NaN and
// infinities as null, blobs as arrays of numbers, characters as strings.
// Rhai defines to_json on maps only; any value is accepted here.

func registerJSON(l lib) {
	l.fn("parse_json", "s", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return parseJSON(c, a[0].Str())
	})
	l.fn("to_json", "*", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		var b strings.Builder
		if err := writeJSON(c, &b, a[0]); err != nil {
			return eval.Value{}, err
		}
		return str(c, b.String())
	})
}

// maxJSONDepth is how deep arrays and objects may nest (serde_json counts
// down from 128 and fails on reaching 0).
const maxJSONDepth = 128

type jsonParser struct {
	c     *eval.Call
	s     string
	i     int
	depth int
}

func parseJSON(c *eval.Call, s string) (eval.Value, error) {
	if err := scan(c, len(s)); err != nil {
		return eval.Value{}, err
	}
	p := &jsonParser{c: c, s: s}
	p.space()
	v, err := p.value()
	if err != nil {
		return eval.Value{}, err
	}
	p.space()
	if p.i < len(p.s) {
		return eval.Value{}, p.fail("trailing characters")
	}
	return v, nil
}

// fail returns a parse error at the current position, as serde_json words
// it ("expected value at line 1 column 1").
func (p *jsonParser) fail(what string) error {
	line, col := 1, 1
	for _, r := range p.s[:min(p.i, len(p.s))] {
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	msg := fmt.Sprintf("%s at line %d column %d", what, line, col)
	e := p.c.Errorf(eval.ErrorRuntime, "%s", msg)
	e.Value = eval.Str(msg)
	return e
}

func (p *jsonParser) space() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jsonParser) value() (eval.Value, error) {
	if p.i >= len(p.s) {
		return eval.Value{}, p.fail("EOF while parsing a value")
	}
	switch ch := p.s[p.i]; {
	case ch == '{':
		return p.object()
	case ch == '[':
		return p.array()
	case ch == '"':
		s, err := p.str()
		if err != nil {
			return eval.Value{}, err
		}
		return str(p.c, s)
	case ch == '-' || (ch >= '0' && ch <= '9'):
		return p.number()
	case strings.HasPrefix(p.s[p.i:], "true"):
		p.i += 4
		return eval.Bool(true), nil
	case strings.HasPrefix(p.s[p.i:], "false"):
		p.i += 5
		return eval.Bool(false), nil
	case strings.HasPrefix(p.s[p.i:], "null"):
		p.i += 4
		return eval.Value{}, nil
	}
	return eval.Value{}, p.fail("expected value")
}

// enter and leave track nesting.
func (p *jsonParser) enter() error {
	p.depth++
	if p.depth >= maxJSONDepth {
		return p.fail("recursion limit exceeded")
	}
	return nil
}

func (p *jsonParser) object() (eval.Value, error) {
	if err := p.enter(); err != nil {
		return eval.Value{}, err
	}
	p.i++ // {
	m := eval.NewMapCap(0)
	p.space()
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
		p.depth--
		return eval.MapOf(m), nil
	}
	for {
		p.space()
		if p.i >= len(p.s) {
			return eval.Value{}, p.fail("EOF while parsing an object")
		}
		if p.s[p.i] != '"' {
			return eval.Value{}, p.fail("key must be a string")
		}
		k, err := p.str()
		if err != nil {
			return eval.Value{}, err
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return eval.Value{}, p.fail("expected `:`")
		}
		p.i++
		p.space()
		v, err := p.value()
		if err != nil {
			return eval.Value{}, err
		}
		if err := mapSet(p.c, m, k, v); err != nil {
			return eval.Value{}, err
		}
		p.space()
		if p.i >= len(p.s) {
			return eval.Value{}, p.fail("EOF while parsing an object")
		}
		switch p.s[p.i] {
		case ',':
			p.i++
			p.space()
			if p.i < len(p.s) && p.s[p.i] == '}' {
				return eval.Value{}, p.fail("trailing comma")
			}
		case '}':
			p.i++
			p.depth--
			return eval.MapOf(m), nil
		default:
			return eval.Value{}, p.fail("expected `,` or `}`")
		}
	}
}

func (p *jsonParser) array() (eval.Value, error) {
	if err := p.enter(); err != nil {
		return eval.Value{}, err
	}
	p.i++ // [
	var out []eval.Value
	p.space()
	if p.i < len(p.s) && p.s[p.i] == ']' {
		p.i++
		p.depth--
		return eval.NewArray(nil), nil
	}
	for {
		p.space()
		v, err := p.value()
		if err != nil {
			return eval.Value{}, err
		}
		if err := growArray(p.c, len(out)+1, 1); err != nil {
			return eval.Value{}, err
		}
		out = append(out, v)
		p.space()
		if p.i >= len(p.s) {
			return eval.Value{}, p.fail("EOF while parsing a list")
		}
		switch p.s[p.i] {
		case ',':
			p.i++
			p.space()
			if p.i < len(p.s) && p.s[p.i] == ']' {
				return eval.Value{}, p.fail("trailing comma")
			}
		case ']':
			p.i++
			p.depth--
			return eval.NewArray(out), nil
		default:
			return eval.Value{}, p.fail("expected `,` or `]`")
		}
	}
}

// str reads a string literal (p.s[p.i] is the opening quote).
func (p *jsonParser) str() (string, error) {
	p.i++
	start := p.i
	// Fast path: no escapes.
	for p.i < len(p.s) {
		ch := p.s[p.i]
		if ch == '"' {
			s := p.s[start:p.i]
			p.i++
			return s, nil
		}
		if ch == '\\' || ch < 0x20 {
			break
		}
		p.i++
	}
	var b strings.Builder
	b.WriteString(p.s[start:p.i])
	for p.i < len(p.s) {
		ch := p.s[p.i]
		switch {
		case ch == '"':
			p.i++
			return b.String(), nil
		case ch < 0x20:
			return "", p.fail("control character (\\u0000-\\u001F) found while parsing a string")
		case ch != '\\':
			b.WriteByte(ch)
			p.i++
			continue
		}
		p.i++ // backslash
		if p.i >= len(p.s) {
			break
		}
		esc := p.s[p.i]
		p.i++
		switch esc {
		case '"', '\\', '/':
			b.WriteByte(esc)
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r, err := p.hex4()
			if err != nil {
				return "", err
			}
			if utf16.IsSurrogate(r) {
				if r >= 0xdc00 {
					return "", p.fail("lone leading surrogate in hex escape")
				}
				if !strings.HasPrefix(p.s[p.i:], `\u`) {
					return "", p.fail("unexpected end of hex escape")
				}
				p.i += 2
				r2, err := p.hex4()
				if err != nil {
					return "", err
				}
				if r = utf16.DecodeRune(r, r2); r == utf8.RuneError {
					return "", p.fail("lone leading surrogate in hex escape")
				}
			}
			b.WriteRune(r)
		default:
			return "", p.fail("invalid escape")
		}
	}
	return "", p.fail("EOF while parsing a string")
}

func (p *jsonParser) hex4() (rune, error) {
	if p.i+4 > len(p.s) {
		return 0, p.fail("EOF while parsing a string")
	}
	n, err := strconv.ParseUint(p.s[p.i:p.i+4], 16, 32)
	if err != nil {
		return 0, p.fail("invalid escape")
	}
	p.i += 4
	return rune(n), nil
}

// number reads a JSON number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *jsonParser) number() (eval.Value, error) {
	start := p.i
	digits := func() int {
		n := 0
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	if p.s[p.i] == '-' {
		p.i++
	}
	intStart := p.i
	if digits() == 0 {
		return eval.Value{}, p.fail("invalid number")
	}
	if p.s[intStart] == '0' && p.i-intStart > 1 {
		p.i = intStart + 1
		return eval.Value{}, p.fail("invalid number")
	}
	isFloat := false
	if p.i < len(p.s) && p.s[p.i] == '.' {
		p.i++
		isFloat = true
		if digits() == 0 {
			return eval.Value{}, p.fail("invalid number")
		}
	}
	if p.i < len(p.s) && (p.s[p.i] == 'e' || p.s[p.i] == 'E') {
		p.i++
		isFloat = true
		if p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return eval.Value{}, p.fail("invalid number")
		}
	}
	text := p.s[start:p.i]
	if !isFloat {
		if n, err := strconv.ParseInt(text, 10, 64); err == nil {
			return eval.Int(n), nil
		}
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsInf(f, 0) {
		return eval.Value{}, p.fail("number out of range")
	}
	return eval.Float(f), nil
}

// writeJSON writes v as compact JSON, charging fuel as it goes.
func writeJSON(c *eval.Call, b *strings.Builder, v eval.Value) error {
	if err := spend(c, 1); err != nil {
		return err
	}
	switch v.Kind() {
	case eval.UnitKind:
		b.WriteString("null")
	case eval.BoolKind:
		b.WriteString(strconv.FormatBool(v.Bool()))
	case eval.IntKind:
		b.WriteString(strconv.FormatInt(v.Int(), 10))
	case eval.FloatKind:
		b.WriteString(jsonFloat(v.Float()))
	case eval.CharKind:
		writeJSONString(b, string(v.Char()))
	case eval.StringKind:
		if err := scan(c, len(v.Str())); err != nil {
			return err
		}
		writeJSONString(b, v.Str())
	case eval.ArrayKind:
		b.WriteByte('[')
		for i, e := range v.Array().Elems {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := writeJSON(c, b, e); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case eval.BlobKind:
		bytes := v.Blob().B
		if err := spend(c, len(bytes)); err != nil {
			return err
		}
		b.WriteByte('[')
		for i, x := range bytes {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(int(x)))
		}
		b.WriteByte(']')
	case eval.MapKind:
		b.WriteByte('{')
		var err error
		first := true
		v.Map().Range(func(k string, e eval.Value) bool {
			if !first {
				b.WriteByte(',')
			}
			first = false
			writeJSONString(b, k)
			b.WriteByte(':')
			err = writeJSON(c, b, e)
			return err == nil
		})
		if err != nil {
			return err
		}
		b.WriteByte('}')
	case eval.FnPtrKind:
		// serde: a curried pointer is [name, curried...], otherwise its name.
		f := v.FnPtr()
		if len(f.Curry) == 0 {
			writeJSONString(b, f.Name)
			break
		}
		b.WriteByte('[')
		writeJSONString(b, f.Name)
		for _, e := range f.Curry {
			b.WriteByte(',')
			if err := writeJSON(c, b, e); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	default:
		// Timestamps and ranges have no JSON form: serde writes a string.
		writeJSONString(b, v.DebugString())
	}
	return nil
}

// writeJSONString writes s quoted and escaped as serde_json does.
func writeJSONString(b *strings.Builder, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	start := 0
	for i := 0; i < len(s); i++ {
		ch := s[i]
		var esc string
		switch {
		case ch == '"':
			esc = `\"`
		case ch == '\\':
			esc = `\\`
		case ch == '\n':
			esc = `\n`
		case ch == '\r':
			esc = `\r`
		case ch == '\t':
			esc = `\t`
		case ch == '\b':
			esc = `\b`
		case ch == '\f':
			esc = `\f`
		case ch < 0x20:
			esc = `\u00` + string(hex[ch>>4]) + string(hex[ch&15])
		default:
			continue
		}
		b.WriteString(s[start:i])
		b.WriteString(esc)
		start = i + 1
	}
	b.WriteString(s[start:])
	b.WriteByte('"')
}

// jsonFloat formats a float as serde_json does (through the ryu crate):
// shortest round-trip digits, "1.0" for whole numbers, scientific notation
// ("1e20", "1.5e-7") outside 1e-5..1e16; NaN and infinities are null.
func jsonFloat(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "null"
	}
	if f == 0 {
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // [-]d[.ddd]e±XX
	neg := e[0] == '-'
	if neg {
		e = e[1:]
	}
	at := strings.IndexByte(e, 'e')
	exp, _ := strconv.Atoi(e[at+1:])
	digits := strings.Replace(e[:at], ".", "", 1)
	n := len(digits)
	k := exp - (n - 1) // value = digits × 10^k
	kk := n + k        // 10^(kk-1) <= value < 10^kk
	var out string
	switch {
	case k >= 0 && kk <= 16:
		out = digits + strings.Repeat("0", k) + ".0"
	case kk > 0 && kk <= 16:
		out = digits[:kk] + "." + digits[kk:]
	case kk > -5 && kk <= 0:
		out = "0." + strings.Repeat("0", -kk) + digits
	case n == 1:
		out = digits + "e" + strconv.Itoa(kk-1)
	default:
		out = digits[:1] + "." + digits[1:] + "e" + strconv.Itoa(kk-1)
	}
	if neg {
		return "-" + out
	}
	return out
}
