package api

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gin-gonic/gin"
)

// openapiYAML is the admin API's OpenAPI 3 document, written by hand next
// to the handlers; TestOpenAPIMatchesRoutes holds it to routes() and the
// API tests validate every response they get against it.
//
//go:embed openapi.yaml
var openapiYAML []byte

// loadOpenAPI parses and validates the document once per Server and
// renders the JSON that GET /api/v1/openapi.json serves.
func (s *Server) loadOpenAPI() error {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(openapiYAML)
	if err != nil {
		return fmt.Errorf("api: load openapi.yaml: %w", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return fmt.Errorf("api: openapi.yaml is not a valid OpenAPI document: %w", err)
	}
	js, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("api: render openapi.yaml as JSON: %w", err)
	}
	s.openapi, s.openapiJSON = doc, js
	return nil
}

// OpenAPI returns the admin API's OpenAPI document, nil when the Server
// has no admin API (Config.Store unset). The caller must not modify it.
func (s *Server) OpenAPI() *openapi3.T { return s.openapi }

func (s *Server) serveOpenAPI(c *gin.Context) {
	c.Data(http.StatusOK, "application/json", s.openapiJSON)
}
