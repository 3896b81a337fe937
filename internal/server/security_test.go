package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/drover-ml/drover/api"
)

// call sends one raw request and returns the status and the error code.
func call(t *testing.T, method, url string, body io.Reader, header ...string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i] == "Host" {
			req.Host = header[i+1]
			continue
		}
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	var eb api.ErrorBody
	b, _ := io.ReadAll(resp.Body)
	if json.Unmarshal(b, &eb) == nil && eb.Error != nil {
		return resp.StatusCode, eb.Error.Code, resp.Header
	}
	return resp.StatusCode, "", resp.Header
}

// stillServing fails unless the server answers an ordinary request.
func (h *harness) stillServing() {
	h.t.Helper()
	if _, err := h.cl.ListDatasets(context.Background()); err != nil {
		h.t.Fatalf("server stopped serving: %v", err)
	}
}

// TestHostAllowlist: DNS rebinding sends the attacker's host name; only the
// names the server answers to are served.
func TestHostAllowlist(t *testing.T) {
	cfg := newConfig(t)
	cfg.PublicURL = "https://drover.example.com"
	h := start(t, cfg)
	_, port, _ := strings.Cut(h.srv.Addr(), ":")
	url := h.srv.URL() + "/api/v1/datasets"
	for host, want := range map[string]int{
		"attacker.example":           http.StatusMisdirectedRequest,
		"attacker.example:" + port:   http.StatusMisdirectedRequest,
		"127.0.0.1.attacker.example": http.StatusMisdirectedRequest,
		"10.9.8.7:" + port:           http.StatusMisdirectedRequest,
		"localhost:" + port:          http.StatusOK,
		"LOCALHOST.:" + port:         http.StatusOK,
		"127.0.0.1:" + port:          http.StatusOK,
		"[::1]:" + port:              http.StatusOK,
		"drover.example.com":         http.StatusOK,
		"drover.example.com:443":     http.StatusOK,
	} {
		status, code, _ := call(t, http.MethodGet, url, nil, "Host", host)
		if status != want {
			t.Errorf("Host %q: %d %s, want %d", host, status, code, want)
		}
		if want != http.StatusOK && code != "host_not_allowed" {
			t.Errorf("Host %q: code %q, want host_not_allowed", host, code)
		}
	}
	if status, _, _ := call(t, http.MethodGet, h.srv.URL()+"/healthz", nil, "Host", "probe.internal"); status != http.StatusOK {
		t.Errorf("/healthz with any host: %d, want 200", status)
	}
	h.stillServing()
}

// TestJSONBodies: JSON endpoints take only application/json, at most 1 MB,
// one value; the Go client (bearer token) works as before.
func TestJSONBodies(t *testing.T) {
	cfg := newConfig(t)
	cfg.APIToken = "a-token-of-enough-length"
	h := start(t, cfg)
	ds := h.upload(examples("iris.csv"))
	url := h.srv.URL() + "/api/v1/experiments"
	auth := "Bearer " + cfg.APIToken
	spec := `{"dataset_id":"` + ds.ID + `","target":"species"}`
	cases := []struct {
		name, ct, body string
		status         int
		code           string
	}{
		{"text/plain", "text/plain", spec, http.StatusUnsupportedMediaType, "unsupported_media_type"},
		{"form", "application/x-www-form-urlencoded", spec, http.StatusUnsupportedMediaType, "unsupported_media_type"},
		{"no content type", "", spec, http.StatusUnsupportedMediaType, "unsupported_media_type"},
		{"over 1 MB", "application/json", `{"dataset_id":"` + strings.Repeat("x", 1<<20) + `"}`, http.StatusRequestEntityTooLarge, "too_large"},
		{"trailing object", "application/json", spec + `{"command":"id"}`, http.StatusBadRequest, "bad_request"},
		{"trailing garbage", "application/json", spec + `xx`, http.StatusBadRequest, "bad_request"},
		{"empty", "application/json", ``, http.StatusBadRequest, "bad_request"},
		{"json with charset", "application/json; charset=utf-8", spec, http.StatusCreated, ""},
	}
	for _, c := range cases {
		hdr := []string{"Authorization", auth}
		if c.ct != "" {
			hdr = append(hdr, "Content-Type", c.ct)
		}
		status, code, _ := call(t, http.MethodPost, url, strings.NewReader(c.body), hdr...)
		if status != c.status || code != c.code {
			t.Errorf("%s: %d %q, want %d %q", c.name, status, c.code, c.status, c.code)
		}
	}
	list, err := h.cl.ListExperiments(context.Background(), "")
	if err != nil || len(list) != 1 {
		t.Fatalf("want exactly the one good experiment, got %d (%v)", len(list), err)
	}
	h.create(api.Spec{DatasetID: ds.ID, Target: "species"})
	h.stillServing()
}

// TestCrossOriginWrites: a browser request from another origin (another
// port of this host is "same-site", which is not enough) is refused even
// with the right Content-Type; same-origin and non-browser requests pass.
func TestCrossOriginWrites(t *testing.T) {
	cfg := newConfig(t)
	cfg.AllowCommandExperiments = true
	h := start(t, cfg)
	ds := h.upload(examples("iris.csv"))
	url := h.srv.URL() + "/api/v1/experiments"
	body := `{"dataset_id":"` + ds.ID + `","command":"true"}`
	for _, c := range []struct {
		name   string
		hdr    []string
		status int
	}{
		{"same-site, other port", []string{"Sec-Fetch-Site", "same-site", "Origin", "http://127.0.0.1:1"}, http.StatusForbidden},
		{"cross-site", []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"}, http.StatusForbidden},
		{"old browser, foreign Origin", []string{"Origin", "http://127.0.0.1:1"}, http.StatusForbidden},
		{"same-origin", []string{"Sec-Fetch-Site", "same-origin", "Origin", h.srv.URL()}, http.StatusCreated},
		{"non-browser", nil, http.StatusCreated},
	} {
		hdr := append([]string{"Content-Type", "application/json"}, c.hdr...)
		status, code, _ := call(t, http.MethodPost, url, strings.NewReader(body), hdr...)
		if status != c.status {
			t.Errorf("%s: %d %s, want %d", c.name, status, code, c.status)
		}
		if c.status == http.StatusForbidden && code != "cross_origin" {
			t.Errorf("%s: code %q, want cross_origin", c.name, code)
		}
	}
	// Reads stay open to other origins' browsers (nothing changes).
	if status, _, _ := call(t, http.MethodGet, url, nil, "Sec-Fetch-Site", "cross-site"); status != http.StatusOK {
		t.Errorf("cross-site GET: %d, want 200", status)
	}
	h.stillServing()
}

// waitFor polls cond until it holds (a minute at most: only a hung test
// gets there).
func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
