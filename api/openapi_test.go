package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

var ginParam = regexp.MustCompile(`:([A-Za-z_]+)`)

// Every route the server registers under /api/v1 is in the OpenAPI
// document, and every documented operation is registered.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	e := newEnv(t, envOptions{})
	registered := map[string]bool{}
	for _, r := range e.srv.admin.Routes() {
		if !strings.HasPrefix(r.Path, apiPrefix+"/") {
			continue
		}
		path := ginParam.ReplaceAllString(strings.TrimPrefix(r.Path, apiPrefix), "{$1}")
		registered[r.Method+" "+path] = true
	}
	documented := map[string]bool{}
	doc := e.srv.OpenAPI()
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	for k := range registered {
		if !documented[k] {
			t.Errorf("%s is served but not in openapi.yaml", k)
		}
	}
	for k := range documented {
		if !registered[k] {
			t.Errorf("%s is in openapi.yaml but not served", k)
		}
	}
	if len(registered) != len(e.srv.routes()) {
		t.Errorf("%d routes registered, routes() has %d", len(registered), len(e.srv.routes()))
	}

	// Every operation says which responses a token's absence or lack of
	// scope get, except the document itself.
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if path == "/openapi.json" {
				continue
			}
			if op.Responses.Value("401") == nil {
				t.Errorf("%s %s documents no 401", method, path)
			}
		}
	}

	// The served document is the one loaded, and a valid OpenAPI 3 one.
	r := e.do(req{method: "GET", path: "/api/v1/openapi.json"})
	if r.code != 200 || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET openapi.json: %d %s", r.code, r.header.Get("Content-Type"))
	}
	loader := openapi3.NewLoader()
	served, err := loader.LoadFromData(r.raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := served.Validate(context.Background()); err != nil {
		t.Fatalf("the served document is invalid: %v", err)
	}
	if len(served.Paths.Map()) != len(doc.Paths.Map()) {
		t.Fatalf("served %d paths, loaded %d", len(served.Paths.Map()), len(doc.Paths.Map()))
	}
	var codes []string
	for _, c := range served.Components.Schemas["Problem"].Value.Properties["code"].Value.Enum {
		codes = append(codes, c.(string))
	}
	for _, c := range allCodes {
		if !slices.Contains(codes, c) {
			t.Errorf("problem code %q is not in the document's Problem.code enum", c)
		}
	}
	if len(codes) != len(allCodes) {
		t.Errorf("the document lists %d problem codes, problems.go %d", len(codes), len(allCodes))
	}
}

// allCodes are the problem codes of problems.go.
var allCodes = []string{
	CodeMalformedJSON, CodeUnknownField, CodeWrongType, CodeInvalidField, CodeInvalidPathPattern,
	CodeInvalidTopicPattern, CodeInvalidSchedule, CodeScriptParseError, CodeUnknownScript, CodeInvalidCursor,
	CodeUnauthenticated, CodeInvalidToken, CodeInsufficientScope, CodeAppRestricted, CodeNotFound,
	CodeAppNotFound, CodeScriptNotFound, CodeVersionNotFound, CodeTriggerNotFound, CodeInvocationNotFound,
	CodeTokenNotFound, CodeMethodNotAllowed, CodeAppExists, CodeRouteExists, CodeQueueHasConsumer,
	CodeScriptNotDeployed, CodeLastAdminToken, CodeConflict, CodeBodyTooLarge, CodeUnsupportedMediaType,
	CodeInternal, CodeUnavailable,
	// problems_events.go
	CodeInvalidTopic, CodeKVKeyNotFound, CodeDeliveryNotFound, CodeDeliveryRunning, CodeQueueHasNoConsumer,
	CodeTriggerGone, CodeKVQuotaExceeded,
}

// The response check of the tests' client catches a response that strays
// from the document.
func TestDocumentCheckCatchesStrayResponses(t *testing.T) {
	e := newEnv(t, envOptions{})
	hr := httptest.NewRequest(http.MethodGet, "/api/v1/whoami", nil)
	rt, params, ok := findOperation(e.srv.OpenAPI(), http.MethodGet, "/whoami")
	if !ok {
		t.Fatal("GET /whoami not found in the document")
	}
	for _, body := range []map[string]any{
		{"token_id": 1, "name": "x", "scopes": []string{"admin"}, "app": nil, "expires_at": nil, "extra": true},
		{"token_id": "1", "name": "x", "scopes": []string{"admin"}, "app": nil, "expires_at": nil},
		{"token_id": 1, "name": "x", "scopes": []string{"root"}, "app": nil, "expires_at": nil},
	} {
		raw, _ := json.Marshal(body)
		in := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{Request: hr, PathParams: params, Route: rt},
			Status:                 200, Header: http.Header{"Content-Type": {"application/json"}},
			Options: &openapi3filter.Options{IncludeResponseStatus: true},
		}
		in.SetBodyBytes(raw)
		if err := openapi3filter.ValidateResponse(context.Background(), in); err == nil {
			t.Errorf("%s passed the check", raw)
		}
	}
}
