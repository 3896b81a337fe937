package server

import (
	_ "embed"
	"net/http"
	"slices"
)

// openAPIPath serves the OpenAPI 3.1 document of the REST API, without a token.
const openAPIPath = "/api/v1/openapi.json"

// openAPIDoc describes every route of the router (routes.go), its
// parameters, bodies and error codes. It is written by hand; a test holds
// it to the router both ways and validates real responses against it, so
// a new route must be documented here in the same change.
//
//go:embed openapi.json
var openAPIDoc []byte

func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(openAPIDoc)
}

// OpenAPIDoc is the OpenAPI document the server serves (tests check
// traffic against it; see servertest.OpenAPI).
func OpenAPIDoc() []byte { return slices.Clone(openAPIDoc) }
