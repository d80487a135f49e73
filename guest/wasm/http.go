package main

import (
	"encoding/json"
	"fmt"

	"github.com/picloud/picloud/guest/eval"
	"github.com/picloud/picloud/hostfuncs/abi"
)

// httpHost is what the http:: module needs from the host: the function
// abi.FuncHTTPRequest (http_wasip1.go) and error_last.
type httpHost interface {
	httpRequest(req []byte) ([]byte, abi.Status)
	lastError() string
}

type noHTTP struct{}

func (noHTTP) httpRequest([]byte) ([]byte, abi.Status) { return nil, abi.StatusUnavailable }
func (noHTTP) lastError() string                       { return "" }

// registerHTTP defines http::get, http::post and http::request in r. Each
// returns #{status, headers, body, json}; a failure is a catchable error
// whose message starts with its kind (blocked, dns, refused, timeout,
// too_large, too_many_requests, invalid).
func (s *shell) registerHTTP(r *eval.Registry) {
	hh, ok := s.host.(httpHost)
	if !ok {
		hh = noHTTP{}
	}
	str, anyKind, mapKind := eval.StringKind, eval.Any, eval.MapKind
	do := func(c *eval.Call, fn string, req abi.HTTPRequest) (eval.Value, error) {
		in, err := json.Marshal(&req)
		if err != nil {
			return eval.Unit(), c.Errorf(eval.ErrorRuntime, "invalid: %s: %v", fn, err)
		}
		if err := c.Charge(1 + int64(len(in))/64); err != nil {
			return eval.Unit(), err
		}
		out, st := hh.httpRequest(in)
		if st != abi.StatusOK {
			if msg := hh.lastError(); msg != "" && st != abi.StatusFault {
				return eval.Unit(), c.Errorf(eval.ErrorRuntime, "%s", msg)
			}
			if st == abi.StatusUnavailable {
				return eval.Unit(), c.Errorf(eval.ErrorRuntime, "blocked: %s: outbound HTTP is not available here", fn)
			}
			return eval.Unit(), c.Errorf(eval.ErrorRuntime, "%s: host status %v", fn, st)
		}
		return decodeResult(c, fn, out)
	}
	// body sets req's body: a string as is, () as none, anything else as
	// JSON with a JSON Content-Type unless the script gave one.
	body := func(c *eval.Call, fn string, req *abi.HTTPRequest, v eval.Value) error {
		switch v.Kind() {
		case eval.UnitKind:
			return nil
		case eval.StringKind:
			b := v.Str()
			req.Body = &b
			return nil
		}
		b, err := encodeValue(c, fn, v)
		if err != nil {
			return err
		}
		sb := string(b)
		req.Body = &sb
		if !hasHeader(req.Headers, "content-type") {
			if req.Headers == nil {
				req.Headers = map[string]string{}
			}
			req.Headers["Content-Type"] = "application/json"
		}
		return nil
	}
	headers := func(c *eval.Call, fn string, m *eval.Map) (map[string]string, error) {
		h := make(map[string]string, m.Len())
		var bad error
		m.Range(func(k string, v eval.Value) bool {
			if v.Kind() == eval.StringKind {
				h[k] = v.Str()
			} else {
				h[k] = v.String()
			}
			return true
		})
		return h, bad
	}

	r.RegisterModule("http", "get", []eval.Kind{str}, func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return do(c, "http::get", abi.HTTPRequest{Method: "GET", URL: a[0].Str()})
	})
	r.RegisterModule("http", "get", []eval.Kind{str, mapKind}, func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		req := abi.HTTPRequest{Method: "GET", URL: a[0].Str()}
		opts := a[1].Map()
		// http::get(url, #{headers: #{...}}) or http::get(url, #{"X-Name": v}).
		if hv, ok := opts.Get("headers"); ok && hv.Kind() == eval.MapKind {
			opts = hv.Map()
		}
		h, err := headers(c, "http::get", opts)
		if err != nil {
			return eval.Unit(), err
		}
		req.Headers = h
		return do(c, "http::get", req)
	})
	post := func(c *eval.Call, url string, b eval.Value, opts *eval.Map) (eval.Value, error) {
		req := abi.HTTPRequest{Method: "POST", URL: url}
		if opts != nil {
			if hv, ok := opts.Get("headers"); ok && hv.Kind() == eval.MapKind {
				opts = hv.Map()
			}
			h, err := headers(c, "http::post", opts)
			if err != nil {
				return eval.Unit(), err
			}
			req.Headers = h
		}
		if err := body(c, "http::post", &req, b); err != nil {
			return eval.Unit(), err
		}
		return do(c, "http::post", req)
	}
	r.RegisterModule("http", "post", []eval.Kind{str, anyKind}, func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return post(c, a[0].Str(), a[1], nil)
	})
	r.RegisterModule("http", "post", []eval.Kind{str, anyKind, mapKind}, func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return post(c, a[0].Str(), a[1], a[2].Map())
	})
	r.RegisterModule("http", "request", []eval.Kind{mapKind}, func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		const fn = "http::request"
		var req abi.HTTPRequest
		var bodyVal eval.Value
		var bad string
		a[0].Map().Range(func(k string, v eval.Value) bool {
			switch k {
			case "method":
				if v.Kind() != eval.StringKind {
					bad = "method must be a string"
				} else {
					req.Method = v.Str()
				}
			case "url":
				if v.Kind() != eval.StringKind {
					bad = "url must be a string"
				} else {
					req.URL = v.Str()
				}
			case "headers":
				if v.Kind() != eval.MapKind {
					bad = "headers must be a map"
				} else {
					req.Headers, _ = headers(c, fn, v.Map())
				}
			case "body":
				bodyVal = v
			case "timeout":
				d, err := parseDelay(v)
				if err != nil {
					bad = "timeout: " + err.Error()
				} else {
					req.TimeoutMS = max(1, d.Milliseconds())
				}
			default:
				bad = fmt.Sprintf("unknown option %q: want method, url, headers, body or timeout", k)
			}
			return bad == ""
		})
		if bad != "" {
			return eval.Unit(), c.Errorf(eval.ErrorRuntime, "invalid: %s: %s", fn, bad)
		}
		if req.URL == "" {
			return eval.Unit(), c.Errorf(eval.ErrorRuntime, "invalid: %s: url is missing", fn)
		}
		if err := body(c, fn, &req, bodyVal); err != nil {
			return eval.Unit(), err
		}
		return do(c, fn, req)
	})
}

func hasHeader(h map[string]string, name string) bool {
	for k := range h {
		if len(k) == len(name) && equalFold(k, name) {
			return true
		}
	}
	return false
}

func equalFold(a, b string) bool {
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
