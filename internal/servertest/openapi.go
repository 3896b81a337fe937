package servertest

import (
	"bytes"
	"context"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/drover-ml/drover/internal/server"
)

func init() {
	// Bodies the validator only needs to read, not to parse.
	openapi3filter.RegisterBodyDecoder("application/zip", openapi3filter.FileBodyDecoder)
}

// InvalidHeader marks a request sent wrong on purpose (to get an error
// answer): OpenAPI checks only its response.
const InvalidHeader = "X-Openapi-Test-Invalid"

// LoadOpenAPI parses and validates the server's OpenAPI document.
func LoadOpenAPI(t testing.TB) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(server.OpenAPIDoc())
	if err != nil {
		t.Fatalf("load openapi.json: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.json is not a valid OpenAPI document: %v", err)
	}
	if !doc.IsOpenAPI31OrLater() {
		t.Fatalf("openapi.json is OpenAPI %s, want 3.1", doc.OpenAPI)
	}
	return doc
}

// OpenAPI is an http.RoundTripper that checks every request and response
// against the server's OpenAPI document (a request or response that does
// not fit it fails the test) and counts the operations seen. Event
// streams pass through unread: only their status and headers are checked.
type OpenAPI struct {
	t      testing.TB
	router routers.Router
	// Next sends the requests (http.DefaultTransport when nil).
	Next http.RoundTripper

	mu   sync.Mutex
	seen map[string]map[int]bool // operation id → statuses
}

// NewOpenAPI checks traffic to the servers at these base URLs.
func NewOpenAPI(t testing.TB, servers ...string) *OpenAPI {
	t.Helper()
	doc := LoadOpenAPI(t)
	doc.Servers = nil
	for _, s := range servers {
		doc.Servers = append(doc.Servers, &openapi3.Server{URL: s})
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &OpenAPI{t: t, router: router, seen: map[string]map[int]bool{}}
}

// Client is an http.Client whose requests v checks.
func (v *OpenAPI) Client() *http.Client { return &http.Client{Transport: v} }

// Seen is the statuses seen of each operation, by operation id.
func (v *OpenAPI) Seen() map[string]map[int]bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := make(map[string]map[int]bool, len(v.seen))
	for op, st := range v.seen {
		out[op] = make(map[int]bool, len(st))
		for s := range st {
			out[op][s] = true
		}
	}
	return out
}

func (v *OpenAPI) next() http.RoundTripper {
	if v.Next != nil {
		return v.Next
	}
	return http.DefaultTransport
}

// RoundTrip checks req, sends it and checks the response.
func (v *OpenAPI) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.Body != nil {
		reqBody, _ = io.ReadAll(req.Body)
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	invalid := req.Header.Get(InvalidHeader) != ""
	req.Header.Del(InvalidHeader)
	// An artifact's name may hold slashes ({name...} in the router), which
	// an OpenAPI path parameter cannot: route it as one segment.
	find := req
	if before, name, ok := strings.Cut(req.URL.Path, "/artifacts/"); ok && strings.Contains(name, "/") {
		find = req.Clone(req.Context())
		find.URL.Path = before + "/artifacts/" + strings.ReplaceAll(name, "/", "~")
		find.URL.RawPath = ""
	}
	route, params, err := v.router.FindRoute(find)
	if err != nil {
		v.t.Errorf("%s %s: not in the OpenAPI document: %v", req.Method, req.URL.Path, err)
		return v.next().RoundTrip(req)
	}
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true, MultiError: true, SkipSettingDefaults: true}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	if err := openapi3filter.ValidateRequest(req.Context(), in); err != nil && !invalid {
		v.t.Errorf("%s %s: request does not fit the document: %v", req.Method, req.URL.Path, err)
	}
	req.Body = io.NopCloser(bytes.NewReader(reqBody))
	resp, err := v.next().RoundTrip(req)
	if err != nil {
		return nil, err
	}
	v.mu.Lock()
	if v.seen[route.Operation.OperationID] == nil {
		v.seen[route.Operation.OperationID] = map[int]bool{}
	}
	v.seen[route.Operation.OperationID][resp.StatusCode] = true
	v.mu.Unlock()
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header, Options: opts}
	if ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); ct == "text/event-stream" {
		// A live stream: the body is the caller's to read as it comes.
		out.Options = &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true, ExcludeResponseBody: true}
		if err := openapi3filter.ValidateResponse(req.Context(), out); err != nil {
			v.t.Errorf("%s %s → %d: response does not fit the document: %v", req.Method, req.URL.String(), resp.StatusCode, err)
		}
		return resp, nil
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	out.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(req.Context(), out); err != nil {
		v.t.Errorf("%s %s → %d: response does not fit the document: %v\n%.600s", req.Method, req.URL.String(), resp.StatusCode, err, body)
	}
	return resp, nil
}
