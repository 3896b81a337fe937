package server_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/drover-ml/drover/api"
)

// yamlValues returns the values of every "key: value" line of a YAML file
// (quotes removed), in order: enough for the flat fields the KEDA examples
// name, without a YAML dependency.
func yamlValues(t *testing.T, path, key string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^\s*-?\s*` + regexp.QuoteMeta(key) + `:\s*(.+?)\s*$`)
	var out []string
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		out = append(out, strings.Trim(m[1], `"'`))
	}
	return out
}

// lookup resolves a dotted GJSON-style path (no wildcards) in JSON.
func lookup(v any, path string) (any, bool) {
	for _, part := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[part]; !ok {
			return nil, false
		}
	}
	return v, true
}

// The KEDA examples under packaging/keda scale on a field of the health API
// that drover writes, at the path drover serves it, and scale down without
// killing experiments (--exit-when-idle, or a grace period that covers them).
func TestKEDAExamplesNameWhatDroverWrites(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "packaging", "keda")
	h := start(t, commandConfig(t))
	ds := h.upload(examples("iris.csv"))
	e := h.create(api.Spec{DatasetID: ds.ID, Command: "sleep 30"})
	h.waitStatus(e.ID, api.StatusRunning)
	defer h.cl.CancelExperiment(t.Context(), e.ID)
	resp, err := http.Get(h.srv.URL() + "/apis/health/v1")
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	err = json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"worker-scaledobject.yaml", "worker-scaledjob.yaml"} {
		path := filepath.Join(dir, name)
		locs, urls := yamlValues(t, path, "valueLocation"), yamlValues(t, path, "url")
		if len(locs) != 1 || len(urls) != 1 {
			t.Fatalf("%s: want one valueLocation and one url, got %v %v", name, locs, urls)
		}
		u, err := url.Parse(urls[0])
		if err != nil || u.Path != "/apis/health/v1" {
			t.Errorf("%s: url %q is not drover's health API", name, urls[0])
		}
		v, ok := lookup(body, locs[0])
		if _, isNum := v.(float64); !ok || !isNum {
			t.Errorf("%s: valueLocation %q is not a number in the health API: %v", name, locs[0], body["tasks"])
		}
		if locs[0] == "tasks.demand_cpu" && v != 1.0 {
			t.Errorf("%s: %s = %v with one CPU experiment running", name, locs[0], v)
		}
	}
	job := filepath.Join(dir, "worker-scaledjob.yaml")
	if args := yamlValues(t, job, "args"); len(args) != 1 || !strings.Contains(args[0], `"--exit-when-idle"`) {
		t.Errorf("the ScaledJob's worker does not exit when idle: args %v", args)
	}
	dep := filepath.Join(dir, "worker-scaledobject.yaml")
	grace := yamlValues(t, dep, "terminationGracePeriodSeconds")
	if len(grace) != 1 || !strings.Contains(string(must(os.ReadFile(dep))), "name: DROVER_WORKER_GRACE_PERIOD\n              value: \""+grace[0]+"\"") {
		t.Errorf("the Deployment's terminationGracePeriodSeconds %v does not match DROVER_WORKER_GRACE_PERIOD", grace)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}
