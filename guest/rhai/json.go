package rhai

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/picloud/picloud/guest/eval"
)

// ToJSON encodes a value the way `picloud eval --json` shows it: integers as
// JSON integers, floats as numbers (or the strings "NaN", "inf", "-inf"),
// chars as one-character strings, () as null, arrays and maps as arrays and
// objects (map keys in sorted order), blobs as arrays of byte values, and
// function pointers, timestamps and ranges as their display strings.
func ToJSON(v eval.Value) ([]byte, error) {
	var b bytes.Buffer
	if err := writeJSON(&b, v, 0); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

const maxJSONDepth = 1000

func writeJSON(b *bytes.Buffer, v eval.Value, depth int) error {
	if depth > maxJSONDepth {
		return fmt.Errorf("rhai: value nested too deeply for JSON")
	}
	switch v.Kind() {
	case eval.UnitKind:
		b.WriteString("null")
	case eval.BoolKind:
		b.WriteString(strconv.FormatBool(v.Bool()))
	case eval.IntKind:
		b.WriteString(strconv.FormatInt(v.Int(), 10))
	case eval.FloatKind:
		f := v.Float()
		switch {
		case math.IsNaN(f):
			b.WriteString(`"NaN"`)
		case math.IsInf(f, 1):
			b.WriteString(`"inf"`)
		case math.IsInf(f, -1):
			b.WriteString(`"-inf"`)
		default:
			b.WriteString(eval.FormatFloat(f))
		}
	case eval.CharKind:
		writeJSONString(b, string(v.Char()))
	case eval.StringKind:
		writeJSONString(b, v.Str())
	case eval.ArrayKind:
		b.WriteByte('[')
		for i, e := range v.Array().Elems {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := writeJSON(b, e, depth+1); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case eval.MapKind:
		b.WriteByte('{')
		var err error
		i := 0
		v.Map().Range(func(k string, e eval.Value) bool {
			if i > 0 {
				b.WriteByte(',')
			}
			i++
			writeJSONString(b, k)
			b.WriteByte(':')
			err = writeJSON(b, e, depth+1)
			return err == nil
		})
		if err != nil {
			return err
		}
		b.WriteByte('}')
	case eval.BlobKind:
		b.WriteByte('[')
		for i, c := range v.Blob().B {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(int(c)))
		}
		b.WriteByte(']')
	default:
		writeJSONString(b, v.String())
	}
	return nil
}

func writeJSONString(b *bytes.Buffer, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b.WriteByte('\\')
				b.WriteByte(c)
			case c == '\n':
				b.WriteString(`\n`)
			case c == '\r':
				b.WriteString(`\r`)
			case c == '\t':
				b.WriteString(`\t`)
			case c < 0x20 || c == 0x7f:
				b.WriteString(`\u00`)
				b.WriteByte(hex[c>>4])
				b.WriteByte(hex[c&15])
			default:
				b.WriteByte(c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteString(`\ufffd`)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	b.WriteByte('"')
}

// FromJSON decodes JSON into a Rhai value: objects become maps, integral
// numbers that fit become i64, other numbers f64, null becomes (). It is a
// hand-written scanner rather than encoding/json's token stream because the
// sandbox decodes every invocation's event with it, and inside wasm the
// token stream's allocations cost more than the rest of a small invocation.
func FromJSON(data []byte) (eval.Value, error) {
	d := jsonDecoder{b: data}
	d.space()
	v, err := d.value(0)
	if err != nil {
		return eval.Value{}, err
	}
	d.space()
	if d.i < len(d.b) {
		return eval.Value{}, d.fail("trailing data after JSON value")
	}
	return v, nil
}

type jsonDecoder struct {
	b []byte
	i int
}

func (d *jsonDecoder) fail(what string) error {
	return fmt.Errorf("rhai: bad JSON at byte %d: %s", d.i, what)
}

func (d *jsonDecoder) space() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *jsonDecoder) literal(word string, v eval.Value) (eval.Value, error) {
	if !bytes.HasPrefix(d.b[d.i:], []byte(word)) {
		return eval.Value{}, d.fail("expected a value")
	}
	d.i += len(word)
	return v, nil
}

func (d *jsonDecoder) value(depth int) (eval.Value, error) {
	if depth > maxJSONDepth {
		return eval.Value{}, d.fail("nested too deeply")
	}
	if d.i >= len(d.b) {
		return eval.Value{}, d.fail("unexpected end of input")
	}
	switch c := d.b[d.i]; {
	case c == '{':
		return d.object(depth)
	case c == '[':
		return d.array(depth)
	case c == '"':
		s, err := d.str()
		if err != nil {
			return eval.Value{}, err
		}
		return eval.Str(s), nil
	case c == '-' || c >= '0' && c <= '9':
		return d.number()
	case c == 't':
		return d.literal("true", eval.Bool(true))
	case c == 'f':
		return d.literal("false", eval.Bool(false))
	case c == 'n':
		return d.literal("null", eval.Value{})
	}
	return eval.Value{}, d.fail("expected a value")
}

func (d *jsonDecoder) object(depth int) (eval.Value, error) {
	d.i++ // {
	m := eval.NewMapCap(0)
	d.space()
	if d.i < len(d.b) && d.b[d.i] == '}' {
		d.i++
		return eval.MapOf(m), nil
	}
	for {
		d.space()
		if d.i >= len(d.b) || d.b[d.i] != '"' {
			return eval.Value{}, d.fail("expected a string key")
		}
		k, err := d.str()
		if err != nil {
			return eval.Value{}, err
		}
		d.space()
		if d.i >= len(d.b) || d.b[d.i] != ':' {
			return eval.Value{}, d.fail(`expected ":"`)
		}
		d.i++
		d.space()
		v, err := d.value(depth + 1)
		if err != nil {
			return eval.Value{}, err
		}
		m.Set(k, v)
		d.space()
		if d.i >= len(d.b) {
			return eval.Value{}, d.fail("unexpected end of input")
		}
		switch d.b[d.i] {
		case ',':
			d.i++
		case '}':
			d.i++
			return eval.MapOf(m), nil
		default:
			return eval.Value{}, d.fail(`expected "," or "}"`)
		}
	}
}

func (d *jsonDecoder) array(depth int) (eval.Value, error) {
	d.i++ // [
	elems := []eval.Value{}
	d.space()
	if d.i < len(d.b) && d.b[d.i] == ']' {
		d.i++
		return eval.NewArray(elems), nil
	}
	for {
		d.space()
		v, err := d.value(depth + 1)
		if err != nil {
			return eval.Value{}, err
		}
		elems = append(elems, v)
		d.space()
		if d.i >= len(d.b) {
			return eval.Value{}, d.fail("unexpected end of input")
		}
		switch d.b[d.i] {
		case ',':
			d.i++
		case ']':
			d.i++
			return eval.NewArray(elems), nil
		default:
			return eval.Value{}, d.fail(`expected "," or "]"`)
		}
	}
}

// str reads a string literal; the common case without escapes is one copy.
func (d *jsonDecoder) str() (string, error) {
	d.i++ // "
	start := d.i
	for d.i < len(d.b) {
		c := d.b[d.i]
		if c == '"' {
			s := string(d.b[start:d.i])
			d.i++
			if !utf8.ValidString(s) {
				return "", d.fail("invalid UTF-8 in string")
			}
			return s, nil
		}
		if c == '\\' || c < 0x20 {
			break
		}
		d.i++
	}
	var sb []byte
	sb = append(sb, d.b[start:d.i]...)
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			d.i++
			if !utf8.Valid(sb) {
				return "", d.fail("invalid UTF-8 in string")
			}
			return string(sb), nil
		case c < 0x20:
			return "", d.fail("control character in string")
		case c != '\\':
			sb = append(sb, c)
			d.i++
			continue
		}
		d.i++ // backslash
		if d.i >= len(d.b) {
			break
		}
		esc := d.b[d.i]
		d.i++
		switch esc {
		case '"', '\\', '/':
			sb = append(sb, esc)
		case 'b':
			sb = append(sb, '\b')
		case 'f':
			sb = append(sb, '\f')
		case 'n':
			sb = append(sb, '\n')
		case 'r':
			sb = append(sb, '\r')
		case 't':
			sb = append(sb, '\t')
		case 'u':
			r, ok := d.hex4()
			if !ok {
				return "", d.fail("bad \\u escape")
			}
			if utf16.IsSurrogate(r) {
				r2 := utf8.RuneError
				if d.i+1 < len(d.b) && d.b[d.i] == '\\' && d.b[d.i+1] == 'u' {
					d.i += 2
					lo, ok := d.hex4()
					if !ok {
						return "", d.fail("bad \\u escape")
					}
					r2 = lo
				}
				r = utf16.DecodeRune(r, r2)
			}
			sb = utf8.AppendRune(sb, r)
		default:
			return "", d.fail("bad escape")
		}
	}
	return "", d.fail("unterminated string")
}

func (d *jsonDecoder) hex4() (rune, bool) {
	if d.i+4 > len(d.b) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(d.b[d.i:d.i+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	d.i += 4
	return rune(n), true
}

// number reads a JSON number: an integer literal that fits i64 is an i64,
// anything else (fraction, exponent, out of range) an f64.
func (d *jsonDecoder) number() (eval.Value, error) {
	start := d.i
	if d.b[d.i] == '-' {
		d.i++
	}
	digits := func() int {
		n := 0
		for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
			d.i++
			n++
		}
		return n
	}
	intStart := d.i
	if digits() == 0 || d.b[intStart] == '0' && d.i-intStart > 1 {
		return eval.Value{}, d.fail("bad number")
	}
	integral := true
	if d.i < len(d.b) && d.b[d.i] == '.' {
		d.i++
		integral = false
		if digits() == 0 {
			return eval.Value{}, d.fail("bad number")
		}
	}
	if d.i < len(d.b) && (d.b[d.i] == 'e' || d.b[d.i] == 'E') {
		d.i++
		integral = false
		if d.i < len(d.b) && (d.b[d.i] == '+' || d.b[d.i] == '-') {
			d.i++
		}
		if digits() == 0 {
			return eval.Value{}, d.fail("bad number")
		}
	}
	text := string(d.b[start:d.i])
	if integral {
		if n, err := strconv.ParseInt(text, 10, 64); err == nil {
			return eval.Int(n), nil
		}
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return eval.Value{}, d.fail("bad number")
	}
	return eval.Float(f), nil
}
