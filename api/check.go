package api

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"
)

// POST /scripts/check: parse a source without storing it, so the
// dashboard's editor can mark a parse error as the user types.

type checkRequest struct {
	Source *string `json:"source"`
}

// checkJSON is the verdict: valid, or the parse error an upload of this
// source would get, with its position.
type checkJSON struct {
	Valid bool            `json:"valid"`
	Error *parseErrorJSON `json:"error"`
}

type parseErrorJSON struct {
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Message string `json:"message"`
	// Rendered has the position, the source line and a caret.
	Rendered string `json:"rendered"`
}

// checkScript answers 200 whether or not the source parses (the verdict is
// the answer), with the same check an upload runs (checkSource).
func (s *Server) checkScript(c *gin.Context) {
	var req checkRequest
	if err := s.decodeJSON(c, &req); err != nil {
		s.fail(c, err, nil)
		return
	}
	if req.Source == nil {
		s.fail(c, invalidBody("/source", "required: the Rhai source to check"), nil)
		return
	}
	out := checkJSON{Valid: true}
	err := checkSource("script", *req.Source)
	var ae *apiError
	switch {
	case err == nil:
	case errors.As(err, &ae) && ae.doc.Code == CodeScriptParseError:
		out.Valid = false
		out.Error = &parseErrorJSON{Line: ae.doc.Line, Column: ae.doc.Column, Message: ae.doc.Message, Rendered: ae.doc.Rendered}
	case errors.As(err, &ae) && ae.doc.Code == CodeInvalidField:
		// An empty source: nothing to point at, and nothing to deploy.
		out.Valid = false
		out.Error = &parseErrorJSON{Line: 1, Column: 1, Message: "the source is empty", Rendered: "the source is empty"}
	default:
		s.fail(c, err, nil)
		return
	}
	c.JSON(http.StatusOK, out)
}
