package search

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/drover-ml/drover/internal/engine/frame"
	"github.com/drover-ml/drover/internal/engine/metric"
	"github.com/drover-ml/drover/internal/engine/usererr"
	"github.com/drover-ml/drover/internal/engine/xgb"
)

func numCol(vals ...float64) *frame.Column {
	c := &frame.Column{Kind: frame.Numeric}
	for _, v := range vals {
		c.Values = append(c.Values, float32(v))
	}
	return c
}

func repeat(n int, vals ...float64) []float64 {
	var out []float64
	for range n {
		out = append(out, vals...)
	}
	return out
}

func TestDetectTask(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name string
		col  *frame.Column
		want string
	}{
		{"two categories", &frame.Column{Kind: frame.Categorical, Levels: []string{"no", "yes"}, Values: []float32{0, 1, 1}}, metric.Binary},
		{"three categories", &frame.Column{Kind: frame.Categorical, Levels: []string{"a", "b", "c"}, Values: []float32{0, 1, 2}}, metric.Multiclass},
		{"unused level", &frame.Column{Kind: frame.Categorical, Levels: []string{"a", "b", "c"}, Values: []float32{0, 2}}, metric.Binary},
		{"0/1 numeric", numCol(repeat(3, 0, 1, nan)...), metric.Binary},
		{"few integers, many rows", numCol(repeat(10, 1, 2, 3, 4)...), metric.Multiclass},
		{"few integers, few rows", numCol(1, 2, 3, 4), metric.Regression},
		{"real values", numCol(repeat(10, 1.5, 2, 3)...), metric.Regression},
		{"many integers", numCol(repeat(20, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)...), metric.Regression},
	}
	for _, tt := range tests {
		if got := DetectTask(tt.col); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestClassTargetNumericOrder(t *testing.T) {
	y, levels := ClassTarget(numCol(10, 2, math.NaN(), 2))
	if len(levels) != 2 || levels[0] != "2" || levels[1] != "10" || y[0] != 1 || y[1] != 0 || y[2] != -1 {
		t.Fatalf("y %v levels %v", y, levels)
	}
}

func TestPlanFor(t *testing.T) {
	tests := []struct {
		d                Dials
		folds, gbms      int
		ensemble         bool
		maxDepthAtMost   int
		budgetAtLeastSec float64
	}{
		{Dials{1, 1, 5}, 3, 1, false, 10, 20},
		{Dials{7, 4, 5}, 5, 6, true, 10, 120},
		{Dials{10, 10, 1}, 10, 8, true, 10, 7200},
		{Dials{7, 3, 7}, 5, 6, false, 4, 60},
		{Dials{7, 3, 9}, 5, 0, false, 10, 60},
	}
	for _, tt := range tests {
		p := PlanFor(tt.d)
		if p.Folds != tt.folds || p.GBMs != tt.gbms || p.Ensemble != tt.ensemble || p.MaxDepth > tt.maxDepthAtMost || p.Budget.Seconds() < tt.budgetAtLeastSec {
			t.Errorf("%+v: %+v", tt.d, p)
		}
	}
	if err := (Dials{Accuracy: 11}).Validate(); err == nil {
		t.Error("accuracy 11 accepted")
	}
	if d := (Dials{}).Suggest(100, 5); d.Accuracy == 0 || d.Time == 0 || d.Interpretability == 0 {
		t.Errorf("Suggest left zeros: %+v", d)
	}
}

func TestFoldsStratified(t *testing.T) {
	y := append(repeat(45, 0), repeat(15, 1)...)
	fold := Folds(y, 2, 5, 1)
	pos := make([]int, 5)
	size := make([]int, 5)
	for i, f := range fold {
		size[f]++
		if y[i] == 1 {
			pos[f]++
		}
	}
	for f := range 5 {
		if size[f] != 12 || pos[f] != 3 {
			t.Fatalf("fold %d: %d rows, %d positive", f, size[f], pos[f])
		}
	}
	again := Folds(y, 2, 5, 1)
	for i := range fold {
		if fold[i] != again[i] {
			t.Fatal("folds are not deterministic")
		}
	}
}

func TestRunDeterministic(t *testing.T) {
	n := 200
	x := make([]float32, n)
	c := make([]float32, n)
	y := make([]float64, n)
	for i := range n {
		x[i] = float32(i % 17)
		c[i] = float32(i % 3)
		if (i%17)+int(c[i])*4 > 10 {
			y[i] = 1
		}
	}
	d := &Data{Names: []string{"x", "c"}, Cols: [][]float32{x, c}, Categorical: []bool{false, true}, Y: y, Task: metric.Binary, NumClass: 2}
	cfg := Config{Scorer: metric.Default(metric.Binary), Dials: Dials{3, 1, 5}, Folds: -1, Seed: 3, Threads: 2}
	a, err := Run(context.Background(), d, cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Run(context.Background(), d, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Leaderboard) != len(b.Leaderboard) {
		t.Fatal("leaderboards differ in length")
	}
	for i := range a.Leaderboard {
		if a.Leaderboard[i].CVScore != b.Leaderboard[i].CVScore {
			t.Fatalf("entry %d: %v vs %v", i, a.Leaderboard[i].CVScore, b.Leaderboard[i].CVScore)
		}
	}
	if a.Best.CVScore < 0.9 {
		t.Fatalf("cv auc %v", a.Best.CVScore)
	}
}

func TestXGBoostUnavailable(t *testing.T) {
	if _, ok := xgb.Available(); ok {
		t.Skip("libxgboost loads here; run with DROVER_XGBOOST_LIB=/nonexistent")
	}
	d := &Data{Names: []string{"x"}, Cols: [][]float32{{1, 2, 3, 4, 5, 6}}, Categorical: []bool{false}, Y: []float64{0, 1, 0, 1, 0, 1}, Task: metric.Binary, NumClass: 2}
	_, err := Run(context.Background(), d, Config{Scorer: metric.Default(metric.Binary), Dials: Dials{1, 1, 5}, Folds: 2, Models: []string{"xgboost"}, Threads: 1})
	var ue *usererr.Error
	if err == nil || errors.As(err, &ue) || !errors.Is(err, xgb.ErrNotFound) {
		t.Fatalf("err = %v, want a plain error wrapping xgb.ErrNotFound", err)
	}
	if slices.Contains(Available(), "xgboost") {
		t.Fatalf("Available() = %v", Available())
	}
}

// manyClass is a seeded multiclass table: k classes, nf numeric features.
func manyClass(n, nf, k int) *Data {
	cols := make([][]float32, nf)
	for j := range cols {
		cols[j] = make([]float32, n)
	}
	y := make([]float64, n)
	for i := range n {
		c := i % k
		y[i] = float64(c)
		for j := range nf {
			// deterministic, class-dependent, with overlap
			cols[j][i] = float32(math.Sin(float64(c*(j+3)))*2 + math.Sin(float64(i*7919+j*104729)))
		}
	}
	names := make([]string, nf)
	for j := range names {
		names[j] = fmt.Sprintf("x%d", j)
	}
	return &Data{Names: names, Cols: cols, Categorical: make([]bool, nf), Y: y, Task: metric.Multiclass, NumClass: k}
}

// TestAnytimeBothFamilies: with a budget far too small for the plan, the
// first GLM and the first GBM still reach the leaderboard (cut at their
// time caps), and what was skipped or cut is in the notes.
func TestAnytimeBothFamilies(t *testing.T) {
	d := manyClass(3000, 8, 10)
	cfg := Config{Scorer: metric.Default(metric.Multiclass), Dials: Dials{7, 1, 5}, Folds: -1, Seed: 1, Threads: 2,
		Models: []string{"glm", "gbm"}, Deadline: time.Now().Add(1500 * time.Millisecond)}
	res, err := Run(context.Background(), d, cfg)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, e := range res.Leaderboard {
		kinds[e.Model] = true
	}
	if !kinds["glm"] || !kinds["gbm"] {
		t.Fatalf("leaderboard families %v, want glm and gbm", kinds)
	}
	recorded := false
	for _, n := range res.Notes {
		if strings.Contains(n, "skipped") || strings.Contains(n, "cut at its time cap") {
			recorded = true
		}
	}
	if !recorded {
		t.Fatalf("notes %q: no skipped or cut candidate recorded", res.Notes)
	}
}

// TestCutCandidateScored: a candidate with no time left is stopped at its
// first round (GBM) or first iterate (GLM) in every fold, scored as it
// stands, and marked cut.
func TestCutCandidateScored(t *testing.T) {
	d := manyClass(600, 4, 3)
	s := &searcher{cfg: Config{Scorer: metric.Default(metric.Multiclass), Seed: 1, Threads: 1, Log: func(string, string) {}},
		data: d, k: 3, start: time.Now()}
	s.cfg.Deadline = time.Now().Add(time.Hour)
	cands, err := s.candidates(PlanFor(Dials{5, 5, 5}))
	if err != nil {
		t.Fatal(err)
	}
	fold := Folds(d.Y, 3, 3, 1)
	for _, c := range cands[:2] {
		e, err := s.evaluate(context.Background(), nil, c, fold, 3, 0)
		if err != nil {
			t.Fatal(err)
		}
		if !e.cut || e.done != 3 || math.IsNaN(e.CVScore) || e.CVScore <= 0 {
			t.Fatalf("%s: cut %v, %d folds, score %v", c, e.cut, e.done, e.CVScore)
		}
		if c.kind == "gbm" && !slices.Equal(e.rounds, []int{1, 1, 1}) {
			t.Fatalf("gbm rounds per fold %v, want 1 each", e.rounds)
		}
	}
	// XGBoost too: drover drives it round by round.
	if _, ok := xgb.Available(); !ok {
		if os.Getenv("CI") == "true" {
			t.Fatalf("libxgboost is required under CI=true: %v", xgb.LoadError())
		}
		t.Skipf("libxgboost not available: %v", xgb.LoadError())
	}
	c := xgbCandidate(s.baseGBM(), false)
	c.gbm.NumRounds = 2000
	e, err := s.evaluate(context.Background(), nil, c, fold, 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !e.cut || e.done != 3 || e.CVScore <= 0 || !slices.Equal(e.rounds, []int{1, 1, 1}) {
		t.Fatalf("xgboost: cut %v, %d folds, score %v, rounds per fold %v", e.cut, e.done, e.CVScore, e.rounds)
	}
}

// TestShareOf: the quick GLM takes an eighth of what is left when trees
// follow, the quick GBM half, the last candidate all of it, the others
// 1/n of it but at least a third.
func TestShareOf(t *testing.T) {
	qglm := candidate{kind: "glm", quick: true}
	qgbm := candidate{kind: "gbm", quick: true}
	glm, gbm := candidate{kind: "glm"}, candidate{kind: "gbm"}
	for _, tt := range []struct {
		c    candidate
		rest []candidate
		want float64
	}{
		{qglm, []candidate{qgbm, glm, gbm}, quickGLMShare},
		{qglm, []candidate{glm, glm}, 1.0 / 3},
		{qgbm, []candidate{glm, gbm, glm, gbm}, quickGBMShare},
		{gbm, nil, 1},
		{qglm, nil, 1},
		{glm, []candidate{gbm}, 0.5},
		{glm, []candidate{gbm, glm, gbm, glm}, 1.0 / 3},
	} {
		if got := shareOf(tt.c, tt.rest); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("shareOf(%s, %d after) = %v, want %v", tt.c.kind, len(tt.rest), got, tt.want)
		}
	}
}

// TestAfterReserved: the time the caller keeps after the search (After)
// is planned out of it: with all of a short budget kept back, the quick
// fits still run (cut), everything else is skipped and said so, and no
// ensemble is tried.
func TestAfterReserved(t *testing.T) {
	d := manyClass(2000, 6, 4)
	cfg := Config{Scorer: metric.Default(metric.Multiclass), Dials: Dials{7, 1, 5}, Folds: -1, Seed: 1, Threads: 2,
		Models: []string{"glm", "gbm"}, Deadline: time.Now().Add(2 * time.Second), After: 2 * time.Second}
	res, err := Run(context.Background(), d, cfg)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, e := range res.Leaderboard {
		kinds[e.Model] = true
		if e.Model == "ensemble" {
			t.Errorf("an ensemble was built with no time left for it")
		}
	}
	if !kinds["glm"] || !kinds["gbm"] || len(res.Leaderboard) != 2 {
		t.Fatalf("leaderboard %v, want the two quick fits only", kinds)
	}
	joined := strings.Join(res.Notes, "\n")
	if !strings.Contains(joined, "skipped") || !strings.Contains(joined, "time budget") {
		t.Fatalf("notes %q: the skipped candidates are not recorded", res.Notes)
	}
}

// TestEnsembleStopsAtDeadline: an ensemble whose deadline has passed makes
// no selection and says so.
func TestEnsembleStopsAtDeadline(t *testing.T) {
	d := manyClass(600, 4, 3)
	s := &searcher{cfg: Config{Scorer: metric.Default(metric.Multiclass), Seed: 1, Threads: 1, Log: func(string, string) {}},
		data: d, k: 3, start: time.Now()}
	s.cfg.Deadline = time.Now().Add(time.Hour)
	cands, err := s.candidates(PlanFor(Dials{5, 5, 5}))
	if err != nil {
		t.Fatal(err)
	}
	fold := Folds(d.Y, 3, 3, 1)
	var board []Entry
	for _, c := range cands[:2] {
		e, err := s.evaluate(context.Background(), nil, c, fold, 3, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		board = append(board, e)
	}
	if _, ok := s.ensemble(board, fold, 3, 0, time.Now().Add(-time.Second)); ok {
		t.Fatal("ensemble built after its deadline")
	}
	if len(s.notes) != 1 || !strings.Contains(s.notes[0], "after 0 of") {
		t.Fatalf("notes %q, want the stopped selection recorded", s.notes)
	}
}

// TestImbalancedCandidates: a binary target with a minority under 10 % gets
// a balanced GLM and a GBM whose positives weigh n_neg/n_pos right after
// the quick fits; a balanced target gets neither.
func TestImbalancedCandidates(t *testing.T) {
	for _, posEvery := range []int{20, 2} {
		n := 2000
		y := make([]float64, n)
		x := make([]float32, n)
		for i := range y {
			if i%posEvery == 0 {
				y[i] = 1
			}
			x[i] = float32(i % 7)
		}
		d := &Data{Names: []string{"x"}, Cols: [][]float32{x}, Categorical: []bool{false}, Y: y, Task: metric.Binary, NumClass: 2}
		s := &searcher{cfg: Config{Scorer: metric.Default(metric.Binary), Seed: 1, Threads: 1, Models: []string{"glm", "gbm"}},
			data: d, k: 2, start: time.Now()}
		cands, err := s.candidates(PlanFor(Dials{7, 3, 5}))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, c := range cands {
			names = append(names, c.String())
		}
		if posEvery == 2 {
			for _, c := range cands {
				if c.display["class_weight"] != "" || c.display["scale_pos_weight"] != "" || c.gbm.ScalePosWeight != 0 {
					t.Fatalf("balanced target: weighted candidate %s", c)
				}
			}
			continue
		}
		if len(cands) < 4 || cands[2].display["class_weight"] != "balanced" || cands[3].kind != "gbm" ||
			cands[3].gbm.ScalePosWeight != 19 || cands[3].display["scale_pos_weight"] != "19" {
			t.Fatalf("imbalanced target: candidates %q", names)
		}
	}
}

// TestContinueCut: a GBM cut at its first round in every fold, continued
// with time to spare, goes on to the models uninterrupted fits make (early
// stopping included), scores better and is no longer cut; a fold that was
// not cut is kept as it was.
func TestContinueCut(t *testing.T) {
	d := manyClass(600, 4, 3)
	s := &searcher{cfg: Config{Scorer: metric.Default(metric.Multiclass), Seed: 1, Threads: 2, Log: func(string, string) {}},
		data: d, k: 3, start: time.Now()}
	s.cfg.Deadline = time.Now().Add(time.Hour)
	cands, err := s.candidates(PlanFor(Dials{5, 5, 5}))
	if err != nil {
		t.Fatal(err)
	}
	c := cands[1]
	if c.kind != "gbm" || !c.quick {
		t.Fatalf("second candidate %s, want the quick gbm", c)
	}
	fold := Folds(d.Y, 3, 3, 1)
	cut, err := s.evaluate(context.Background(), nil, c, fold, 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cut.foldCut, []bool{true, true, true}) {
		t.Fatalf("folds cut %v, want all", cut.foldCut)
	}
	if s.continuable([]Entry{cut}) != 0 {
		t.Fatal("a cut gbm is not continuable")
	}
	cut.foldCut[1] = false // as if fold 1 had early-stopped
	kept := cut.foldModels[1].GBM
	e, err := s.continueCut(context.Background(), cut, fold, 3, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if e.cut || e.done != 3 || !s.cfg.Scorer.Better(e.CVScore, cut.CVScore) {
		t.Fatalf("continued: cut %v, %d folds, cv %v (was %v)", e.cut, e.done, e.CVScore, cut.CVScore)
	}
	if e.foldModels[1].GBM != kept || e.rounds[1] != 1 {
		t.Fatalf("fold 1 (not cut) was refitted: %d rounds", e.rounds[1])
	}
	if !cut.foldCut[0] || cut.rounds[0] != 1 {
		t.Fatal("continueCut changed the entry it continued")
	}
	for _, f := range []int{0, 2} {
		train, _ := split(fold, f)
		m, rounds, _, err := s.fit(context.Background(), c, train, nil, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		a, _ := json.Marshal(m.GBM)
		b, _ := json.Marshal(e.foldModels[f].GBM)
		// Continued, not refitted: the first round is the cut model's own.
		if &e.foldModels[f].GBM.Trees[0].Nodes[0] != &cut.foldModels[f].GBM.Trees[0].Nodes[0] {
			t.Fatalf("fold %d was fitted afresh, not continued", f)
		}
		if rounds <= 1 || e.rounds[f] != rounds || !bytes.Equal(a, b) {
			t.Fatalf("fold %d: continued to %d rounds, an uninterrupted fit makes %d (same model: %v)", f, e.rounds[f], rounds, bytes.Equal(a, b))
		}
	}
	if s.continuable([]Entry{e}) >= 0 {
		t.Fatal("an entry no longer cut is still continuable")
	}
}

// TestBehind: the error ratio past which a family's best is not worth
// more candidates, for scorers where lower and higher is better.
func TestBehind(t *testing.T) {
	ll, auc := metric.Default(metric.Multiclass), metric.Default(metric.Binary)
	for _, tt := range []struct {
		sc   *metric.Scorer
		a, b float64
		want bool
	}{
		{ll, 1.3, 0.43, true},
		{ll, 0.36, 0.23, false},
		{ll, 0.1, 0, false},
		{auc, 0.70, 0.86, true},
		{auc, 0.79, 0.80, false},
		{auc, 0.5, 1, false},
	} {
		if got := behind(tt.sc, tt.a, tt.b); got != tt.want {
			t.Errorf("behind(%s, %v, %v) = %v, want %v", tt.sc.Name, tt.a, tt.b, got, tt.want)
		}
	}
}

// TestRefitRows: a candidate cross-validated on samples is refitted on as
// many rows as its share of the time left allows (its cost linear in rows,
// from its folds' time), all of them when that is enough, and never on
// fewer than its sample; a candidate on every row stays so.
func TestRefitRows(t *testing.T) {
	d := manyClass(10_000, 2, 3)
	s := &searcher{cfg: Config{Log: func(string, string) {}}, data: d}
	c := candidate{kind: "gbm", maxRows: 1000}
	// 5 folds in 5 s: 1 s per sampled fold, 1.1 s per 1,000-row refit.
	e := Entry{cand: c, FitSeconds: 5}
	for _, tc := range []struct {
		avail time.Duration
		want  int
	}{
		{time.Duration(1.1 * 4 / refitRowsMargin * float64(time.Second)), 4000}, // four samples' worth
		{time.Hour, 0},                 // every row
		{100 * time.Millisecond, 1000}, // less than the sample: the sample
		{-time.Second, 1000},           // nothing left
	} {
		if got := s.refitRows(e, 5, tc.avail); got < tc.want-1 || got > tc.want+1 {
			t.Errorf("avail %v: %d rows, want %d", tc.avail, got, tc.want)
		}
	}
	if got := s.refitRows(Entry{cand: candidate{kind: "gbm"}, FitSeconds: 5}, 5, time.Hour); got != 0 {
		t.Errorf("a candidate on every row: refit sample %d", got)
	}
	if !slices.ContainsFunc(s.notes, func(n string) bool { return strings.Contains(n, "refitted on all 10000 rows") }) {
		t.Errorf("notes %q: the larger refit is not recorded", s.notes)
	}
}
