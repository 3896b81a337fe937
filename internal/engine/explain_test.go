package engine

import (
	"context"
	"encoding/csv"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/drover-ml/drover/internal/engine/frame"
)

// TestPredictExplain: with Explain, the predictions CSV gains one
// contribution column per feature and a bias (per class for multiclass),
// and they add up to the raw score: the link of their sum is the predicted
// probability (binary, multiclass) or their sum the prediction
// (regression). For single GBM and GLM models and for a blend.
func TestPredictExplain(t *testing.T) {
	for _, tc := range []struct {
		file, target string
		models       []string
		folds        int
	}{
		{"pima_diabetes.csv", "class", []string{"gbm"}, 0},
		{"pima_diabetes.csv", "class", []string{"glm"}, 0},
		{"iris.csv", "species", []string{"gbm"}, 0},
		{"iris.csv", "species", []string{"glm"}, 0},
		{"slid_wages.csv", "wages", []string{"gbm"}, 0},
		{"slid_wages.csv", "wages", []string{"glm"}, 0},
		{"slid_wages.csv", "wages", []string{"glm", "gbm"}, 3},
	} {
		t.Run(tc.file+"/"+strings.Join(tc.models, "+"), func(t *testing.T) {
			path := dataset(t, tc.file)
			o := fastOptions(tc.target)
			o.Models, o.Folds = tc.models, tc.folds
			r, err := TrainFile(context.Background(), path, o, nil)
			if err != nil {
				t.Fatal(err)
			}
			recs := predictExplained(t, r, path)
			m := r.Model
			header := recs[0]
			want := append(m.Header(), m.ContribHeader()...)
			if strings.Join(header, ",") != strings.Join(want, ",") {
				t.Fatalf("header %v, want %v", header, want)
			}
			np, nf := len(m.Header()), len(m.Features)
			if tc.folds > 0 && len(m.Members) < 2 {
				t.Logf("the search kept one member (%s); the blend case is not exercised", m.Members[0].Kind)
			}
			classes := 1
			if m.Task == "multiclass" {
				classes = len(m.TargetLevels)
				if header[np] != "contrib."+m.TargetLevels[0]+"."+m.Features[0].Name {
					t.Fatalf("first contribution column %q", header[np])
				}
			} else if header[len(header)-1] != "contrib.bias" {
				t.Fatalf("last column %q, want contrib.bias", header[len(header)-1])
			}
			for i, rec := range recs[1:] {
				num := func(s string) float64 {
					v, err := strconv.ParseFloat(s, 64)
					if err != nil {
						t.Fatalf("row %d: %q: %v", i, s, err)
					}
					return v
				}
				sums := make([]float64, classes)
				for k := range classes {
					for j := range nf + 1 {
						sums[k] += num(rec[np+k*(nf+1)+j])
					}
				}
				// A blend's contributions add up to the weighted mean of its
				// members' raw scores, whose link is not exactly the blended
				// probability; for regression the two are the same.
				switch {
				case m.Task == "regression":
					if d := math.Abs(sums[0] - num(rec[0])); d > 1e-6*max(1, math.Abs(sums[0])) {
						t.Fatalf("row %d: contributions sum to %v, prediction %s", i, sums[0], rec[0])
					}
				case len(m.Members) > 1:
				case m.Task == "binary":
					p := 1 / (1 + math.Exp(-sums[0]))
					if d := math.Abs(p - num(rec[np-1])); d > 1e-9 {
						t.Fatalf("row %d: sigmoid of the sum %v, probability %s", i, p, rec[np-1])
					}
				default:
					mx := sums[0]
					for _, v := range sums {
						mx = max(mx, v)
					}
					var z float64
					for _, v := range sums {
						z += math.Exp(v - mx)
					}
					for k := range classes {
						p := math.Exp(sums[k]-mx) / z
						if d := math.Abs(p - num(rec[1+k])); d > 1e-9 {
							t.Fatalf("row %d class %d: softmax of the sums %v, probability %s", i, k, p, rec[1+k])
						}
					}
				}
			}
		})
	}
}

// predictExplained saves r's model, predicts the table at path with
// explanations and returns the predictions CSV's records.
func predictExplained(t *testing.T, r *Result, path string) [][]string {
	t.Helper()
	dir := t.TempDir()
	if err := r.Save(dir); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "pred.csv")
	if _, err := PredictFileWith(context.Background(), dir, path, out, PredictOptions{Explain: true}); err != nil {
		t.Fatal(err)
	}
	fh, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	recs, err := csv.NewReader(fh).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// TestShapImportance: plots.json ranks pima's features by mean |SHAP|;
// glucose (plas) is by far the strongest predictor of diabetes there.
func TestShapImportance(t *testing.T) {
	o := fastOptions("class")
	o.Models, o.Folds = []string{"gbm"}, 0
	r, err := TrainFile(context.Background(), dataset(t, "pima_diabetes.csv"), o, nil)
	if err != nil {
		t.Fatal(err)
	}
	imp := r.Plots.ShapImportance
	if len(imp) != 8 || imp[0].Feature != "plas" || imp[0].Value <= imp[len(imp)-1].Value {
		t.Fatalf("shap importance %+v, want 8 features, plas first", imp)
	}
}

// TestShapImportanceDeadline: SHAP importance explains rows in batches
// until its deadline and says what it did not do.
func TestShapImportanceDeadline(t *testing.T) {
	o := fastOptions("class")
	o.Models, o.Folds = []string{"gbm"}, 0
	r, err := TrainFile(context.Background(), dataset(t, "pima_diabetes.csv"), o, nil)
	if err != nil {
		t.Fatal(err)
	}
	f, err := frame.ReadFile(dataset(t, "pima_diabetes.csv"), frame.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := prepare(f, &o, nil)
	if err != nil {
		t.Fatal(err)
	}
	imp, note := shapImportance(r.Model, p.data, 1, time.Now().Add(-time.Second))
	if imp != nil || !strings.Contains(note, "skipped (time budget)") {
		t.Fatalf("past deadline: %d features, note %q", len(imp), note)
	}
	imp, note = shapImportance(r.Model, p.data, 1, time.Now().Add(time.Hour))
	if len(imp) != 8 || note != "" {
		t.Fatalf("no deadline pressure: %d features, note %q", len(imp), note)
	}
}

// TestTargetEncodedTreesEndToEnd: trained on a table whose signal is a
// 1,200-level categorical, the GBM gets the level's target encoding (the
// search's probe finds it helps); the saved model predicts a table with an
// unseen level and a missing one, and its explanations stay one column per
// table feature and add up to the log-odds.
func TestTargetEncodedTreesEndToEnd(t *testing.T) {
	var b strings.Builder
	b.WriteString("code,x,y\n")
	rng := rand.New(rand.NewPCG(8, 9))
	offset := make([]float64, 1200)
	for i := range offset {
		offset[i] = rng.NormFloat64() * 2
	}
	for range 5000 {
		c, x := rng.IntN(1200), rng.NormFloat64()
		label := "no"
		if rng.Float64() < 1/(1+math.Exp(-offset[c]-0.5*x)) {
			label = "yes"
		}
		fmt.Fprintf(&b, "L%d,%.4f,%s\n", c, x, label)
	}
	path := writeFile(t, b.String())
	o := fastOptions("y")
	o.Models = []string{"gbm"}
	r, err := TrainFile(context.Background(), path, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := r.Model
	if len(m.Members) == 0 || len(m.Members[0].Encoded) != 1 || m.Members[0].Encoded[0].Feature != 0 {
		t.Fatalf("members %+v: want the best gbm to carry the encoding of feature 0 (code)", m.Members)
	}
	recs := predictExplained(t, r, writeFile(t, "code,x\nL1,0.5\nL2,-1\nL99999,0\n,1.5\n"))
	np := len(m.Header())
	if got := strings.Join(recs[0][np:], ","); got != "contrib.code,contrib.x,contrib.bias" {
		t.Fatalf("contribution columns %q", got)
	}
	if len(recs) != 5 {
		t.Fatalf("%d rows predicted, want 4", len(recs)-1)
	}
	for i, rec := range recs[1:] {
		var sum float64
		for _, s := range rec[np:] {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				t.Fatal(err)
			}
			sum += v
		}
		p, err := strconv.ParseFloat(rec[np-1], 64)
		if err != nil {
			t.Fatal(err)
		}
		if d := math.Abs(1/(1+math.Exp(-sum)) - p); d > 1e-9 {
			t.Fatalf("row %d: sigmoid of the contributions %v, probability %v", i, 1/(1+math.Exp(-sum)), p)
		}
	}
}
