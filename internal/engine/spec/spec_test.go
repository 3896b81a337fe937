package spec

import (
	"errors"
	"testing"

	"github.com/drover-ml/drover/internal/engine/usererr"
)

func data() *Data {
	return &Data{Rows: 30, Columns: []Column{
		{Name: "x", Type: "numeric", Distinct: 30},
		{Name: "label", Type: "categorical", Distinct: 3, Counts: map[string]int{"a": 10, "b": 10, "c": 10}},
		{Name: "rare", Type: "categorical", Distinct: 3, Counts: map[string]int{"a": 15, "b": 14, "c": 1}},
		{Name: "price", Type: "numeric", Distinct: 11},
		{Name: "flag", Type: "numeric", Distinct: 2},
		{Name: "few", Type: "categorical", Missing: 26, Distinct: 2},
		{Name: "none", Type: "numeric", Missing: 30},
		{Name: "one", Type: "categorical", Distinct: 1},
	}}
}

func TestCheck(t *testing.T) {
	one, neg := 1, -2
	tests := []struct {
		name  string
		spec  Spec
		code  string // "" = valid
		field string
	}{
		{"auto on categorical", Spec{Target: "label"}, "", ""},
		{"upper-case task is normalised", Spec{Target: "label", Task: " Multiclass "}, "", ""},
		{"regression on numeric", Spec{Target: "price", Task: "regression"}, "", ""},
		{"binary on a 0/1 numeric", Spec{Target: "flag", Task: "binary"}, "", ""},
		{"binary once the single-row class is dropped", Spec{Target: "rare", Task: "binary"}, "", ""},
		{"command skips the ML checks", Spec{Command: "true", Task: "nonsense"}, "", ""},
		{"regression on categorical", Spec{Target: "label", Task: "regression"}, "task_target_mismatch", "task"},
		{"binary on 3 classes", Spec{Target: "label", Task: "binary"}, "task_target_mismatch", "task"},
		{"binary on a numeric target of 11 values", Spec{Target: "price", Task: "binary"}, "task_target_mismatch", "task"},
		{"max_depth=abc", Spec{Target: "label", Params: map[string]string{"max_depth": "abc"}}, "bad_param", "params.max_depth"},
		{"n_estimators=-1", Spec{Target: "label", Params: map[string]string{"n_estimators": "-1"}}, "bad_param", "params.n_estimators"},
		{"learning_rate=NaN", Spec{Target: "label", Params: map[string]string{"learning_rate": "NaN", "max_depth": "3"}}, "bad_param", "params.learning_rate"},
		{"unknown param", Spec{Target: "label", Params: map[string]string{"depth": "3"}}, "bad_param", "params.depth"},
		{"glm param out of range", Spec{Target: "label", Params: map[string]string{"alpha": "2"}}, "bad_param", "params.alpha"},
		{"target_encoding=yes", Spec{Target: "label", Params: map[string]string{"target_encoding": "yes"}}, "bad_param", "params.target_encoding"},
		{"gpus=-3", Spec{Target: "label", GPUs: -3}, "bad_request", "gpus"},
		{"gpus=-3 on a command", Spec{Command: "true", GPUs: -3}, "bad_request", "gpus"},
		{"too many gpus", Spec{Target: "label", GPUs: MaxGPUs + 1}, "bad_request", "gpus"},
		{"unknown model", Spec{Target: "label", Models: []string{"glm", "svm"}}, "unknown_model", "models[1]"},
		{"unknown task", Spec{Target: "label", Task: "ranking"}, "unknown_task", "task"},
		{"unknown scorer", Spec{Target: "label", Scorer: "gini"}, "unknown_scorer", "scorer"},
		{"scorer of another task", Spec{Target: "price", Task: "regression", Scorer: "auc"}, "scorer_task_mismatch", "scorer"},
		{"dial", Spec{Target: "label", Time: 11}, "dial_out_of_range", "time"},
		{"folds 1", Spec{Target: "label", Folds: &one}, "bad_param", "folds"},
		{"folds -2", Spec{Target: "label", Folds: &neg}, "bad_param", "folds"},
		{"no target", Spec{}, "target_missing", "target"},
		{"absent target", Spec{Target: "lable"}, "target_missing", "target"},
		{"too few labelled rows", Spec{Target: "few"}, "too_few_rows", "target"},
		{"all missing", Spec{Target: "none"}, "target_all_missing", "target"},
		{"constant", Spec{Target: "one"}, "target_constant", "target"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.spec
			err := Check(&s, data())
			if tt.code == "" {
				if err != nil {
					t.Fatalf("valid spec refused: %v", err)
				}
				return
			}
			var ue *usererr.Error
			if !errors.As(err, &ue) {
				t.Fatalf("err %v, want %s at %s", err, tt.code, tt.field)
			}
			if ue.Code != tt.code || ue.Field != tt.field || ue.Message == "" {
				t.Errorf("got %s at %q (%q), want %s at %q", ue.Code, ue.Field, ue.Message, tt.code, tt.field)
			}
		})
	}
}

// Without data only the request is checked: a target name suffices.
func TestCheckWithoutData(t *testing.T) {
	s := Spec{Target: "anything", Task: "Regression"}
	if err := Check(&s, nil); err != nil || s.Task != TaskRegression {
		t.Fatalf("%v, task %q", err, s.Task)
	}
}

func TestCloseMatches(t *testing.T) {
	got := CloseMatches("lable", []string{"x", "label", "Label_2", "price"})
	if len(got) == 0 || got[0] != "label" {
		t.Errorf("%v", got)
	}
}
