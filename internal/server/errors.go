package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/drover-ml/drover/api"
	"github.com/drover-ml/drover/internal/engine"
	"github.com/drover-ml/drover/internal/errcode"
	"github.com/drover-ml/drover/internal/store"
)

// apiErr builds an *api.Error; its HTTP status is the code's in the one
// registry of codes (internal/errcode).
func apiErr(code, msg string) *api.Error {
	return &api.Error{Status: errcode.Status(code), Code: code, Message: msg}
}

// fieldErr is apiErr naming the request field at fault.
func fieldErr(code, field, msg string) *api.Error {
	e := apiErr(code, msg)
	e.Field = field
	return e
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
		ae = fieldErr(ue.Code, ue.Field, ue.Message)
	case errors.Is(err, store.ErrDatasetGone):
		ae = fieldErr(errcode.DatasetNotFound, "dataset_id", "the dataset was deleted")
	case errors.Is(err, store.ErrNotFound):
		ae = apiErr(errcode.NotFound, "not found")
	default:
		s.log.Error("request failed", slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("err", err))
		ae = apiErr(errcode.Internal, "internal error; see the server log")
	}
	if _, ok := errcode.Lookup(ae.Code); !ok {
		s.log.Error("unregistered error code (add it to internal/errcode)", slog.String("code", ae.Code), slog.String("path", r.URL.Path))
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

// badSpec is apiErr with a formatted message.
func badSpec(code, format string, args ...any) *api.Error {
	return apiErr(code, fmt.Sprintf(format, args...))
}
