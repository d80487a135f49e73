package abi

import "encoding/json"

// FuncHTTPRequest: http_request(req_ptr u32, req_len u32, out_ptr u32,
// out_cap u32, out_len_ptr u32) -> status u32. Sends one outbound HTTP
// request under the app's egress policy. The request is a JSON object
// HTTPRequest; the output, following the output-buffer convention, is a JSON
// object HTTPResponse. On a failure error_last returns the reason, whose
// first word is the failure's kind: blocked, dns, refused, timeout,
// too_large, too_many_requests or invalid.
//
// Outbound HTTP is the one effect that is not staged: the request is sent
// when the script makes it, whether or not the script later succeeds.
const FuncHTTPRequest = "http_request"

// HTTPRequest is http_request's input, as JSON.
type HTTPRequest struct {
	Method    string            `json:"method,omitempty"` // default GET
	URL       string            `json:"url"`
	Headers   map[string]string `json:"headers,omitempty"`
	Body      *string           `json:"body,omitempty"`
	TimeoutMS int64             `json:"timeout_ms,omitempty"` // 0: the host's
}

// HTTPResponse is http_request's output, as JSON. JSON holds the body
// parsed when the response's Content-Type is JSON and the body parses.
type HTTPResponse struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
	JSON    json.RawMessage   `json:"json,omitempty"`
}
