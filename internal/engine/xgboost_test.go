package engine

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/drover-ml/drover/internal/engine/xgb"
)

// requireXGBoost skips where libxgboost is absent, except under CI=true.
func requireXGBoost(t *testing.T) {
	t.Helper()
	if _, ok := xgb.Available(); ok {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("libxgboost.so.0 is required under CI=true (apt-get install libxgboost0): %v", xgb.LoadError())
	}
	t.Skipf("libxgboost.so.0 not available (apt-get install libxgboost0): %v", xgb.LoadError())
}

func TestBackends(t *testing.T) {
	b := Backends()
	if !slices.Contains(b, "glm") || !slices.Contains(b, "gbm") {
		t.Fatalf("Backends() = %v", b)
	}
	_, ok := xgb.Available()
	if slices.Contains(b, "xgboost") != ok {
		t.Fatalf("Backends() = %v, xgboost available %v", b, ok)
	}
}

// TestXGBoostRoundTrip trains xgboost-only models (binary with categorical
// and missing values, multiclass, regression without CV) and checks that a
// saved and loaded model predicts exactly what the in-process one does.
func TestXGBoostRoundTrip(t *testing.T) {
	requireXGBoost(t)
	for _, tc := range []struct {
		file, target string
		folds        int
		min          float64 // on the default scorer (AUC, logloss: negated, train r2)
	}{{"vote.csv", "Class", -1, 0.97}, {"iris.csv", "species", -1, -0.3}, {"slid_wages.csv", "wages", 0, 0.3}} {
		t.Run(tc.file, func(t *testing.T) {
			path := dataset(t, tc.file)
			o := fastOptions(tc.target)
			o.Models = []string{"xgboost"}
			o.Folds = tc.folds
			r, err := TrainFile(context.Background(), path, o, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range r.Summary.Leaderboard {
				if e.Model != "xgboost" && e.Model != "ensemble" {
					t.Fatalf("leaderboard has %s", e.Model)
				}
			}
			for _, m := range r.Model.Members {
				if m.Kind != "xgboost" || m.XGB == nil || m.XGB.Rounds < 1 {
					t.Fatalf("member %+v", m)
				}
			}
			score := r.Summary.Best.CVScore
			switch {
			case tc.folds == 0:
				score = r.Summary.Metrics["train_r2"]
			case r.Summary.Scorer == "logloss":
				score = -score
			}
			if score < tc.min {
				t.Fatalf("%s %v, want ≥ %v", r.Summary.Scorer, score, tc.min)
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
