package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/picloud/picloud/db/store"
)

// Problem codes: the stable `code` member of every error response (an RFC
// 9457 problem document served as application/problem+json). Clients branch
// on the code, never on the detail text. Each code always comes with the
// status shown.
const (
	// 400: the body is not JSON; the problem's offset is the byte where
	// parsing failed.
	CodeMalformedJSON = "malformed_json"
	// 400: the body has a member the endpoint does not know; pointer names it.
	CodeUnknownField = "unknown_field"
	// 400: a member has the wrong JSON type; pointer names it.
	CodeWrongType = "wrong_type"
	// 400: a member, path or query parameter has an invalid value; errors
	// lists each with a pointer (body) or parameter (path, query).
	CodeInvalidField = "invalid_field"
	// 400: an HTTP trigger's method or path pattern is invalid; offset is
	// the byte of the pattern at fault.
	CodeInvalidPathPattern = "invalid_path_pattern"
	// 400: a pub/sub pattern is invalid; reason and offset say why and where.
	CodeInvalidTopicPattern = "invalid_topic_pattern"
	// 400: a cron schedule or time zone is invalid.
	CodeInvalidSchedule = "invalid_schedule"
	// 400: a script does not parse; line, column and message locate the
	// error, rendered has the source line and a caret.
	CodeScriptParseError = "script_parse_error"
	// 400: a trigger names a script the app does not have.
	CodeUnknownScript = "unknown_script"
	// 400: a pagination cursor is not one this list handed out.
	CodeInvalidCursor = "invalid_cursor"

	// 401: no bearer token (WWW-Authenticate names the scheme).
	CodeUnauthenticated = "unauthenticated"
	// 401: the token is unknown, expired or revoked.
	CodeInvalidToken = "invalid_token"
	// 403: the token lacks the scope the route needs; scope names it.
	CodeInsufficientScope = "insufficient_scope"
	// 403: the token is restricted to one app and the request concerns
	// several or none (creating an app, an unrestricted token).
	CodeAppRestricted = "app_restricted"

	// 404: no such route, or no such object. A token restricted to one app
	// gets these for another app's objects exactly as for missing ones.
	CodeNotFound           = "not_found"
	CodeAppNotFound        = "app_not_found"
	CodeScriptNotFound     = "script_not_found"
	CodeVersionNotFound    = "version_not_found"
	CodeTriggerNotFound    = "trigger_not_found"
	CodeInvocationNotFound = "invocation_not_found"
	CodeTokenNotFound      = "token_not_found"

	// 405: the path exists, the method does not; Allow lists those that do.
	CodeMethodNotAllowed = "method_not_allowed"

	// 409: an app with this slug exists.
	CodeAppExists = "app_exists"
	// 409: the app has an HTTP trigger for the same method and an
	// equivalent path pattern.
	CodeRouteExists = "route_exists"
	// 409: the queue already has its one consumer trigger.
	CodeQueueHasConsumer = "queue_has_consumer"
	// 409: the script has no active version to invoke.
	CodeScriptNotDeployed = "script_not_deployed"
	// 409: revoking this token would leave no usable unrestricted admin
	// token.
	CodeLastAdminToken = "last_admin_token"
	// 409: a concurrent change got there first; retrying may succeed.
	CodeConflict = "conflict"

	// 413: the body is larger than the server accepts.
	CodeBodyTooLarge = "body_too_large"
	// 415: the body's Content-Type is not one the endpoint reads.
	CodeUnsupportedMediaType = "unsupported_media_type"

	// 500: a server fault; the detail says no more, the log says all.
	CodeInternal = "internal"
	// 503: a part of the server this request needs is not running here
	// (the sandbox, the live tail) or is shutting down.
	CodeUnavailable = "unavailable"
)

// problemDoc is an RFC 9457 problem document with PiCloud's extensions.
type problemDoc struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Code   string `json:"code"`
	Detail string `json:"detail"`

	// Errors lists invalid fields (CodeInvalidField and friends).
	Errors []fieldError `json:"errors,omitempty"`
	// Pointer is the JSON pointer of the member at fault
	// (CodeUnknownField, CodeWrongType).
	Pointer string `json:"pointer,omitempty"`
	// Offset is a byte offset: into the body (CodeMalformedJSON) or into
	// the pattern at fault (CodeInvalidPathPattern, CodeInvalidTopicPattern).
	Offset *int64 `json:"offset,omitempty"`
	// Reason is the validator's own explanation, without the input.
	Reason string `json:"reason,omitempty"`
	// Scope is the scope that was missing (CodeInsufficientScope).
	Scope string `json:"scope,omitempty"`
	// Line, Column, Message and Rendered locate a script parse error.
	Line     int    `json:"line,omitempty"`
	Column   int    `json:"column,omitempty"`
	Message  string `json:"message,omitempty"`
	Rendered string `json:"rendered,omitempty"`
}

// fieldError is one invalid input: a body member (Pointer, an RFC 6901
// JSON pointer) or a path or query parameter (Parameter).
type fieldError struct {
	Pointer   string `json:"pointer,omitempty"`
	Parameter string `json:"parameter,omitempty"`
	Detail    string `json:"detail"`
}

// apiError is an error a handler answers with: a problem document.
type apiError struct {
	doc problemDoc
	// header is set on the response (WWW-Authenticate, Allow).
	header http.Header
}

func (e *apiError) Error() string { return e.doc.Code + ": " + e.doc.Detail }

// problemf builds an apiError.
func problemf(status int, code, format string, args ...any) *apiError {
	return &apiError{doc: problemDoc{
		Type: "about:blank", Title: http.StatusText(status), Status: status, Code: code,
		Detail: fmt.Sprintf(format, args...),
	}}
}

// invalidBody is a 400 CodeInvalidField for one body member.
func invalidBody(pointer, format string, args ...any) *apiError {
	detail := fmt.Sprintf(format, args...)
	e := problemf(http.StatusBadRequest, CodeInvalidField, "%s: %s", pointerName(pointer), detail)
	e.doc.Errors = []fieldError{{Pointer: pointer, Detail: detail}}
	return e
}

// invalidParam is a 400 CodeInvalidField for one path or query parameter.
func invalidParam(name, format string, args ...any) *apiError {
	detail := fmt.Sprintf(format, args...)
	e := problemf(http.StatusBadRequest, CodeInvalidField, "parameter %s: %s", name, detail)
	e.doc.Errors = []fieldError{{Parameter: name, Detail: detail}}
	return e
}

// pointerName turns "/limits/timeout_ms" into "limits.timeout_ms" for
// details meant for people.
func pointerName(pointer string) string {
	if pointer == "" {
		return "body"
	}
	out := []byte(pointer[1:])
	for i, c := range out {
		if c == '/' {
			out[i] = '.'
		}
	}
	return string(out)
}

// problem answers with an RFC 9457 problem document carrying a stable code.
func problem(c *gin.Context, status int, code, detail string) {
	writeProblem(c, problemf(status, code, "%s", detail))
}

func writeProblem(c *gin.Context, e *apiError) {
	for k, vs := range e.header {
		for _, v := range vs {
			c.Writer.Header().Add(k, v)
		}
	}
	c.Header("Content-Type", "application/problem+json")
	c.AbortWithStatusJSON(e.doc.Status, e.doc)
}

// fail answers a handler's error: an *apiError as it is, a store error by
// its kind (notFound is the problem for ErrNotFound), anything else as a
// logged 500. A canceled request gets no answer: nobody is listening.
func (s *Server) fail(c *gin.Context, err error, notFound *apiError) {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
		writeProblem(c, ae)
	case errors.Is(err, store.ErrNotFound) && notFound != nil:
		writeProblem(c, notFound)
	case errors.Is(err, context.Canceled) && c.Request.Context().Err() != nil:
		c.Abort()
	default:
		s.cfg.Logger.ErrorContext(c.Request.Context(), "request failed",
			"method", c.Request.Method, "path", c.Request.URL.Path, "err", err)
		writeProblem(c, problemf(http.StatusInternalServerError, CodeInternal, "internal server error"))
	}
}
