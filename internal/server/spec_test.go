package server_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drover-ml/drover/api"
)

// writeCSV writes rows under a header into a temporary file.
func writeCSV(t *testing.T, name, header string, rows []string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(header+"\n"+strings.Join(rows, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestBadSpecsFailAtSubmit: every spec the engine would reject on a worker
// minutes later gets its 400 at submit, with the code and the field named,
// and nothing is queued.
func TestBadSpecsFailAtSubmit(t *testing.T) {
	h := start(t, newConfig(t))
	var rows []string
	for i := range 30 {
		rows = append(rows, fmt.Sprintf("%d,%s,%d.5", i, []string{"a", "b", "c"}[i%3], i*7%11))
	}
	three := h.upload(writeCSV(t, "three.csv", "x,label,price", rows))
	// 12 rows, 4 with a target value: fewer than the engine's 5.
	var few []string
	for i := range 12 {
		y := ""
		if i < 4 {
			y = []string{"yes", "no"}[i%2]
		}
		few = append(few, fmt.Sprintf("%d,%s", i, y))
	}
	sparse := h.upload(writeCSV(t, "sparse.csv", "x,y", few))

	ok := api.Spec{DatasetID: three.ID, Target: "label"}
	with := func(f func(*api.Spec)) api.Spec {
		s := ok
		s.Params = map[string]string{}
		f(&s)
		return s
	}
	cases := []struct {
		name  string
		spec  api.Spec
		code  string
		field string
	}{
		{"regression on a categorical target", with(func(s *api.Spec) { s.Task = "regression" }), "task_target_mismatch", "task"},
		{"binary on a 3-class target", with(func(s *api.Spec) { s.Task = "binary" }), "task_target_mismatch", "task"},
		{"max_depth=abc", with(func(s *api.Spec) { s.Params["max_depth"] = "abc" }), "bad_param", "params.max_depth"},
		{"n_estimators=-1", with(func(s *api.Spec) { s.Params["n_estimators"] = "-1" }), "bad_param", "params.n_estimators"},
		{"learning_rate=NaN", with(func(s *api.Spec) { s.Params["learning_rate"] = "NaN" }), "bad_param", "params.learning_rate"},
		{"unknown param", with(func(s *api.Spec) { s.Params["max_dpeth"] = "3" }), "bad_param", "params.max_dpeth"},
		{"gpus=-3", with(func(s *api.Spec) { s.GPUs = -3 }), "bad_request", "gpus"},
		{"too few labelled rows", api.Spec{DatasetID: sparse.ID, Target: "y"}, "too_few_rows", "target"},
		{"unknown model", with(func(s *api.Spec) { s.Models = []string{"gbm", "svm"} }), "unknown_model", "models[1]"},
		{"unknown task", with(func(s *api.Spec) { s.Task = "ranking" }), "unknown_task", "task"},
		{"scorer of another task", with(func(s *api.Spec) { s.Task = "multiclass"; s.Scorer = "rmse" }), "scorer_task_mismatch", "scorer"},
		{"dial out of range", with(func(s *api.Spec) { s.Accuracy = 11 }), "dial_out_of_range", "accuracy"},
		{"folds=1", with(func(s *api.Spec) { one := 1; s.Folds = &one }), "bad_param", "folds"},
		{"no such target", with(func(s *api.Spec) { s.Target = "lable" }), "target_missing", "target"},
		{"no dataset", api.Spec{DatasetID: "ds_nope", Target: "y"}, "dataset_not_found", "dataset_id"},
	}
	ctx := context.Background()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := h.cl.CreateExperiment(ctx, c.spec)
			var ae *api.Error
			if !errors.As(err, &ae) {
				t.Fatalf("created (err %v); want 400 %s", err, c.code)
			}
			if ae.Status != http.StatusBadRequest && !(c.code == "dataset_not_found" && ae.Status == http.StatusNotFound) {
				t.Errorf("status %d, want 400", ae.Status)
			}
			if ae.Code != c.code || ae.Field != c.field {
				t.Errorf("error %s at %q (%s), want %s at %q", ae.Code, ae.Field, ae.Message, c.code, c.field)
			}
			if ae.Message == "" {
				t.Error("no message")
			}
		})
	}
	list, err := h.cl.ListExperiments(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 0 {
		t.Errorf("%d experiments stored from bad specs", len(list))
	}
	// The same dataset with a good spec is accepted.
	for _, s := range []api.Spec{ok, with(func(s *api.Spec) { s.Task = "multiclass"; s.Params["max_depth"] = "3"; s.Models = []string{"gbm"} }),
		{DatasetID: three.ID, Target: "price", Task: "regression"}} {
		e, err := h.cl.CreateExperiment(ctx, s)
		if err != nil {
			t.Fatalf("good spec %+v refused: %v", s, err)
		}
		if _, err := h.cl.CancelExperiment(ctx, e.ID); err != nil {
			t.Logf("cancel: %v", err)
		}
	}
}

// The field travels in the JSON body as {"error":{"code","message","field"}},
// and an oversized request is 413 too_large.
func TestErrorBodyField(t *testing.T) {
	h := start(t, newConfig(t))
	ds := h.upload(examples("iris.csv"))
	body := fmt.Sprintf(`{"dataset_id":%q,"target":"species","params":{"max_depth":"abc"}}`, ds.ID)
	resp, err := http.Post(h.srv.URL()+"/api/v1/experiments", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(b.String(), `"field": "params.max_depth"`) || !strings.Contains(b.String(), `"code": "bad_param"`) {
		t.Errorf("%d %s", resp.StatusCode, b.String())
	}
	big := `{"dataset_id":"` + strings.Repeat("x", 2<<20) + `"}`
	resp, err = http.Post(h.srv.URL()+"/api/v1/experiments", "application/json", strings.NewReader(big))
	if err != nil {
		t.Fatal(err)
	}
	b.Reset()
	b.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(b.String(), `"too_large"`) {
		t.Errorf("oversized request: %d %s", resp.StatusCode, b.String())
	}
}
