package server_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestMethodNotAllowed: a path that exists answers a wrong method with 405
// and an Allow header listing what it takes (the JSON error on API paths),
// on every kind of route; unknown paths stay 404; the server keeps serving.
func TestMethodNotAllowed(t *testing.T) {
	h := start(t, newConfig(t))
	base := h.srv.URL()
	for _, c := range []struct{ method, path, allow, code string }{
		{"POST", "/api/v1/system/info", "GET, HEAD", "method_not_allowed"},
		{"PUT", "/api/v1/experiments", "GET, HEAD, POST", "method_not_allowed"},
		{"GET", "/api/v1/experiments/ex_1/cancel", "POST", "method_not_allowed"},
		{"PATCH", "/api/v1/datasets/ds_1", "GET, HEAD", "method_not_allowed"},
		{"POST", "/apis/health/v1", "GET, HEAD", "method_not_allowed"},
		{"POST", "/healthz", "GET, HEAD", "method_not_allowed"},
		{"DELETE", "/metrics", "GET, HEAD", "method_not_allowed"},
		{"PUT", "/login", "GET, HEAD, POST", ""},
		{"POST", "/experiments", "GET, HEAD", ""},
		{"OPTIONS", "/api/v1/datasets", "GET, HEAD, POST", "method_not_allowed"},
	} {
		status, code, hdr := call(t, c.method, base+c.path, nil)
		if status != http.StatusMethodNotAllowed || code != c.code {
			t.Errorf("%s %s: %d %q, want 405 %q", c.method, c.path, status, code, c.code)
		}
		// Routes others add (DELETE ...) may extend the list: check inclusion.
		for _, m := range strings.Split(c.allow, ", ") {
			if !strings.Contains(hdr.Get("Allow"), m) {
				t.Errorf("%s %s: Allow %q lacks %s", c.method, c.path, hdr.Get("Allow"), m)
			}
		}
	}
	for _, p := range []string{"/api/v1/nothing", "/api/v2/experiments"} {
		if status, code, _ := call(t, "POST", base+p, nil); status != http.StatusNotFound || code != "not_found" {
			t.Errorf("POST %s: %d %q, want 404 not_found", p, status, code)
		}
	}
	h.stillServing()
}
