package rhai

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
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
// numbers that fit become i64, other numbers f64, null becomes ().
func FromJSON(data []byte) (eval.Value, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeJSON(dec, 0)
	if err != nil {
		return eval.Value{}, err
	}
	if dec.More() {
		return eval.Value{}, fmt.Errorf("rhai: trailing data after JSON value")
	}
	return v, nil
}

func decodeJSON(dec *json.Decoder, depth int) (eval.Value, error) {
	if depth > maxJSONDepth {
		return eval.Value{}, fmt.Errorf("rhai: JSON nested too deeply")
	}
	tok, err := dec.Token()
	if err != nil {
		return eval.Value{}, err
	}
	switch t := tok.(type) {
	case nil:
		return eval.Value{}, nil
	case bool:
		return eval.Bool(t), nil
	case string:
		return eval.Str(t), nil
	case json.Number:
		if i, err := strconv.ParseInt(string(t), 10, 64); err == nil {
			return eval.Int(i), nil
		}
		f, err := strconv.ParseFloat(string(t), 64)
		if err != nil {
			return eval.Value{}, fmt.Errorf("rhai: bad JSON number %s", t)
		}
		return eval.Float(f), nil
	case json.Delim:
		switch t {
		case '[':
			var elems []eval.Value
			for dec.More() {
				e, err := decodeJSON(dec, depth+1)
				if err != nil {
					return eval.Value{}, err
				}
				elems = append(elems, e)
			}
			if _, err := dec.Token(); err != nil {
				return eval.Value{}, err
			}
			if elems == nil {
				elems = []eval.Value{}
			}
			return eval.NewArray(elems), nil
		case '{':
			m := eval.NewMapCap(0)
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return eval.Value{}, err
				}
				k, _ := kt.(string)
				e, err := decodeJSON(dec, depth+1)
				if err != nil {
					return eval.Value{}, err
				}
				m.Set(k, e)
			}
			if _, err := dec.Token(); err != nil {
				return eval.Value{}, err
			}
			return eval.MapOf(m), nil
		}
	}
	return eval.Value{}, fmt.Errorf("rhai: unexpected JSON token %v", tok)
}
