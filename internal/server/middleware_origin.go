package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/drover-ml/drover/internal/config"
	"github.com/drover-ml/drover/internal/errcode"
)

// maxJSONBody is the largest JSON request body any endpoint reads.
const maxJSONBody = 1 << 20

// crossOrigin refuses state-changing browser requests that come from
// another origin (another site, or another port of this host: "same-site"
// is not enough). Browsers mark every request with Sec-Fetch-Site (or at
// least Origin); the UI's own requests are same-origin. Clients that are
// not browsers (CLI, Go and Python clients, curl) send neither header and
// pass, with or without a bearer token, as before.
func (s *Server) crossOrigin(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	if s.cfg.PublicURL != "" {
		if u, err := config.ParsePublicURL(s.cfg.PublicURL); err == nil {
			_ = cop.AddTrustedOrigin(u.Scheme + "://" + u.Host)
		}
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.log.Warn("cross-origin request refused", "method", r.Method, "path", r.URL.Path,
			"origin", r.Header.Get("Origin"), "sec_fetch_site", r.Header.Get("Sec-Fetch-Site"), "remote", r.RemoteAddr)
		s.writeError(w, r, apiErr(errcode.CrossOrigin,
			"cross-origin request refused: only pages of this server may change anything here"))
	}))
	return cop.Handler(next)
}

// decodeJSON reads a JSON request body into v: the Content-Type must be
// application/json (415 otherwise, so that an HTML form can never pass for
// an API call), the body at most limit bytes (413), nothing after the
// value, and no unknown fields. what names the request in errors.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any, limit int64, what string) error {
	if err := requireJSON(r); err != nil {
		return err
	}
	if limit <= 0 {
		limit = maxJSONBody
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		// One value only: trailing data (a second object, garbage) is refused.
		var extra json.RawMessage
		if err2 := dec.Decode(&extra); err2 != io.EOF {
			if err2 == nil {
				return apiErr(errcode.BadRequest, fmt.Sprintf("bad %s: trailing data after the JSON value", what))
			}
			err = err2
		}
	}
	if err == nil {
		return nil
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return apiErr(errcode.TooLarge, fmt.Sprintf("%s body is over %d bytes", what, mbe.Limit))
	}
	if errors.Is(err, io.EOF) {
		return apiErr(errcode.BadRequest, fmt.Sprintf("bad %s: empty body, want a JSON object", what))
	}
	return apiErr(errcode.BadRequest, fmt.Sprintf("bad %s: %v", what, err))
}

// requireJSON refuses a body whose Content-Type is not application/json.
func requireJSON(r *http.Request) error {
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || ct != "application/json" {
		got := r.Header.Get("Content-Type")
		if got == "" {
			got = "none"
		}
		return apiErr(errcode.UnsupportedMediaType,
			fmt.Sprintf("%s %s takes Content-Type application/json, got %s", r.Method, r.URL.Path, quoteShort(got)))
	}
	return nil
}
