package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drover-ml/drover/internal/engine/frame"
	"github.com/drover-ml/drover/internal/testutil"
)

func dataset(t testing.TB, name string) string {
	t.Helper()
	return testutil.SharedData(t, name)
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "data.csv")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func fastOptions(target string) Options {
	o := DefaultOptions()
	o.Target = target
	o.Accuracy, o.Time = 3, 1
	o.Threads = 2
	return o
}

func TestUserErrors(t *testing.T) {
	var good strings.Builder
	good.WriteString("x,cat,y\n")
	for i := range 30 {
		fmt.Fprintf(&good, "%d,%c,%d\n", i, 'a'+i%3, i%2)
	}
	tests := []struct {
		name, data string
		mod        func(*Options)
		code       string
	}{
		{"empty file", "", nil, CodeEmptyFile},
		{"header only", "x,y\n", nil, CodeHeaderOnly},
		{"ragged rows", "x,y\n1,2\n3\n", nil, CodeRaggedRows},
		{"invalid utf8", "x,y\n1,\xff\n", nil, CodeInvalidUTF8},
		{"duplicate column", "x,x,y\n1,2,3\n", nil, CodeDuplicateColumn},
		{"not csv (json)", "{\"x\": [1, 2, 3]}\n", nil, CodeNotCSV},
		{"not csv (binary)", "\x00\x01\x02PK\x03\x04", nil, CodeNotCSV},
		{"target absent", good.String(), func(o *Options) { o.Target = "Y " }, CodeTargetMissing},
		{"target constant", "x,y\n1,1\n2,1\n3,1\n4,1\n5,1\n6,1\n", nil, CodeTargetConstant},
		{"target one class", "x,y\n1,a\n2,a\n3,a\n4,a\n5,a\n", nil, CodeTargetConstant},
		{"target all missing", "x,y\n1,\n2,\n3,NA\n", nil, CodeTargetAllMissing},
		{"one data row", "x,y\n1,2\n", nil, CodeTooFewRows},
		{"unknown task", good.String(), func(o *Options) { o.Task = "ranking" }, CodeUnknownTask},
		{"unknown scorer", good.String(), func(o *Options) { o.Scorer = "gini" }, CodeUnknownScorer},
		{"scorer task mismatch", good.String(), func(o *Options) { o.Scorer = "rmse" }, CodeScorerTaskMismatch},
		{"scorer task mismatch (explicit)", good.String(), func(o *Options) { o.Task, o.Scorer = "regression", "auc" }, CodeScorerTaskMismatch},
		{"dial out of range", good.String(), func(o *Options) { o.Accuracy = 11 }, CodeDialOutOfRange},
		{"negative dial", good.String(), func(o *Options) { o.Interpretability = -1 }, CodeDialOutOfRange},
		{"bad param", good.String(), func(o *Options) { o.Params = map[string]string{"max_depth": "deep"} }, CodeBadParam},
		{"unknown param", good.String(), func(o *Options) { o.Params = map[string]string{"nope": "1"} }, CodeBadParam},
		{"unknown model", good.String(), func(o *Options) { o.Models = []string{"svm"} }, CodeUnknownModel},
		{"regression on a categorical target", good.String(), func(o *Options) { o.Target, o.Task = "cat", "regression" }, CodeTaskTargetMismatch},
		{"binary on a 3-class target", good.String(), func(o *Options) { o.Target, o.Task = "cat", "binary" }, CodeTaskTargetMismatch},
		{"n_estimators=-1", good.String(), func(o *Options) { o.Params = map[string]string{"n_estimators": "-1"} }, CodeBadParam},
		{"learning_rate=NaN", good.String(), func(o *Options) { o.Params = map[string]string{"learning_rate": "NaN"} }, CodeBadParam},
		{"four labelled rows", "x,y\n1,a\n2,b\n3,a\n4,b\n5,\n6,\n", nil, CodeTooFewRows},
		{"no features", "a,y\n1,1.5\n1,2\n1,3\n1,4\n1,5\n1,6\n", nil, CodeNoFeatures},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := fastOptions("y")
			if tt.mod != nil {
				tt.mod(&o)
			}
			_, err := TrainFile(context.Background(), writeFile(t, tt.data), o, nil)
			var ue *UserError
			if !errors.As(err, &ue) || ue.Code != tt.code {
				t.Fatalf("err = %v, want code %s", err, tt.code)
			}
			if strings.Contains(ue.Message, "\n") || ue.Message == "" {
				t.Fatalf("message is not one line: %q", ue.Message)
			}
		})
	}
}

func TestTargetMissingSuggests(t *testing.T) {
	o := fastOptions("Class")
	_, err := TrainFile(context.Background(), dataset(t, "pima_diabetes.csv"), o, nil)
	if err == nil || !strings.Contains(err.Error(), `"class"`) {
		t.Fatalf("err = %v, want a suggestion of \"class\"", err)
	}
}

func TestMessyColumns(t *testing.T) {
	// All-missing, constant and identifier columns are dropped with a
	// logged reason; infinities become missing; a single-row class is
	// dropped with a warning.
	var sb strings.Builder
	sb.WriteString("id,empty,const,x,inf,y\n")
	for i := range 60 {
		inf := fmt.Sprint(i)
		if i%10 == 0 {
			inf = "inf"
		}
		y := []string{"a", "b"}[i%2]
		if i == 59 {
			y = "c"
		}
		fmt.Fprintf(&sb, "row%d,,7,%d,%s,%s\n", i, i%7, inf, y)
	}
	var logs []string
	o := fastOptions("y")
	r, err := TrainFile(context.Background(), writeFile(t, sb.String()), o, func(e Event) {
		if e.Type == EventLog {
			logs = append(logs, e.Message)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(logs, "\n")
	for _, want := range []string{`"empty" dropped: all values missing`, `"const" dropped: constant`, `"id" dropped`, "infinite", `class "c" has a single row`} {
		if !strings.Contains(all, want) {
			t.Errorf("logs lack %q:\n%s", want, all)
		}
	}
	if r.Summary.Task != TaskBinary || r.Summary.Features != 2 {
		t.Fatalf("summary = %+v", r.Summary)
	}
}

func TestQuality(t *testing.T) {
	tests := []struct {
		file, target, task, metric string
		min                        float64
	}{
		{"pima_diabetes.csv", "class", TaskBinary, "auc", 0.80},
		{"iris.csv", "species", TaskMulticlass, "accuracy", 0.90},
		{"slid_wages.csv", "wages", TaskRegression, "r2", 0.30},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			r, err := TrainFile(context.Background(), dataset(t, tt.file), fastOptions(tt.target), nil)
			if err != nil {
				t.Fatal(err)
			}
			s := r.Summary
			if s.Task != tt.task || len(s.Leaderboard) < 2 {
				t.Fatalf("summary = %+v", s)
			}
			if got := s.Metrics[tt.metric]; got < tt.min {
				t.Fatalf("cv %s = %.4f, want > %.2f", tt.metric, got, tt.min)
			}
			t.Logf("%s: best %s cv %s %.4f, metrics %v", tt.file, s.Best.Model, s.Scorer, s.Best.CVScore, s.Metrics)
		})
	}
}

func TestSingleModelNoCV(t *testing.T) {
	o := DefaultOptions()
	o.Target = "class"
	o.Models = []string{"gbm"}
	o.Params = map[string]string{"n_estimators": "200", "max_depth": "6", "learning_rate": "0.1"}
	o.Folds = 0
	o.Threads = 2
	r, err := TrainFile(context.Background(), dataset(t, "pima_diabetes.csv"), o, nil)
	if err != nil {
		t.Fatal(err)
	}
	lb := r.Summary.Leaderboard
	if len(lb) != 1 || lb[0].Model != "gbm" || lb[0].Params["n_estimators"] != "200" || lb[0].Params["max_depth"] != "6" || lb[0].FitSeconds <= 0 {
		t.Fatalf("leaderboard = %+v", lb)
	}
	if n := r.Model.Members[0].GBM.Rounds; n != 200 {
		t.Fatalf("fitted %d rounds, want 200", n)
	}
}

// TestPredictRoundTrip checks that a saved and loaded model predicts
// exactly what the in-process model predicts, for a blend and a single GBM.
func TestPredictRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		file, target string
		folds        int
	}{{"iris.csv", "species", -1}, {"slid_wages.csv", "wages", 0}, {"vote.csv", "Class", -1}} {
		t.Run(tc.file, func(t *testing.T) {
			path := dataset(t, tc.file)
			o := fastOptions(tc.target)
			o.Accuracy = 5
			o.Folds = tc.folds
			r, err := TrainFile(context.Background(), path, o, nil)
			if err != nil {
				t.Fatal(err)
			}
			fh, _ := os.Open(path)
			defer fh.Close()
			var inProc bytes.Buffer
			rows, err := r.Model.PredictCSV(context.Background(), fh, &inProc, nil)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			if err := r.Save(dir); err != nil {
				t.Fatal(err)
			}
			for _, f := range []string{"model/model.json", LeaderboardFile, SummaryFile, PlotsFile} {
				if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
					t.Fatal(err)
				}
			}
			out := filepath.Join(dir, "pred.csv")
			n, err := PredictFile(context.Background(), dir, path, out)
			if err != nil || n != rows {
				t.Fatalf("PredictFile: %d rows, %v", n, err)
			}
			got, _ := os.ReadFile(out)
			if !bytes.Equal(got, inProc.Bytes()) {
				t.Fatalf("loaded model predicts differently:\n%.300s\nvs\n%.300s", got, inProc.Bytes())
			}
		})
	}
}

func TestPredictUnseenAndMissing(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("x,c,y\n")
	for i := range 80 {
		fmt.Fprintf(&sb, "%d,%c,%d\n", i, 'a'+i%4, (i/3)%2)
	}
	o := fastOptions("y")
	r, err := TrainFile(context.Background(), writeFile(t, sb.String()), o, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := r.Save(dir); err != nil {
		t.Fatal(err)
	}
	// Unseen category, missing value, extra column, no target, reordered.
	in := writeFile(t, "extra,c,x\n1,zzz,3\n2,,\n3,a,5\n")
	out := filepath.Join(dir, "p.csv")
	if n, err := PredictFile(context.Background(), filepath.Join(dir, ModelDir), in, out); err != nil || n != 3 {
		t.Fatalf("PredictFile: %d, %v", n, err)
	}
	b, _ := os.ReadFile(out)
	if lines := strings.Split(strings.TrimSpace(string(b)), "\n"); len(lines) != 4 || lines[0] != "predict,p.0,p.1" {
		t.Fatalf("predictions:\n%s", b)
	}
	_, err = PredictFile(context.Background(), dir, writeFile(t, "c\na\n"), out)
	var ue *UserError
	if !errors.As(err, &ue) || ue.Code != CodeMissingColumns {
		t.Fatalf("err = %v, want missing_columns", err)
	}
}

func TestAbortAndFinish(t *testing.T) {
	path := dataset(t, "slid_wages.csv")
	ctx, cancel := context.WithCancel(context.Background())
	o := fastOptions("wages")
	o.Accuracy = 10
	go func() { time.Sleep(300 * time.Millisecond); cancel() }()
	t0 := time.Now()
	if _, err := TrainFile(ctx, path, o, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("abort: err = %v", err)
	}
	if d := time.Since(t0); d > 3*time.Second {
		t.Fatalf("abort took %s", d)
	}
	finish := make(chan struct{})
	o.Finish = finish
	first := true
	r, err := TrainFile(context.Background(), path, o, func(e Event) {
		if e.Type == EventLog && strings.Contains(e.Message, "cv rmse") && first {
			first = false
			close(finish)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(r.Summary.Leaderboard); n < 1 || n > 3 {
		t.Fatalf("finish: %d leaderboard entries", n)
	}
}

func TestTimeBudget(t *testing.T) {
	path := dataset(t, "wa_churn.csv")
	o := fastOptions("churn")
	o.Accuracy = 10
	o.TimeBudget = 3 * time.Second
	t0 := time.Now()
	r, err := TrainFile(context.Background(), path, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	// How long it took depends on the machine's load: the overrun is a
	// benchmark figure (BenchmarkTimeBudget), not a pass/fail here. What
	// must hold is that the budget shaped the search: accuracy 10 plans more
	// than 3 s of work, so something was cut or skipped, and said so.
	t.Logf("took %s for a %s budget; notes %q", time.Since(t0), o.TimeBudget, r.Summary.Notes)
	if len(r.Summary.Notes) == 0 {
		t.Error("a 3 s budget for accuracy 10 cut nothing (summary notes empty)")
	}
	if len(r.Summary.Leaderboard) == 0 {
		t.Fatal("empty leaderboard")
	}
}

// BenchmarkTimeBudget reports how far past its budget a search of
// accuracy 10 on wa_churn ends (overrun-% of a 3 s budget); the target is
// at most 10 %. Run: go test -run '^$' -bench TimeBudget ./internal/engine
func BenchmarkTimeBudget(b *testing.B) {
	path := dataset(b, "wa_churn.csv")
	o := fastOptions("churn")
	o.Accuracy = 10
	o.TimeBudget = 3 * time.Second
	var worst time.Duration
	for b.Loop() {
		t0 := time.Now()
		if _, err := TrainFile(context.Background(), path, o, nil); err != nil {
			b.Fatal(err)
		}
		worst = max(worst, time.Since(t0))
	}
	b.ReportMetric(100*(worst.Seconds()/o.TimeBudget.Seconds()-1), "overrun-%")
}

func TestManyColumnsAndCategories(t *testing.T) {
	// 300 rows × 10,000 columns, and a 100,000-level categorical column.
	var sb strings.Builder
	for j := range 10_000 {
		fmt.Fprintf(&sb, "c%d,", j)
	}
	sb.WriteString("y\n")
	for i := range 300 {
		for j := range 10_000 {
			fmt.Fprintf(&sb, "%d,", (i*j+i)%5)
		}
		fmt.Fprintf(&sb, "%d\n", i%2)
	}
	o := fastOptions("y")
	o.Accuracy = 1
	o.TimeBudget = 4 * time.Second
	path := writeFile(t, sb.String())
	t0 := time.Now()
	if _, err := TrainFile(context.Background(), path, o, nil); err != nil {
		t.Fatal(err)
	}
	// The wall time depends on the machine's load (reading 10,000 columns
	// is most of it): logged, not asserted.
	t.Logf("10,000 columns: took %s for a %s budget", time.Since(t0), o.TimeBudget)
	sb.Reset()
	sb.WriteString("k,x,y\n")
	for i := range 100_000 {
		fmt.Fprintf(&sb, "key%d,%d,%d\n", i, i%10, (i%10)/5)
	}
	f, err := frame.Read(strings.NewReader(sb.String()), frame.Options{})
	if err != nil || len(f.Column("k").Levels) != 100_000 {
		t.Fatalf("read: %v", err)
	}
	r, err := Train(context.Background(), f, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Summary.Features != 1 {
		t.Fatalf("features = %d, want the identifier column dropped", r.Summary.Features)
	}
}
