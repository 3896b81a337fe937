package engine

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// imbalancedCSV is a binary table with about 5 % positives.
func imbalancedCSV(n int) string {
	rng := rand.New(rand.NewPCG(5, 5))
	var sb strings.Builder
	sb.WriteString("a,b,y\n")
	for range n {
		a, b := rng.NormFloat64(), rng.NormFloat64()
		y := "no"
		if rng.Float64() < 1/(1+math.Exp(-(2*a+b-4))) {
			y = "yes"
		}
		fmt.Fprintf(&sb, "%.4f,%.4f,%s\n", a, b, y)
	}
	return sb.String()
}

// TestImbalancedThreshold: an imbalanced binary target gets a class-weighted
// GLM among the candidates; with scorer f1 the summary reports the
// F1-maximising threshold and its confusion matrix (which add up to the
// rows), the model keeps it, and predict labels rows by it.
func TestImbalancedThreshold(t *testing.T) {
	path := writeFile(t, imbalancedCSV(1500))
	o := fastOptions("y")
	o.Scorer = "f1"
	r, err := TrainFile(context.Background(), path, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	weighted := false
	for _, e := range r.Summary.Leaderboard {
		if e.Params["class_weight"] == "balanced" {
			weighted = true
		}
	}
	if !weighted {
		t.Errorf("no class-weighted candidate on the leaderboard: %+v", r.Summary.Leaderboard)
	}
	th := r.Summary.Threshold
	if th == nil {
		t.Fatal("no threshold report")
	}
	c := th.Confusion
	if c.TP+c.FP+c.TN+c.FN != r.Summary.Rows || th.Positive != "yes" || th.F1 <= 0 {
		t.Fatalf("threshold report %+v for %d rows", th, r.Summary.Rows)
	}
	if th.Used != th.F1Threshold || r.Model.Threshold != th.Used {
		t.Fatalf("scorer f1: used %v, model %v, want the F1 threshold %v", th.Used, r.Model.Threshold, th.F1Threshold)
	}
	var out bytes.Buffer
	if _, err := r.Model.PredictCSV(context.Background(), strings.NewReader(imbalancedCSV(400)), &out, nil); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&out).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if recs[0][0] != "predict" || recs[0][2] != "p.yes" {
		t.Fatalf("header %v", recs[0])
	}
	for _, rec := range recs[1:] {
		p, _ := strconv.ParseFloat(rec[2], 64)
		if want := map[bool]string{true: "yes", false: "no"}[p >= th.Used]; rec[0] != want {
			t.Fatalf("row %v: label %s at threshold %v", rec, rec[0], th.Used)
		}
	}
	// Scorer auc: reported, but predict keeps the most probable class.
	o.Scorer = ""
	r, err = TrainFile(context.Background(), path, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Summary.Threshold == nil || r.Summary.Threshold.Used != 0.5 || r.Model.Threshold != 0 {
		t.Fatalf("scorer auc: threshold %+v, model %v", r.Summary.Threshold, r.Model.Threshold)
	}
}
