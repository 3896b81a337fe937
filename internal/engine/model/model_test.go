package model

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drover-ml/drover/internal/engine/frame"
	"github.com/drover-ml/drover/internal/engine/glm"
	"github.com/drover-ml/drover/internal/engine/usererr"
)

func TestLoadRejects(t *testing.T) {
	tests := []struct{ name, body string }{
		{"not json", "{"},
		{"future version", `{"format_version": 99, "members": [{"kind": "glm"}]}`},
		{"no members", `{"format_version": 1}`},
	}
	for _, tt := range tests {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, FileName), []byte(tt.body), 0o644)
		_, err := Load(dir)
		var ue *usererr.Error
		if !errors.As(err, &ue) || ue.Code != usererr.BadModel {
			t.Errorf("%s: err = %v", tt.name, err)
		}
	}
}

func TestPredictCSVRoundTrip(t *testing.T) {
	// A GLM on one categorical feature; unseen and missing levels predict.
	cols := [][]float32{{0, 1, 2, 0, 1, 2, 0, 1, 2, 0}}
	y := []float64{0, 1, 1, 0, 1, 1, 0, 0, 1, 0}
	g, err := glm.Fit(context.Background(), cols, []bool{true}, y, glm.Binary, 2, glm.Params{Lambda: 1e-3, Alpha: 0.5, MaxIter: 20, Tol: 1e-9, MaxLevels: 10, MinLevelCount: 1})
	if err != nil {
		t.Fatal(err)
	}
	m := &Model{FormatVersion: FormatVersion, Task: "binary", Target: "y", TargetLevels: []string{"no", "yes"},
		Features: []Feature{{Name: "c", Type: "categorical", Levels: []string{"a", "b", "c"}}},
		Members:  []Member{{Kind: KindGLM, Weight: 1, GLM: g}}}
	in := "y,c\nno,b\nyes,zzz\nno,\n"
	var before bytes.Buffer
	if _, err := m.PredictCSV(context.Background(), strings.NewReader(in), &before, nil); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	m2, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	var after bytes.Buffer
	if n, err := m2.PredictCSV(context.Background(), strings.NewReader(in), &after, nil); err != nil || n != 3 {
		t.Fatalf("%d rows, %v", n, err)
	}
	if before.String() != after.String() {
		t.Fatalf("before:\n%s\nafter:\n%s", before.String(), after.String())
	}
	lines := strings.Split(strings.TrimSpace(after.String()), "\n")
	if lines[0] != "predict,p.no,p.yes" || len(lines) != 4 {
		t.Fatalf("output:\n%s", after.String())
	}
	for _, l := range lines[1:] {
		f := strings.Split(l, ",")
		if f[0] != "no" && f[0] != "yes" || len(f) != 3 {
			t.Fatalf("line %q", l)
		}
	}
}

func TestRecode(t *testing.T) {
	cols := recodeFor([]string{"b", "x", "a"}, []float32{0, 1, 2, float32(math.NaN())}, []string{"a", "b"})
	if cols[0] != 1 || cols[1] != 2 || cols[2] != 0 || !math.IsNaN(float64(cols[3])) {
		t.Fatalf("recode = %v", cols)
	}
}

// recodeFor is recode on bare values.
func recodeFor(colLevels []string, vals []float32, levels []string) []float32 {
	return recode(&frame.Column{Kind: frame.Categorical, Levels: colLevels, Values: vals}, levels)
}
