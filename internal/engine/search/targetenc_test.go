package search

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/drover-ml/drover/internal/engine/metric"
	"github.com/drover-ml/drover/internal/engine/targetenc"
)

// levelTable is a binary table whose signal is mostly a per-level offset
// of a categorical with `levels` levels (every 61st row missing), plus a
// numeric column: trees split natively on the top 255 levels only, so
// with many levels the encoding carries what they cannot.
func levelTable(n, levels int) *Data {
	rng := rand.New(rand.NewPCG(5, 6))
	offset := make([]float64, levels)
	for i := range offset {
		offset[i] = rng.NormFloat64() * 2
	}
	code, x := make([]float32, n), make([]float32, n)
	y := make([]float64, n)
	for i := range n {
		c := rng.IntN(levels)
		v := rng.NormFloat64()
		code[i], x[i] = float32(c), float32(v)
		z := 0.5 * v
		if i%61 == 0 {
			code[i] = float32(math.NaN())
		} else {
			z += offset[c]
		}
		if rng.Float64() < 1/(1+math.Exp(-z)) {
			y[i] = 1
		}
	}
	return &Data{Names: []string{"code", "x"}, Cols: [][]float32{code, x}, Categorical: []bool{true, false}, Y: y, Task: metric.Binary, NumClass: 2}
}

// TestTargetEncodingTrees: on a table whose signal is a 1,500-level
// categorical, the search probes the quick GBM with the level's
// out-of-fold target encoding, finds it helps, says so, and gives it to
// the later tree candidates, whose members carry the encoding table; the
// final model's importance and explanations stay over the table's own
// features.
func TestTargetEncodingTrees(t *testing.T) {
	d := levelTable(6000, 1500)
	cfg := Config{Scorer: metric.Default(metric.Binary), Dials: Dials{3, 10, 5}, Folds: -1, Seed: 2, Threads: 2,
		Models: []string{"glm", "gbm"}}
	res, err := Run(context.Background(), d, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var probe, plain, later *Entry
	for i := range res.Leaderboard {
		e := &res.Leaderboard[i]
		switch {
		case e.cand.teProbe:
			probe = e
		case e.cand.quick && e.Model == "gbm":
			plain = e
		case e.Model == "gbm":
			later = e
		}
	}
	if probe == nil || plain == nil || later == nil {
		t.Fatalf("leaderboard %v: want the quick gbm, its target-encoded probe and a later gbm", res.Leaderboard)
	}
	if probe.Params["target_encoding"] != "oof" || plain.Params["target_encoding"] != "" {
		t.Fatalf("probe params %v, quick gbm params %v", probe.Params, plain.Params)
	}
	if !metric.Default(metric.Binary).Better(probe.CVScore, plain.CVScore) {
		t.Fatalf("probe cv %v not better than the quick gbm's %v: the table's signal is the level", probe.CVScore, plain.CVScore)
	}
	if later.Params["target_encoding"] != "oof" || !later.cand.te {
		t.Fatalf("later gbm %v: want it target-encoded", later.Params)
	}
	if !slices.ContainsFunc(res.Notes, func(n string) bool {
		return strings.Contains(n, `target encoding of "code" for trees`) && strings.Contains(n, "it helps")
	}) {
		t.Fatalf("notes %q: the verdict is not recorded", res.Notes)
	}
	encoded := 0
	for _, m := range later.foldModels {
		if len(m.Encoded) != 1 || m.Encoded[0].Feature != 0 || m.GBM.NumFeatures != 3 {
			t.Fatalf("fold member: %d encodings, %d tree inputs; want 1 of feature 0 and 3 inputs", len(m.Encoded), m.GBM.NumFeatures)
		}
		encoded++
	}
	if encoded == 0 || len(res.Importance) != 2 {
		t.Fatalf("%d encoded fold members, importance over %d features", encoded, len(res.Importance))
	}
	if res.Importance[0] <= res.Importance[1] {
		t.Fatalf("importance %v: the level (with its encoding) should lead", res.Importance)
	}
}

// TestEncodeRows: a tree fit's encoded inputs are, on its rows, the
// out-of-fold values of targetenc.Fit over those rows alone, and the
// member's table is the one over those rows; rows outside the fit are not
// read (left zero). A row's own label never reaches its input.
func TestEncodeRows(t *testing.T) {
	d := levelTable(3000, 400)
	s := &searcher{data: d, k: 2}
	s.teFeatures = teFeatures(d)
	if !slices.Equal(s.teFeatures, []int{0}) {
		t.Fatalf("teFeatures %v, want [0]", s.teFeatures)
	}
	var rows []int
	for i := range d.Rows() {
		if i%3 != 0 {
			rows = append(rows, i)
		}
	}
	enc, cols, cat := s.encodeRows(rows)
	if len(enc) != 1 || len(cols) != 3 || !slices.Equal(cat, []bool{true, false, false}) {
		t.Fatalf("%d encodings, %d columns, categorical %v", len(enc), len(cols), cat)
	}
	src := make([]float32, len(rows))
	for i, r := range rows {
		src[i] = d.Cols[0][r]
	}
	tab, oof := targetenc.Fit(src, pick(d.Y, rows), 2)
	if !slices.Equal(enc[0].Levels, tab.Levels) || !slices.Equal(enc[0].Values, tab.Values) {
		t.Fatal("the member's table is not the one over the fit's rows")
	}
	for i, r := range rows {
		if cols[2][r] != float32(oof[i]) {
			t.Fatalf("row %d: input %v, want its out-of-fold value %v", r, cols[2][r], oof[i])
		}
	}
	for r := 0; r < d.Rows(); r += 3 {
		if cols[2][r] != 0 {
			t.Fatalf("row %d is outside the fit but has input %v", r, cols[2][r])
		}
	}
	flipped := *d
	flipped.Y = slices.Clone(d.Y)
	flipped.Y[rows[10]] = 1 - flipped.Y[rows[10]]
	s2 := &searcher{data: &flipped, k: 2, teFeatures: s.teFeatures}
	_, again, _ := s2.encodeRows(rows)
	if again[2][rows[10]] != cols[2][rows[10]] {
		t.Fatalf("row %d: its own label changed its input", rows[10])
	}
}

// TestTEFeatures: only categoricals over the GLM's max_levels (100) qualify, and a
// multiclass target's encodings (one column per class) stay within
// teMaxColumns.
func TestTEFeatures(t *testing.T) {
	wide := make([]float32, 1000)
	narrow := make([]float32, 1000)
	for i := range wide {
		wide[i], narrow[i] = float32(i%500), float32(i%50)
	}
	d := &Data{Cols: [][]float32{narrow, wide, wide, wide}, Categorical: []bool{true, true, false, true}, Task: metric.Binary, NumClass: 2}
	if got := teFeatures(d); !slices.Equal(got, []int{1, 3}) {
		t.Fatalf("binary: %v, want [1 3]", got)
	}
	d.Task, d.NumClass = metric.Multiclass, 40
	if got := teFeatures(d); !slices.Equal(got, []int{1}) {
		t.Fatalf("40 classes: %v, want [1] (two would make 80 columns)", got)
	}
	d.NumClass = 70
	if got := teFeatures(d); len(got) != 0 {
		t.Fatalf("70 classes: %v, want none", got)
	}
}

// TestTargetEncodingParam: target_encoding=off gives no tree candidate the
// encodings (and no probe), on gives them to every tree candidate without
// a probe, with the search's grid, with fixed gbm parameters and for a
// single fit (no CV); another value is refused naming the key.
func TestTargetEncodingParam(t *testing.T) {
	d := levelTable(2000, 400)
	cands := func(params map[string]string) []candidate {
		t.Helper()
		s := &searcher{cfg: Config{Scorer: metric.Default(metric.Binary), Seed: 1, Threads: 1, Models: []string{"glm", "gbm"}, Params: params},
			data: d, k: 2, start: time.Now()}
		if s.teMode() != teOff {
			s.teFeatures = teFeatures(d)
		}
		cs, err := s.candidates(PlanFor(Dials{5, 3, 5}))
		if err != nil {
			t.Fatal(err)
		}
		return cs
	}
	count := func(cs []candidate) (te, probes, trees int) {
		for _, c := range cs {
			if c.te {
				te++
			}
			if c.teProbe {
				probes++
			}
			if boosted(c.kind) {
				trees++
			}
		}
		return
	}
	if te, probes, _ := count(cands(nil)); te != 1 || probes != 1 {
		t.Fatalf("auto: %d encoded candidates, %d probes; want the probe alone", te, probes)
	}
	if te, probes, _ := count(cands(map[string]string{"target_encoding": "off"})); te != 0 || probes != 0 {
		t.Fatalf("off: %d encoded candidates, %d probes", te, probes)
	}
	cs := cands(map[string]string{"target_encoding": "on"})
	if te, probes, trees := count(cs); te != trees || probes != 0 || trees < 2 || !cs[1].quick || cs[1].display["target_encoding"] != "oof" {
		t.Fatalf("on: %d of %d tree candidates encoded, %d probes, second candidate %s", te, trees, probes, cs[1])
	}
	if te, _, trees := count(cands(map[string]string{"target_encoding": "on", "n_estimators": "20"})); te != 1 || trees != 1 {
		t.Fatalf("on with fixed gbm parameters: %d of %d tree candidates encoded", te, trees)
	}
	res, err := Run(context.Background(), d, Config{Scorer: metric.Default(metric.Binary), Dials: Dials{1, 1, 5}, Folds: 0, Threads: 1,
		Params: map[string]string{"target_encoding": "on", "n_estimators": "5"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Members) != 1 || len(res.Members[0].Encoded) != 1 {
		t.Fatalf("single fit with target_encoding=on: members %+v", res.Members)
	}
	if _, _, err := ParseParams(map[string]string{"target_encoding": "yes"}); err == nil || !strings.Contains(err.Error(), "target_encoding") {
		t.Fatalf("target_encoding=yes: err = %v", err)
	}
}
