package hostfuncs

import (
	"context"
	"encoding/json"
	"mime"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tetratelabs/wazero/api"

	"github.com/picloud/picloud/egress"
	"github.com/picloud/picloud/hostfuncs/abi"
)

// HTTPDoer sends an invocation's outbound requests under its app's egress
// policy; *egress.Client satisfies it.
type HTTPDoer interface {
	Do(ctx context.Context, req egress.Request) (*egress.Response, error)
}

var _ HTTPDoer = (*egress.Client)(nil)

// HTTP returns the http family: http::get, http::post and http::request on
// the invocation's HTTP client.
func HTTP() Family {
	return Family{Name: "http", Functions: []Function{httpRequest}}
}

// httpRequest is the function abi.FuncHTTPRequest.
//
// # Parameters
//
//   - req_ptr, req_len: an abi.HTTPRequest as JSON
//   - out_ptr, out_cap: the output buffer for an abi.HTTPResponse as JSON
//   - out_len_ptr: where the response's length is written (u32
//     little-endian)
//
// # Result (abi.Status)
//
//   - StatusOK: the response is in the output buffer
//   - StatusShortBuffer: out_cap is too small; the needed length is at
//     out_len_ptr, and the retry with the same request returns the same
//     response without sending the request again
//   - StatusBadPayload: the request does not decode (error_last says why)
//   - StatusLimit: the request failed; error_last starts with its kind
//     (blocked, dns, refused, timeout, too_large, too_many_requests,
//     invalid)
//   - StatusFault: an argument is outside guest memory
//   - StatusUnavailable: no invocation, or it has no HTTP client
var httpRequest = Function{
	Name:        abi.FuncHTTPRequest,
	Params:      []api.ValueType{i32, i32, i32, i32, i32},
	ParamNames:  []string{"req_ptr", "req_len", "out_ptr", "out_cap", "out_len_ptr"},
	Results:     []api.ValueType{i32},
	ResultNames: []string{"status"},
	Fn: func(ctx context.Context, mod api.Module, stack []uint64) {
		inv := invocationFrom(ctx)
		if inv == nil {
			status(stack, abi.StatusUnavailable)
			return
		}
		in, ok := read(mod, uint32(stack[0]), uint32(stack[1]))
		if !ok {
			status(stack, abi.StatusFault)
			return
		}
		outPtr, outCap, outLen := uint32(stack[2]), uint32(stack[3]), uint32(stack[4])
		if data, ok := inv.stashed(abi.FuncHTTPRequest, in); ok {
			status(stack, writeOut(mod, outPtr, outCap, outLen, data))
			return
		}
		if inv.HTTP == nil {
			inv.fx.lastError = "blocked: outbound HTTP is not available here"
			status(stack, abi.StatusUnavailable)
			return
		}
		var req abi.HTTPRequest
		if err := json.Unmarshal(in, &req); err != nil {
			status(stack, inv.invalid("http::request", "the request does not decode"))
			return
		}
		h := make(http.Header, len(req.Headers))
		for k, v := range req.Headers {
			h.Set(k, v)
		}
		er := egress.Request{Method: req.Method, URL: req.URL, Header: h, Timeout: time.Duration(req.TimeoutMS) * time.Millisecond}
		if req.Body != nil {
			er.Body = []byte(*req.Body)
		}
		// The request never outlives the invocation's wall time or its
		// caller.
		if !inv.Deadline.IsZero() {
			var cancel context.CancelFunc
			ctx, cancel = context.WithDeadline(ctx, inv.Deadline)
			defer cancel()
		}
		if inv.Done != nil {
			var cancel context.CancelFunc
			ctx, cancel = context.WithCancel(ctx)
			defer cancel()
			go func() {
				select {
				case <-inv.Done:
					cancel()
				case <-ctx.Done():
				}
			}()
		}
		resp, err := inv.HTTP.Do(ctx, er)
		if err != nil {
			inv.fx.lastError = err.Error()
			status(stack, abi.StatusLimit)
			return
		}
		out := abi.HTTPResponse{Status: resp.Status, Headers: make(map[string]string, len(resp.Header))}
		for k, vs := range resp.Header {
			out.Headers[strings.ToLower(k)] = strings.Join(vs, ", ")
		}
		out.Body = strings.ToValidUTF8(string(resp.Body), "\uFFFD")
		if isJSON(resp.Header.Get("Content-Type")) && utf8.Valid(resp.Body) && json.Valid(resp.Body) {
			out.JSON = resp.Body
		}
		data, err := json.Marshal(&out)
		if err != nil {
			status(stack, inv.invalid("http::request", "the response does not encode"))
			return
		}
		status(stack, inv.writeResult(mod, abi.FuncHTTPRequest, in, data, outPtr, outCap, outLen))
	},
}

// isJSON reports whether a Content-Type is application/json or a +json type.
func isJSON(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}
