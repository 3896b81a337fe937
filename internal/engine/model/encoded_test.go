package model

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/drover-ml/drover/internal/engine/gbm"
	"github.com/drover-ml/drover/internal/engine/targetenc"
)

// encodedMember is a GBM member over a categorical (code) and a numeric
// column whose trees also see the code's target encoding, fitted here by
// hand on an out-of-fold encoding as the search does.
func encodedMember(t *testing.T) (Member, [][]float32, []bool) {
	t.Helper()
	n := 3000
	code, x := make([]float32, n), make([]float32, n)
	y := make([]float64, n)
	for i := range n {
		code[i], x[i] = float32(i%600), float32(i%7)
		if (i%600)%3 == 0 || i%7 == 1 {
			y[i] = 1
		}
	}
	code[5] = float32(math.NaN())
	tab, oof := targetenc.Fit(code, y, 2)
	enc := make([]float32, n)
	for i, v := range oof {
		enc[i] = float32(v)
	}
	y32 := make([]float32, n)
	for i, v := range y {
		y32[i] = float32(v)
	}
	p := gbm.DefaultParams()
	p.Objective, p.NumRounds, p.MaxDepth, p.Threads = gbm.ObjectiveBinary, 20, 3, 1
	p.ColSample = 0.5 // some trees go without the codes and split on the encoding
	g, err := gbm.Train(context.Background(), &gbm.Matrix{Cols: [][]float32{code, x, enc}, Categorical: []bool{true, false, false}, Rows: n}, y32, nil, nil, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := Member{Kind: KindGBM, Weight: 1, GBM: g, Encoded: []Encoded{{Feature: 0, Table: tab}}}
	return m, [][]float32{code, x}, []bool{true, false}
}

// TestEncodedMember: a tree member with a target-encoded input predicts
// from the artifact's own features (the encoding looked up from its table,
// the prior for unseen and missing levels), the same after a JSON round
// trip; its contributions are over the artifact's features, the encoded
// column's added to its source, and still add up to the raw score; its
// importance is over the artifact's features too.
func TestEncodedMember(t *testing.T) {
	m, _, cat := encodedMember(t)
	// Rows to predict: seen levels, an unseen code (600) and a missing one.
	code := []float32{0, 1, 2, 3, 600, float32(math.NaN())}
	x := []float32{0, 1, 2, 3, 4, 5}
	n := len(code)
	got, err := m.Predict([][]float32{code, x}, cat, n, "binary", 2)
	if err != nil {
		t.Fatal(err)
	}
	enc := make([]float32, n)
	for i, v := range code {
		enc[i] = float32(m.Encoded[0].Lookup(v)[0])
	}
	raw := make([]float64, n)
	m.GBM.Predict(&gbm.Matrix{Cols: [][]float32{code, x, enc}, Categorical: []bool{true, false, false}, Rows: n}, raw)
	for i := range n {
		if math.Abs(got[2*i+1]-raw[i]) > 1e-12 {
			t.Fatalf("row %d: P=%v, trees on the looked-up encoding give %v", i, got[2*i+1], raw[i])
		}
	}
	if enc[4] != float32(m.Encoded[0].Prior[0]) || enc[5] != enc[4] {
		t.Fatalf("unseen and missing levels encode as %v and %v, want the prior %v", enc[4], enc[5], m.Encoded[0].Prior[0])
	}

	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"target_encoded":[{"feature":0,"levels":[`) {
		t.Fatalf("member JSON lacks its encoding: %.200s", b)
	}
	var back Member
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	again, err := back.Predict([][]float32{code, x}, cat, n, "binary", 2)
	if err != nil {
		t.Fatal(err)
	}
	for i := range got {
		if again[i] != got[i] {
			t.Fatalf("value %d: %v after a JSON round trip, %v before", i, again[i], got[i])
		}
	}

	c, err := m.Contributions([][]float32{code, x}, cat, n, "binary", 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(c) != n*3 {
		t.Fatalf("%d contributions, want %d rows × (2 features + bias)", len(c), n)
	}
	inner := make([]float64, n*4)
	m.GBM.Contributions(&gbm.Matrix{Cols: [][]float32{code, x, enc}, Categorical: []bool{true, false, false}, Rows: n}, inner, 1)
	for i := range n {
		sum := c[i*3] + c[i*3+1] + c[i*3+2]
		logit := math.Log(raw[i] / (1 - raw[i]))
		if math.Abs(sum-logit) > 1e-6 {
			t.Fatalf("row %d: contributions sum to %v, log-odds %v", i, sum, logit)
		}
		if math.Abs(c[i*3]-(inner[i*4]+inner[i*4+2])) > 1e-12 || c[i*3+1] != inner[i*4+1] || c[i*3+2] != inner[i*4+3] {
			t.Fatalf("row %d: folded %v from %v", i, c[i*3:i*3+3], inner[i*4:i*4+4])
		}
	}

	imp := m.Importance(2)
	full := m.GBM.FeatureImportance()
	if full[2] <= 0 {
		t.Fatalf("tree importance %v: the trees never split on the encoding, so nothing here is folded", full)
	}
	if len(imp) != 2 || math.Abs(imp[0]-(full[0]+full[2])) > 1e-12 || imp[1] != full[1] {
		t.Fatalf("importance %v from the trees' %v", imp, full)
	}
}

// TestEncodedFormatVersion: a model with a target-encoded member is saved
// as format version 2, which a build that reads up to 1 refuses; one
// without stays version 1.
func TestEncodedFormatVersion(t *testing.T) {
	m, _, _ := encodedMember(t)
	plain := m
	plain.Encoded = nil
	for want, member := range map[int]Member{2: m, 1: plain} {
		dir := t.TempDir()
		a := &Model{FormatVersion: 7, Task: "binary", Target: "y", TargetLevels: []string{"no", "yes"}, Members: []Member{member}}
		if err := a.Save(dir); err != nil {
			t.Fatal(err)
		}
		back, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		if back.FormatVersion != want {
			t.Fatalf("saved as version %d, want %d", back.FormatVersion, want)
		}
	}
}

// TestEncodedMemberRejects: a member whose encoding does not fit the
// artifact (from a damaged or hand-edited model.json) fails with an error
// naming the problem instead of panicking.
func TestEncodedMemberRejects(t *testing.T) {
	m, cols, cat := encodedMember(t)
	for name, edit := range map[string]func(*Member){
		"feature out of range": func(m *Member) { m.Encoded[0].Feature = 7 },
		"numeric feature":      func(m *Member) { m.Encoded[0].Feature = 1 },
		"short values":         func(m *Member) { m.Encoded[0].Values = m.Encoded[0].Values[:3] },
		"glm member":           func(m *Member) { m.Kind = KindGLM },
		"wrong width": func(m *Member) {
			m.Encoded[0].Prior = []float64{0.5, 0.5}
			m.Encoded[0].Values = make([]float64, 2*len(m.Encoded[0].Levels))
		},
	} {
		bad := m
		bad.Encoded = []Encoded{{Feature: m.Encoded[0].Feature, Table: m.Encoded[0].Table}}
		edit(&bad)
		if _, err := bad.Predict(cols, cat, 10, "binary", 2); err == nil || !strings.Contains(err.Error(), "model:") {
			t.Errorf("%s: Predict err = %v", name, err)
		}
		if _, err := bad.Contributions(cols, cat, 10, "binary", 2); err == nil {
			t.Errorf("%s: Contributions accepted it", name)
		}
	}
}
