package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
)

// readBody reads the request body, at most Config.MaxBodyBytes of it.
func (s *Server) readBody(c *gin.Context) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, s.cfg.MaxBodyBytes))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, problemf(http.StatusRequestEntityTooLarge, CodeBodyTooLarge,
			"the body is larger than %d bytes", tooBig.Limit)
	}
	if err != nil {
		return nil, fmt.Errorf("read the request body: %w", err)
	}
	return body, nil
}

// isJSON reports whether a Content-Type header names JSON. An empty one
// counts: a client that sends none is trusted to send what the endpoint
// reads.
func isJSON(contentType string) bool {
	if contentType == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// decodeJSON reads the body as one JSON value into dst, strictly: a member
// dst does not have, a value of the wrong type, trailing data, malformed JSON
// and an oversized body are all errors the client is told about precisely.
func (s *Server) decodeJSON(c *gin.Context, dst any) error {
	if !isJSON(c.ContentType()) {
		return problemf(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType,
			"send JSON with Content-Type: application/json (got %s)", c.ContentType())
	}
	body, err := s.readBody(c)
	if err != nil {
		return err
	}
	return decodeStrict(body, dst)
}

// decodeStrict decodes one JSON value from body into dst.
func decodeStrict(body []byte, dst any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return withOffset(problemf(http.StatusBadRequest, CodeMalformedJSON, "the body is empty: send a JSON object"), 0)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonProblem(err, int64(len(body)))
	}
	if _, err := dec.Token(); err != io.EOF {
		off := dec.InputOffset()
		return withOffset(problemf(http.StatusBadRequest, CodeMalformedJSON,
			"unexpected data after the JSON value at byte %d", off), off)
	}
	return nil
}

// jsonProblem describes a decoding error of a body of size bytes.
func jsonProblem(err error, size int64) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return withOffset(problemf(http.StatusBadRequest, CodeMalformedJSON,
			"malformed JSON at byte %d: %s", syn.Offset, strings.TrimPrefix(syn.Error(), "json: ")), syn.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return withOffset(problemf(http.StatusBadRequest, CodeMalformedJSON,
			"malformed JSON: the body ends at byte %d in the middle of a value", size), size)
	case errors.As(err, &typ):
		ptr := jsonPointer(typ.Field)
		e := problemf(http.StatusBadRequest, CodeWrongType, "%s: got a JSON %s, want %s", pointerName(ptr), typ.Value, jsonTypeName(typ.Type.String()))
		e.doc.Pointer = ptr
		return withOffset(e, typ.Offset)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// encoding/json has no error type for this one.
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		e := problemf(http.StatusBadRequest, CodeUnknownField, "unknown field %q", name)
		e.doc.Pointer = "/" + name
		return e
	default:
		return problemf(http.StatusBadRequest, CodeMalformedJSON, "malformed JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
}

func withOffset(e *apiError, off int64) *apiError {
	e.doc.Offset = &off
	return e
}

// jsonPointer turns encoding/json's "limits.timeout_ms" into
// "/limits/timeout_ms".
func jsonPointer(field string) string {
	if field == "" {
		return ""
	}
	return "/" + strings.ReplaceAll(field, ".", "/")
}

// jsonTypeName names a Go type the way a JSON client thinks of it.
func jsonTypeName(goType string) string {
	switch {
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"), strings.HasPrefix(goType, "*int"):
		return "an integer in range"
	case strings.Contains(goType, "float"):
		return "a number"
	case strings.Contains(goType, "string"):
		if strings.HasPrefix(goType, "[]") {
			return "an array of strings"
		}
		if strings.HasPrefix(goType, "map[") {
			return "an object"
		}
		return "a string"
	case strings.Contains(goType, "bool"):
		return "true or false"
	case strings.HasPrefix(goType, "[]"):
		return "an array"
	default:
		return "an object"
	}
}

// Pagination: every list answers {"items": [...], "next_cursor": "..."},
// next_cursor present only when there is a next page; the client passes it
// back as ?cursor= unchanged. Cursors are opaque: base64url of a small JSON
// object naming the list they belong to and the key of the last item.

const (
	defaultPageSize = 50
	maxPageSize     = 200
)

// page is a list response.
type page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// cursorKey is what a cursor carries.
type cursorKey struct {
	List string `json:"l"`
	Name string `json:"n,omitempty"` // the last slug or name
	ID   int64  `json:"i,omitempty"` // the last id
	At   string `json:"t,omitempty"` // the last started_at (invocations)
	UUID string `json:"u,omitempty"` // the last invocation id
}

func encodeCursor(k cursorKey) string {
	b, _ := json.Marshal(k)
	return base64.RawURLEncoding.EncodeToString(b)
}

// pageParams reads ?limit= and ?cursor= for the list named list; the key is
// zero when there is no cursor.
func pageParams(c *gin.Context, list string) (limit int32, key cursorKey, err error) {
	limit = defaultPageSize
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPageSize {
			return 0, key, invalidParam("limit", "want an integer from 1 to %d, got %q", maxPageSize, v)
		}
		limit = int32(n)
	}
	cur := c.Query("cursor")
	if cur == "" {
		return limit, key, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cur)
	if err == nil {
		err = json.Unmarshal(b, &key)
	}
	if err != nil || key.List != list {
		return 0, cursorKey{}, problemf(http.StatusBadRequest, CodeInvalidCursor,
			"cursor %q was not handed out by this list: pass next_cursor back unchanged", cur)
	}
	return limit, key, nil
}
