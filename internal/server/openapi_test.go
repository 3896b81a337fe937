package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/drover-ml/drover/internal/server"
	"github.com/drover-ml/drover/internal/servertest"
	"github.com/drover-ml/drover/internal/ui"
)

// uiRoute reports whether a router pattern belongs to the web UI (pages,
// assets, login), which the API document does not describe.
func uiRoute(method, path string) bool {
	if method == "" {
		return true // catch-alls: "/" (the UI's 404) and "/api/" (the API's 404)
	}
	if path == "/login" || path == "/logout" || strings.HasPrefix(path, ui.AssetPrefix) {
		return true
	}
	return slices.Contains(ui.Pages, path)
}

// Every route of the router is in the OpenAPI document, and every
// operation of the document is a route.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	doc := servertest.LoadOpenAPI(t)
	srv := servertest.Start(t, servertest.Config(t))
	routes := map[string]bool{}
	for _, p := range server.RoutePatterns(srv) {
		method, path, ok := strings.Cut(p, " ")
		if !ok {
			method, path = "", p
		}
		if uiRoute(method, path) {
			continue
		}
		path = strings.ReplaceAll(path, "...}", "}")
		routes[method+" "+path] = true
	}
	if len(routes) < 10 {
		t.Fatalf("only %d API routes seen: %v", len(routes), routes)
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	for _, r := range slices.Sorted(maps.Keys(routes)) {
		if !documented[r] {
			method, path, _ := strings.Cut(r, " ")
			t.Errorf("route %s (internal/server/routes.go) is not in the OpenAPI document: add it to internal/server/openapi.json "+
				"under \"paths\" → %q → %q with an operationId, its parameters, request body and every response (errors as "+
				"\"$ref\": \"#/components/responses/...\"), then reach it in the walk of TestOpenAPIResponsesValidate (openapi_test.go)",
				r, path, strings.ToLower(method))
		}
	}
	for _, d := range slices.Sorted(maps.Keys(documented)) {
		if !routes[d] {
			t.Errorf("internal/server/openapi.json documents %s, which the router (internal/server/routes.go) does not serve: remove it there, or add the route", d)
		}
	}
}

type walker struct {
	t    *testing.T
	base string
	hc   *http.Client
}

func (w *walker) do(method, path, ctype string, body []byte, header ...string) (int, []byte) {
	w.t.Helper()
	req, err := http.NewRequest(method, w.base+path, bytes.NewReader(body))
	if err != nil {
		w.t.Fatal(err)
	}
	if body == nil {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := w.hc.Do(req)
	if err != nil {
		w.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (w *walker) want(status int, method, path, ctype string, body []byte, header ...string) []byte {
	w.t.Helper()
	got, b := w.do(method, path, ctype, body, header...)
	if got != status {
		w.t.Fatalf("%s %s: status %d, want %d: %s", method, path, got, status, b)
	}
	return b
}

func (w *walker) jsonField(b []byte, field string) string {
	w.t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		w.t.Fatalf("decode %s: %v", b, err)
	}
	s, _ := m[field].(string)
	return s
}

// Real responses of a walk through every operation (successes and errors)
// validate against the document; every operation is reached.
func TestOpenAPIResponsesValidate(t *testing.T) {
	doc := servertest.LoadOpenAPI(t)
	srv := servertest.Start(t, servertest.Config(t))
	tcfg := servertest.Config(t)
	tcfg.APIToken = "openapi-test-token"
	tsrv := servertest.Start(t, tcfg)
	v := servertest.NewOpenAPI(t, srv.URL(), tsrv.URL())
	hc := v.Client()
	w := &walker{t: t, base: srv.URL(), hc: hc}
	const jsonCT = "application/json"

	w.want(200, "GET", "/healthz", "", nil)
	w.want(200, "GET", "/api/v1/openapi.json", "", nil)
	w.want(200, "GET", "/metrics", "", nil)
	w.want(200, "GET", "/apis/health/v1", "", nil)
	w.want(200, "GET", "/api/v1/system/info", "", nil)

	iris, err := os.ReadFile(examples("iris.csv"))
	if err != nil {
		t.Fatal(err)
	}
	ds := w.jsonField(w.want(201, "POST", "/api/v1/datasets?name=iris.csv", "text/csv", iris), "id")
	w.want(400, "POST", "/api/v1/datasets", "text/csv", []byte{}, servertest.InvalidHeader, "1")
	w.want(415, "POST", "/api/v1/experiments", "text/plain", []byte(`{}`), servertest.InvalidHeader, "1")
	w.want(200, "GET", "/api/v1/datasets", "", nil)
	w.want(200, "GET", "/api/v1/datasets/"+ds, "", nil)
	w.want(404, "GET", "/api/v1/datasets/ds_000000000000", "", nil)

	w.want(400, "POST", "/api/v1/experiments", jsonCT, []byte(`{"dataset_id":"`+ds+`","target":"nope"}`))
	w.want(404, "POST", "/api/v1/experiments", jsonCT, []byte(`{"dataset_id":"ds_000000000000","target":"y"}`))
	ex := w.jsonField(w.want(201, "POST", "/api/v1/experiments", jsonCT, []byte(`{"dataset_id":"`+ds+`","target":"species","accuracy":1,"time":1}`)), "id")
	exPath := "/api/v1/experiments/" + ex
	w.want(409, "GET", exPath+"/artifacts", "", nil) // not succeeded yet (or still queued)
	// Follow the event stream to its end event.
	w.want(200, "GET", exPath+"/events", "", nil, "Accept", "text/event-stream")
	final := w.want(200, "GET", exPath, "", nil)
	if st := w.jsonField(final, "status"); st != "succeeded" {
		t.Fatalf("experiment %s: %s", ex, final)
	}
	w.want(200, "GET", exPath+"/events?stream=false&after=0", "", nil)
	w.want(200, "PATCH", exPath, jsonCT, []byte(`{"name":"renamed","add_tags":["a","b"],"remove_tags":["b"]}`))
	w.want(400, "PATCH", exPath, jsonCT, []byte(`{"tags":["bad tag!"]}`), servertest.InvalidHeader, "1")
	w.want(404, "PATCH", "/api/v1/experiments/ex_000000000000", jsonCT, []byte(`{"name":"x"}`))
	w.want(200, "GET", "/api/v1/me", "", nil)
	w.want(200, "GET", "/api/v1/experiments", "", nil)
	w.want(200, "GET", "/api/v1/experiments?status=succeeded", "", nil)
	w.want(404, "GET", "/api/v1/experiments/ex_000000000000", "", nil)
	w.want(200, "GET", exPath+"/artifacts", "", nil)
	w.want(200, "GET", exPath+"/artifacts/summary.json", "", nil)
	w.want(200, "GET", exPath+"/artifacts/model/model.json", "", nil)
	w.want(404, "GET", exPath+"/artifacts/nope.txt", "", nil)
	w.want(200, "GET", exPath+"/artifacts.zip", "", nil)
	w.want(200, "POST", exPath+"/predict", "text/csv", iris)
	w.want(409, "POST", exPath+"/cancel", jsonCT, nil)
	w.want(409, "POST", exPath+"/finish", jsonCT, nil)
	w.want(409, "POST", exPath+"/priority", jsonCT, []byte(`{"priority":"low"}`))
	w.want(400, "POST", exPath+"/priority", jsonCT, []byte(`{"priority":"urgent"}`), servertest.InvalidHeader, "1")

	w.want(200, "GET", "/api/v1/experiments?sort=score&order=asc&limit=1&owner=admin&task=multiclass&priority=normal", "", nil)
	page := w.want(200, "GET", "/api/v1/experiments?sort=duration&limit=1", "", nil)
	w.want(200, "GET", "/api/v1/experiments?sort=duration&limit=1&cursor="+w.jsonField(page, "next_cursor"), "", nil)
	w.want(400, "GET", "/api/v1/experiments?sort=name", "", nil, servertest.InvalidHeader, "1")
	w.want(400, "GET", "/api/v1/datasets?cursor=nope", "", nil)
	w.want(200, "GET", "/api/v1/datasets?q=iris&order=asc&limit=5", "", nil)

	// Users (this server has no api_token: every request is the bootstrap admin's).
	tok := w.jsonField(w.want(201, "POST", "/api/v1/users", jsonCT, []byte(`{"name":"olga"}`)), "token")
	w.want(409, "POST", "/api/v1/users", jsonCT, []byte(`{"name":"olga"}`))
	w.want(400, "POST", "/api/v1/users", jsonCT, []byte(`{"name":"Not A Name"}`), servertest.InvalidHeader, "1")
	w.want(200, "GET", "/api/v1/users", "", nil)
	w.want(403, "GET", "/api/v1/users", "", nil, "Authorization", "Bearer "+tok)
	w.want(403, "GET", "/api/v1/experiments?owner=admin", "", nil, "Authorization", "Bearer "+tok)
	w.want(200, "GET", "/api/v1/datasets", "", nil, "Authorization", "Bearer "+tok)
	w.want(200, "POST", "/api/v1/users/olga/password", jsonCT, []byte(`{"password":"correct horse"}`))
	w.want(400, "POST", "/api/v1/users/olga/password", jsonCT, []byte(`{"password":"short"}`), servertest.InvalidHeader, "1")
	w.want(200, "POST", "/api/v1/users/olga/limits", jsonCT, []byte(`{"max_queued":5,"max_priority":"normal"}`))
	w.want(200, "POST", "/api/v1/users/olga/token", jsonCT, nil)
	w.want(404, "POST", "/api/v1/users/nobody/revoke", jsonCT, nil)
	w.want(200, "POST", "/api/v1/users/olga/revoke", jsonCT, nil)
	w.want(200, "POST", "/api/v1/datasets/"+ds+"/share", jsonCT, nil)
	w.want(404, "POST", "/api/v1/datasets/ds_000000000000/share", jsonCT, nil)

	// A long one to cancel while it runs.
	long := w.jsonField(w.want(201, "POST", "/api/v1/experiments", jsonCT, []byte(`{"dataset_id":"`+ds+`","target":"species","accuracy":10,"time":10}`)), "id")
	w.want(409, "DELETE", "/api/v1/experiments/"+long, "", nil) // not finished
	w.want(409, "DELETE", "/api/v1/datasets/"+ds, "", nil)      // dataset_in_use
	w.want(200, "POST", "/api/v1/experiments/"+long+"/cancel", jsonCT, nil)
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		if _, b := w.do("GET", "/api/v1/experiments/"+long, "", nil); w.jsonField(b, "status") == "cancelled" {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("%s not cancelled: %s", long, b)
		}
	}
	w.want(204, "DELETE", "/api/v1/experiments/"+long, "", nil)
	w.want(404, "DELETE", "/api/v1/experiments/"+long, "", nil)
	w.want(204, "DELETE", "/api/v1/datasets/"+ds, "", nil)
	w.want(404, "DELETE", "/api/v1/datasets/"+ds, "", nil)

	for _, a := range []string{"drain", "resume", "remove"} {
		w.want(409, "POST", "/api/v1/workers/w1/"+a, jsonCT, nil) // multiprocessing has no workers
	}

	// The token server: 401s validate too, and the document needs no token.
	tw := &walker{t: t, base: tsrv.URL(), hc: hc}
	tw.want(401, "GET", "/api/v1/experiments", "", nil)
	tw.want(200, "GET", "/api/v1/openapi.json", "", nil)

	var missed []string
	seen := v.Seen()
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if seen[op.OperationID] == nil {
				missed = append(missed, fmt.Sprintf("%s %s (%s)", method, path, op.OperationID))
			}
		}
	}
	sort.Strings(missed)
	if len(missed) > 0 {
		t.Errorf("the walk reached no response of: %s", strings.Join(missed, ", "))
	}
}
