package server

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/drover-ml/drover/api"
	"github.com/drover-ml/drover/internal/engine"
	"github.com/drover-ml/drover/internal/store"
)

// Stable error codes of the HTTP API (besides the engine's own user codes).
const (
	CodeBadRequest   = "bad_request"
	CodeNotFound     = "not_found"
	CodeUnauthorized = "unauthorized"
	CodeConflict     = "conflict"
	CodeTooLarge     = "too_large"
	CodeInternal     = "internal"
	CodeUnavailable  = "unavailable"
)

// apiErr builds an *api.Error with an HTTP status.
func apiErr(status int, code, msg string) *api.Error {
	return &api.Error{Status: status, Code: code, Message: msg}
}

// writeError is the one place errors become HTTP responses: a status and a
// JSON body with a stable code. Anything unexpected is logged and hidden
// behind a generic internal error.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var ae *api.Error
	var ue *engine.UserError
	switch {
	case errors.As(err, &ae):
	case errors.As(err, &ue):
		ae = apiErr(http.StatusBadRequest, ue.Code, ue.Message)
	case errors.Is(err, store.ErrNotFound):
		ae = apiErr(http.StatusNotFound, CodeNotFound, "not found")
	default:
		s.log.Error("request failed", slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("err", err))
		ae = apiErr(http.StatusInternalServerError, CodeInternal, "internal error; see the server log")
	}
	status := ae.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	writeJSON(w, status, api.ErrorBody{Error: ae})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
