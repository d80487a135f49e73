package main

import (
	"encoding/base64"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/picloud/picloud/guest/eval"
	"github.com/picloud/picloud/guest/rhai"
	"github.com/picloud/picloud/hostfuncs/abi"
)

// effectsHost is what the kv::, pubsub:: and queue:: modules need from the
// host: the effect functions of package hostfuncs (effects_wasip1.go
// implements it with wasm imports). Their writes are staged by the host and
// committed only if the script succeeds.
type effectsHost interface {
	kvGet(key string) ([]byte, abi.Status) // nil and StatusOK when the key does not exist
	kvSet(key string, value []byte) abi.Status
	kvDelete(key string) abi.Status
	kvList(req []byte) ([]byte, abi.Status)
	kvIncr(key string, by int64) (int64, abi.Status)
	publish(req []byte) ([16]byte, abi.Status)
	push(req []byte) ([16]byte, abi.Status)
	// lastError explains the last failed call.
	lastError() string
}

// noEffects answers every effect call StatusUnavailable: hosts without the
// effect functions (the shell's tests).
type noEffects struct{}

func (noEffects) kvGet(string) ([]byte, abi.Status)        { return nil, abi.StatusUnavailable }
func (noEffects) kvSet(string, []byte) abi.Status          { return abi.StatusUnavailable }
func (noEffects) kvDelete(string) abi.Status               { return abi.StatusUnavailable }
func (noEffects) kvList([]byte) ([]byte, abi.Status)       { return nil, abi.StatusUnavailable }
func (noEffects) kvIncr(string, int64) (int64, abi.Status) { return 0, abi.StatusUnavailable }
func (noEffects) publish([]byte) ([16]byte, abi.Status)    { return [16]byte{}, abi.StatusUnavailable }
func (noEffects) push([]byte) ([16]byte, abi.Status)       { return [16]byte{}, abi.StatusUnavailable }
func (noEffects) lastError() string                        { return "" }

// registerEffects defines kv::get/set/delete/list/incr,
// pubsub::publish_durable and queue::push in r.
func (s *shell) registerEffects(r *eval.Registry) {
	fx, ok := s.host.(effectsHost)
	if !ok {
		fx = noEffects{}
	}
	str, anyKind, mapKind, intKind := eval.StringKind, eval.Any, eval.MapKind, eval.IntKind

	r.RegisterModule("kv", "get", []eval.Kind{str}, func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		data, st := fx.kvGet(a[0].Str())
		if st != abi.StatusOK {
			return eval.Unit(), effectError(c, fx, "kv::get", st)
		}
		if len(data) == 0 {
			return eval.Unit(), nil
		}
		return decodeResult(c, "kv::get", data)
	})
	r.RegisterModule("kv", "set", []eval.Kind{str, anyKind}, func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		value, err := encodeValue(c, "kv::set", a[1])
		if err != nil {
			return eval.Unit(), err
		}
		if st := fx.kvSet(a[0].Str(), value); st != abi.StatusOK {
			return eval.Unit(), effectError(c, fx, "kv::set", st)
		}
		return eval.Unit(), nil
	})
	r.RegisterModule("kv", "delete", []eval.Kind{str}, func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		if st := fx.kvDelete(a[0].Str()); st != abi.StatusOK {
			return eval.Unit(), effectError(c, fx, "kv::delete", st)
		}
		return eval.Unit(), nil
	})
	list := func(c *eval.Call, prefix string, opts *eval.Map) (eval.Value, error) {
		req := abi.KVListRequest{Prefix: prefix}
		if opts != nil {
			var bad string
			opts.Range(func(k string, v eval.Value) bool {
				switch {
				case k == "limit" && v.Kind() == eval.IntKind && v.Int() > 0 && v.Int() <= math.MaxUint32:
					req.Limit = uint32(v.Int())
				case k == "after" && v.Kind() == eval.StringKind:
					req.After = v.Str()
				case k == "limit":
					bad = "limit must be a positive integer"
				case k == "after":
					bad = "after must be a string: the last key of the previous page"
				default:
					bad = fmt.Sprintf("unknown option %q: want limit or after", k)
				}
				return bad == ""
			})
			if bad != "" {
				return eval.Unit(), c.Errorf(eval.ErrorRuntime, "kv::list: %s", bad)
			}
		}
		data, st := fx.kvList(req.AppendBinary(nil))
		if st != abi.StatusOK {
			return eval.Unit(), effectError(c, fx, "kv::list", st)
		}
		return decodeResult(c, "kv::list", data)
	}
	r.RegisterModule("kv", "list", []eval.Kind{str}, func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return list(c, a[0].Str(), nil)
	})
	r.RegisterModule("kv", "list", []eval.Kind{str, mapKind}, func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return list(c, a[0].Str(), a[1].Map())
	})
	incr := func(c *eval.Call, key string, by int64) (eval.Value, error) {
		n, st := fx.kvIncr(key, by)
		if st != abi.StatusOK {
			return eval.Unit(), effectError(c, fx, "kv::incr", st)
		}
		return eval.Int(n), nil
	}
	r.RegisterModule("kv", "incr", []eval.Kind{str}, func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return incr(c, a[0].Str(), 1)
	})
	r.RegisterModule("kv", "incr", []eval.Kind{str, intKind}, func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return incr(c, a[0].Str(), a[1].Int())
	})

	r.RegisterModule("pubsub", "publish_durable", []eval.Kind{str, anyKind}, func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		msg, err := encodeValue(c, "pubsub::publish_durable", a[1])
		if err != nil {
			return eval.Unit(), err
		}
		req := abi.PublishRequest{Topic: a[0].Str(), Message: msg}
		id, st := fx.publish(req.AppendBinary(nil))
		if st != abi.StatusOK {
			return eval.Unit(), effectError(c, fx, "pubsub::publish_durable", st)
		}
		return eval.Str(formatUUID(id)), nil
	})

	push := func(c *eval.Call, queue string, payload eval.Value, opts *eval.Map) (eval.Value, error) {
		body, err := encodeValue(c, "queue::push", payload)
		if err != nil {
			return eval.Unit(), err
		}
		req := abi.PushRequest{Queue: queue, Payload: body}
		if opts != nil {
			var bad string
			opts.Range(func(k string, v eval.Value) bool {
				if k != "delay" {
					bad = fmt.Sprintf("unknown option %q: want delay", k)
					return false
				}
				d, err := parseDelay(v)
				if err != nil {
					bad = err.Error()
					return false
				}
				req.DelayMS = d.Milliseconds()
				return true
			})
			if bad != "" {
				return eval.Unit(), c.Errorf(eval.ErrorRuntime, "queue::push: %s", bad)
			}
		}
		id, st := fx.push(req.AppendBinary(nil))
		if st != abi.StatusOK {
			return eval.Unit(), effectError(c, fx, "queue::push", st)
		}
		return eval.Str(formatUUID(id)), nil
	}
	r.RegisterModule("queue", "push", []eval.Kind{str, anyKind}, func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return push(c, a[0].Str(), a[1], nil)
	})
	r.RegisterModule("queue", "push", []eval.Kind{str, anyKind, mapKind}, func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return push(c, a[0].Str(), a[1], a[2].Map())
	})
}

// parseDelay reads a queue message's delay: a duration string ("90s",
// "10m", "1h30m", "2d") or a number of seconds.
func parseDelay(v eval.Value) (time.Duration, error) {
	switch v.Kind() {
	case eval.IntKind:
		if v.Int() < 0 || v.Int() > math.MaxInt64/int64(time.Second) {
			return 0, fmt.Errorf("delay %d: want a number of seconds from 0", v.Int())
		}
		return time.Duration(v.Int()) * time.Second, nil
	case eval.FloatKind:
		f := v.Float()
		if !(f >= 0) || f > float64(math.MaxInt64/int64(time.Second)) {
			return 0, fmt.Errorf("delay %v: want a number of seconds from 0", f)
		}
		return time.Duration(f * float64(time.Second)), nil
	case eval.StringKind:
		s := v.Str()
		if days, ok := cutDays(s); ok {
			return days, nil
		}
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			return 0, fmt.Errorf("delay %q: want a duration such as \"90s\", \"10m\", \"1h30m\" or \"2d\"", s)
		}
		return d, nil
	}
	return 0, fmt.Errorf("delay: want a duration string or a number of seconds, got %s", v.TypeName())
}

// cutDays reads "<n>d", which time.ParseDuration does not know.
func cutDays(s string) (time.Duration, bool) {
	if len(s) < 2 || s[len(s)-1] != 'd' {
		return 0, false
	}
	n, err := strconv.ParseInt(s[:len(s)-1], 10, 64)
	if err != nil || n < 0 || n > 100_000 {
		return 0, false
	}
	return time.Duration(n) * 24 * time.Hour, true
}

// effectError is the catchable error of a failed effect call: the host's
// explanation when it has one.
func effectError(c *eval.Call, fx effectsHost, fn string, st abi.Status) error {
	if msg := fx.lastError(); msg != "" && st != abi.StatusFault {
		return c.Errorf(eval.ErrorRuntime, "%s", msg)
	}
	switch st {
	case abi.StatusUnavailable:
		return c.Errorf(eval.ErrorRuntime, "%s is not available here: this invocation cannot change durable state", fn)
	case abi.StatusLimit:
		return c.Errorf(eval.ErrorRuntime, "%s: limit exceeded", fn)
	case abi.StatusBadPayload:
		return c.Errorf(eval.ErrorRuntime, "%s: invalid argument", fn)
	default:
		return c.Errorf(eval.ErrorRuntime, "%s: host status %v", fn, st)
	}
}

// decodeResult turns a host's JSON answer into a Rhai value, charging fuel
// and memory for it.
func decodeResult(c *eval.Call, fn string, data []byte) (eval.Value, error) {
	if err := c.Charge(1 + int64(len(data))/64); err != nil {
		return eval.Unit(), err
	}
	if err := c.Alloc(int64(len(data)) * 2); err != nil {
		return eval.Unit(), err
	}
	v, err := rhai.FromJSON(data)
	if err != nil {
		return eval.Unit(), c.Errorf(eval.ErrorRuntime, "%s: the host's answer is not JSON: %v", fn, err)
	}
	return v, nil
}

// encodeValue is a value as the JSON the effects carry, charging fuel and
// memory for it.
func encodeValue(c *eval.Call, fn string, v eval.Value) ([]byte, error) {
	b, err := appendEffectJSON(nil, v, 0)
	if err != nil {
		return nil, c.Errorf(eval.ErrorRuntime, "%s: %v", fn, err)
	}
	if err := c.Charge(1 + int64(len(b))/64); err != nil {
		return nil, err
	}
	if err := c.Alloc(int64(len(b))); err != nil {
		return nil, err
	}
	return b, nil
}

const maxEffectDepth = 512

// appendEffectJSON appends v as JSON: rhai.ToJSON's encoding (() is null,
// maps are objects with sorted keys, NaN and infinities are the strings
// "NaN", "inf" and "-inf", timestamps and function pointers their display
// form) except that Blobs, at any depth, are base64 strings (standard
// alphabet, padded).
func appendEffectJSON(b []byte, v eval.Value, depth int) ([]byte, error) {
	if depth > maxEffectDepth {
		return nil, fmt.Errorf("the value is nested more than %d deep", maxEffectDepth)
	}
	switch v.Kind() {
	case eval.UnitKind:
		return append(b, "null"...), nil
	case eval.BoolKind:
		return strconv.AppendBool(b, v.Bool()), nil
	case eval.IntKind:
		return strconv.AppendInt(b, v.Int(), 10), nil
	case eval.FloatKind:
		f := v.Float()
		switch {
		case math.IsNaN(f):
			return append(b, `"NaN"`...), nil
		case math.IsInf(f, 1):
			return append(b, `"inf"`...), nil
		case math.IsInf(f, -1):
			return append(b, `"-inf"`...), nil
		}
		return append(b, eval.FormatFloat(f)...), nil
	case eval.CharKind:
		return appendJSONString(b, string(v.Char())), nil
	case eval.StringKind:
		return appendJSONString(b, v.Str()), nil
	case eval.BlobKind:
		b = append(b, '"')
		b = base64.StdEncoding.AppendEncode(b, v.Blob().B)
		return append(b, '"'), nil
	case eval.ArrayKind:
		b = append(b, '[')
		for i, e := range v.Array().Elems {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendEffectJSON(b, e, depth+1); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case eval.MapKind:
		b = append(b, '{')
		var err error
		i := 0
		v.Map().Range(func(k string, e eval.Value) bool {
			if i > 0 {
				b = append(b, ',')
			}
			i++
			b = appendJSONString(b, k)
			b = append(b, ':')
			b, err = appendEffectJSON(b, e, depth+1)
			return err == nil
		})
		if err != nil {
			return nil, err
		}
		return append(b, '}'), nil
	default:
		return appendJSONString(b, v.String()), nil
	}
}

// appendJSONString appends s as a JSON string; invalid UTF-8 becomes U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, `\n`...)
			case c == '\r':
				b = append(b, `\r`...)
			case c == '\t':
				b = append(b, `\t`...)
			case c < 0x20 || c == 0x7f:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// formatUUID renders 16 bytes in the canonical 8-4-4-4-12 form.
func formatUUID(id [16]byte) string {
	const hex = "0123456789abcdef"
	out := make([]byte, 0, 36)
	for i, c := range id {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hex[c>>4], hex[c&15])
	}
	return string(out)
}
