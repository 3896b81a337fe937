package gbm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/drover-ml/drover/internal/testutil"
)

func TestParseParams(t *testing.T) {
	tests := []struct {
		name    string
		kv      map[string]string
		check   func(Params) bool
		wantErr string
	}{
		{"defaults", nil, func(p Params) bool { return p == DefaultParams() }, ""},
		{"all keys", map[string]string{
			"n_estimators": "50", "max_depth": "4", "learning_rate": "0.3", "reg_lambda": "2",
			"reg_alpha": "0.5", "min_child_weight": "3", "subsample": "0.8", "colsample_bytree": "0.5",
			"max_bin": "64", "objective": "reg:squarederror",
		}, func(p Params) bool {
			return p.NumRounds == 50 && p.MaxDepth == 4 && p.LearningRate == 0.3 && p.Lambda == 2 &&
				p.Alpha == 0.5 && p.MinChildWeight == 3 && p.Subsample == 0.8 && p.ColSample == 0.5 &&
				p.MaxBins == 64 && p.Objective == ObjectiveSquared
		}, ""},
		{"multiclass", map[string]string{"objective": "multiclass", "num_class": "3"}, func(p Params) bool {
			return p.Objective == ObjectiveMulticlass && p.NumClass == 3
		}, ""},
		{"unknown key", map[string]string{"max_leaves": "3"}, nil, "max_leaves"},
		{"bad int", map[string]string{"max_depth": "six"}, nil, "max_depth"},
		{"bad float", map[string]string{"learning_rate": "fast"}, nil, "learning_rate"},
		{"out of range", map[string]string{"subsample": "1.5"}, nil, "Subsample"},
		{"max_bin too big", map[string]string{"max_bin": "1024"}, nil, "MaxBins"},
		{"bad objective", map[string]string{"objective": "poisson"}, nil, "objective"},
		{"multiclass without classes", map[string]string{"objective": "multiclass"}, nil, "NumClass"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParseParams(DefaultParams(), tc.kv)
			if tc.wantErr != "" {
				var pe *ParamError
				if err == nil || !errors.As(err, &pe) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want a ParamError naming %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(p) {
				t.Fatalf("params = %+v", p)
			}
		})
	}
}

func TestDefaultParams(t *testing.T) {
	p := DefaultParams()
	if p.NumRounds != 100 || p.MaxDepth != 6 || p.LearningRate != 0.1 || p.Lambda != 1 || p.Alpha != 0 ||
		p.MinChildWeight != 1 || p.Subsample != 1 || p.ColSample != 1 || p.MaxBins != 256 || p.Threads != 0 {
		t.Fatalf("DefaultParams = %+v", p)
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
}

// TestInteraction needs both features of an XOR: no single feature carries
// any signal, so only a tree that splits on one and then the other learns.
func TestInteraction(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const n = 6000
	x := newMatrix(n, 5)
	y := make([]float32, n)
	for i := 0; i < n; i++ {
		for j := range x.Cols {
			x.Cols[j][i] = float32(r.Float64()*2 - 1)
		}
		if (x.Cols[1][i] > 0) != (x.Cols[3][i] > 0) {
			y[i] = 1
		}
	}
	p := DefaultParams()
	p.NumRounds, p.MaxDepth = 50, 3
	m := trainT(t, x.slice(0, 4000), y[:4000], p)
	if a := auc(y[4000:], predict(m, x.slice(4000, n))); a < 0.98 {
		t.Fatalf("XOR test AUC = %.4f, want ≥ 0.98", a)
	}
	imp := m.FeatureImportance()
	if imp[1] < 10*imp[0] || imp[3] < 10*imp[2] {
		t.Fatalf("importance = %v, want features 1 and 3 to dominate", imp)
	}
}

func TestBinarySynthetic(t *testing.T) {
	x, y := synthBinary(20000, 20, 3)
	p := DefaultParams()
	m := trainT(t, x.slice(0, 15000), y[:15000], p)
	if a := auc(y[15000:], predict(m, x.slice(15000, 20000))); a < 0.93 {
		t.Fatalf("AUC = %.4f, want ≥ 0.93", a)
	}
}

func TestMulticlass(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const n = 6000
	x := newMatrix(n, 4)
	y := make([]float32, n)
	for i := 0; i < n; i++ {
		for j := range x.Cols {
			x.Cols[j][i] = float32(r.NormFloat64())
		}
		// Three classes by angle in the plane of features 0 and 2.
		a := math.Atan2(float64(x.Cols[2][i]), float64(x.Cols[0][i]))
		y[i] = float32(int((a + math.Pi) / (2 * math.Pi / 3)))
		if y[i] > 2 {
			y[i] = 2
		}
	}
	p := DefaultParams()
	p.Objective, p.NumClass = ObjectiveMulticlass, 3
	m := trainT(t, x.slice(0, 4000), y[:4000], p)
	out := predict(m, x.slice(4000, n))
	correct := 0
	for i := 0; i < n-4000; i++ {
		row := out[i*3 : i*3+3]
		if s := row[0] + row[1] + row[2]; math.Abs(s-1) > 1e-9 {
			t.Fatalf("row %d probabilities sum to %v", i, s)
		}
		best := 0
		for k := range row {
			if row[k] > row[best] {
				best = k
			}
		}
		if float32(best) == y[4000+i] {
			correct++
		}
	}
	if acc := float64(correct) / float64(n-4000); acc < 0.93 {
		t.Fatalf("accuracy = %.4f, want ≥ 0.93", acc)
	}
}

// TestHuberRobust: 5% of the targets are wild outliers; the Huber model
// stays close to the clean function, squared error is dragged away.
func TestHuberRobust(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	const n = 8000
	x := newMatrix(n, 3)
	y := make([]float32, n)
	clean := make([]float64, n)
	for i := 0; i < n; i++ {
		for j := range x.Cols {
			x.Cols[j][i] = float32(r.Float64()*4 - 2)
		}
		clean[i] = 3*float64(x.Cols[0][i]) + math.Sin(2*float64(x.Cols[1][i]))
		y[i] = float32(clean[i] + 0.1*r.NormFloat64())
		if i < 6000 && r.Float64() < 0.05 {
			y[i] += 200
		}
	}
	mae := func(obj string) float64 {
		p := DefaultParams()
		p.Objective = obj
		p.NumRounds = 200
		m := trainT(t, x.slice(0, 6000), y[:6000], p)
		out := predict(m, x.slice(6000, n))
		var s float64
		for i, v := range out {
			s += math.Abs(v - clean[6000+i])
		}
		return s / float64(len(out))
	}
	h, s := mae(ObjectiveHuber), mae(ObjectiveSquared)
	if h > 0.35 || h > s/3 {
		t.Fatalf("test MAE huber %.3f, squared %.3f: want huber ≤ 0.35 and ≤ a third of squared", h, s)
	}
}

// TestMissingInformative: feature 0 is missing exactly for most positives,
// so the model must route missing values right by a learned default.
func TestMissingInformative(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	const n = 6000
	x := newMatrix(n, 3)
	y := make([]float32, n)
	for i := 0; i < n; i++ {
		for j := range x.Cols {
			x.Cols[j][i] = float32(r.NormFloat64())
		}
		if r.Float64() < 0.3 {
			y[i] = 1
			if r.Float64() < 0.9 {
				x.Cols[0][i] = float32(math.NaN())
			}
		}
	}
	p := DefaultParams()
	p.NumRounds, p.MaxDepth = 30, 2
	m := trainT(t, x.slice(0, 4000), y[:4000], p)
	if a := auc(y[4000:], predict(m, x.slice(4000, n))); a < 0.93 {
		t.Fatalf("AUC = %.4f, want ≥ 0.93", a)
	}
	root := m.Trees[0].Nodes[0]
	if root.Feature != 0 {
		t.Fatalf("root splits on feature %d, want 0", root.Feature)
	}
	// Rows with feature 0 missing are the positives: whichever side they
	// go, it must be the side with the higher output.
	one := newMatrix(1, 3)
	one.Cols[0][0] = float32(math.NaN())
	pMiss := predict(m, one)[0]
	one.Cols[0][0] = 0
	if pPresent := predict(m, one)[0]; pMiss < 0.7 || pPresent > 0.2 {
		t.Fatalf("p(missing) = %.3f, p(present) = %.3f", pMiss, pPresent)
	}
}

// TestCategorical: the label is a random subset of 30 category codes. One
// categorical split finds it; stumps on the codes as numbers could not.
func TestCategorical(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	const n, ncat = 8000, 30
	inSet := make([]bool, ncat)
	for c := range inSet {
		inSet[c] = r.Float64() < 0.5
	}
	x := newMatrix(n, 2)
	x.Categorical = []bool{true, false}
	y := make([]float32, n)
	for i := 0; i < n; i++ {
		c := r.IntN(ncat) * 7 // sparse codes
		x.Cols[0][i] = float32(c)
		x.Cols[1][i] = float32(r.NormFloat64())
		if inSet[c/7] == (r.Float64() < 0.95) {
			y[i] = 1
		}
	}
	p := DefaultParams()
	p.NumRounds, p.MaxDepth, p.LearningRate = 20, 1, 0.5
	m := trainT(t, x.slice(0, 6000), y[:6000], p)
	if a := auc(y[6000:], predict(m, x.slice(6000, n))); a < 0.93 {
		t.Fatalf("AUC = %.4f, want ≥ 0.93", a)
	}
	if m.Trees[0].Nodes[0].CatLeft == nil {
		t.Fatal("first split is not categorical")
	}
	// Unseen and missing categories follow the default direction.
	one := newMatrix(3, 2)
	one.Categorical = x.Categorical
	one.Cols[0][0], one.Cols[0][1], one.Cols[0][2] = 1e6, float32(math.NaN()), -3
	out := predict(m, one)
	if out[0] != out[1] || out[1] != out[2] {
		t.Fatalf("unseen, missing and invalid categories predict %v, want equal", out)
	}
}

func TestCategoricalBadCode(t *testing.T) {
	x := newMatrix(4, 1)
	x.Categorical = []bool{true}
	copy(x.Cols[0], []float32{0, 1, 2.5, 1})
	_, err := Train(t.Context(), x, []float32{0, 1, 0, 1}, nil, nil, DefaultParams(), nil)
	if err == nil || !strings.Contains(err.Error(), "feature 0") {
		t.Fatalf("err = %v, want an error naming feature 0", err)
	}
}

func testModels(t *testing.T) map[string]struct {
	m *Model
	x *Matrix
} {
	out := map[string]struct {
		m *Model
		x *Matrix
	}{}
	x, y := synthBinary(3000, 8, 13)
	// Some missing values and a categorical feature.
	x.Categorical = make([]bool, 8)
	x.Categorical[7] = true
	for i := 0; i < x.Rows; i++ {
		x.Cols[7][i] = float32(i % 13)
		if i%17 == 0 {
			x.Cols[2][i] = float32(math.NaN())
		}
	}
	for _, obj := range []string{ObjectiveBinary, ObjectiveMulticlass, ObjectiveSquared, ObjectiveHuber} {
		p := DefaultParams()
		p.Objective = obj
		p.NumRounds = 30
		p.Subsample, p.ColSample = 0.8, 0.7
		yy := y
		if obj == ObjectiveMulticlass {
			p.NumClass = 3
			yy = make([]float32, len(y))
			for i := range y {
				yy[i] = y[i] + float32(i%2)
			}
		}
		out[obj] = struct {
			m *Model
			x *Matrix
		}{trainT(t, x, yy, p), x}
	}
	return out
}

func TestJSONRoundTrip(t *testing.T) {
	for name, tc := range testModels(t) {
		t.Run(name, func(t *testing.T) {
			data, err := json.Marshal(tc.m)
			if err != nil {
				t.Fatal(err)
			}
			var back Model
			if err := json.Unmarshal(data, &back); err != nil {
				t.Fatal(err)
			}
			want, got := predict(tc.m, tc.x), predict(&back, tc.x)
			for i := range want {
				if math.Float64bits(want[i]) != math.Float64bits(got[i]) {
					t.Fatalf("prediction %d: %v before, %v after the round trip", i, want[i], got[i])
				}
			}
			again, _ := json.Marshal(&back)
			if !bytes.Equal(data, again) {
				t.Fatal("second encoding differs")
			}
		})
	}
}

func TestPredictBinnedMatchesRaw(t *testing.T) {
	for name, tc := range testModels(t) {
		t.Run(name, func(t *testing.T) {
			raw := predict(tc.m, tc.x)
			binned := make([]float64, len(raw))
			tc.m.PredictBinned(tc.m.Bin(tc.x), binned, 1)
			for i := range raw {
				if math.Float64bits(raw[i]) != math.Float64bits(binned[i]) {
					t.Fatalf("row %d: raw %v, binned %v", i, raw[i], binned[i])
				}
			}
		})
	}
}

// TestTrainingMarginsMatchPredict: the loss reported during training (from
// the trainer's own margins) equals the loss of Predict's output.
func TestTrainingMarginsMatchPredict(t *testing.T) {
	x, y := synthBinary(3000, 6, 14)
	p := DefaultParams()
	p.NumRounds = 20
	var last float64
	m, err := Train(t.Context(), x, y, nil, nil, p, func(_ int, tl, _ float64) { last = tl })
	if err != nil {
		t.Fatal(err)
	}
	margin := make([]float64, x.Rows)
	m.PredictMargin(x, margin)
	got := binary{}.lossSum(margin, y, 0, x.Rows) / float64(x.Rows)
	if math.Abs(got-last) > 1e-12 {
		t.Fatalf("train loss %v, loss of Predict %v", last, got)
	}
}

func TestDeterministicAcrossThreads(t *testing.T) {
	x, y := synthBinary(70000, 12, 15) // large enough for parallel partitions
	x.Cols[3][5] = float32(math.NaN())
	var first []byte
	for _, threads := range []int{1, 2, 3, 4} {
		p := DefaultParams()
		p.NumRounds, p.Threads, p.Seed = 15, threads, 99
		p.Subsample, p.ColSample = 0.7, 0.8
		data, err := json.Marshal(trainT(t, x, y, p))
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = data
		} else if !bytes.Equal(first, data) {
			t.Fatalf("model with %d threads differs from 1 thread", threads)
		}
	}
}

func TestEarlyStopping(t *testing.T) {
	x, y := synthBinary(4000, 10, 16)
	// Noisy labels so that the validation loss turns up.
	r := rand.New(rand.NewPCG(1, 1))
	for i := range y {
		if r.Float64() < 0.3 {
			y[i] = 1 - y[i]
		}
	}
	p := DefaultParams()
	p.NumRounds, p.MaxDepth, p.LearningRate, p.EarlyStoppingRounds = 500, 8, 0.3, 10
	var rounds int
	var losses []float64
	m, err := Train(t.Context(), x.slice(0, 3000), y[:3000], x.slice(3000, 4000), y[3000:], p,
		func(round int, _, vl float64) { rounds = round; losses = append(losses, vl) })
	if err != nil {
		t.Fatal(err)
	}
	if rounds >= 500 || m.Rounds != rounds-10 || len(m.Trees) != m.Rounds {
		t.Fatalf("ran %d rounds, kept %d (%d trees)", rounds, m.Rounds, len(m.Trees))
	}
	if m.BestValidLoss != losses[m.Rounds-1] {
		t.Fatalf("best loss %v, loss at round %d %v", m.BestValidLoss, m.Rounds, losses[m.Rounds-1])
	}
	// The kept model reproduces the best validation loss.
	vx := x.slice(3000, 4000)
	margin := make([]float64, vx.Rows)
	m.PredictMargin(vx, margin)
	if got := (binary{}).lossSum(margin, y[3000:], 0, vx.Rows) / float64(vx.Rows); math.Abs(got-m.BestValidLoss) > 1e-12 {
		t.Fatalf("kept model's validation loss %v, want %v", got, m.BestValidLoss)
	}
}

func TestCancel(t *testing.T) {
	x, y := synthBinary(20000, 10, 17)
	ctx, cancel := context.WithCancel(t.Context())
	p := DefaultParams()
	p.NumRounds = 100000
	_, err := Train(ctx, x, y, nil, nil, p, func(round int, _, _ float64) {
		if round == 3 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestBadInput(t *testing.T) {
	x, y := synthBinary(100, 3, 18)
	p := DefaultParams()
	if _, err := Train(t.Context(), x, y[:50], nil, nil, p, nil); err == nil {
		t.Error("short labels accepted")
	}
	y2 := append([]float32(nil), y...)
	y2[3] = 2
	if _, err := Train(t.Context(), x, y2, nil, nil, p, nil); err == nil {
		t.Error("binary label 2 accepted")
	}
	p.MaxDepth = 0
	if _, err := Train(t.Context(), x, y, nil, nil, p, nil); err == nil {
		t.Error("max depth 0 accepted")
	}
}

// TestPima is a sanity check on a real data set: AUC on a holdout.
func TestPima(t *testing.T) {
	data, err := os.ReadFile(testutil.SharedData(t, "pima_diabetes.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")[1:]
	x := newMatrix(len(lines), 8)
	y := make([]float32, len(lines))
	for i, line := range lines {
		f := strings.Split(line, ",")
		for j := 0; j < 8; j++ {
			var v float64
			if _, err := fmt.Sscan(f[j], &v); err != nil {
				t.Fatal(err)
			}
			x.Cols[j][i] = float32(v)
		}
		if strings.TrimSpace(f[8]) == "tested_positive" {
			y[i] = 1
		}
	}
	p := DefaultParams()
	p.NumRounds, p.MaxDepth, p.LearningRate = 100, 3, 0.05
	cut := len(lines) * 3 / 4
	m := trainT(t, x.slice(0, cut), y[:cut], p)
	a := auc(y[cut:], predict(m, x.slice(cut, len(lines))))
	t.Logf("pima holdout AUC %.4f", a)
	if a < 0.78 {
		t.Fatalf("AUC = %.4f, want ≥ 0.78", a)
	}
}

// TestScalePosWeight: weighting the positives of an imbalanced target by
// n_neg/n_pos raises their predicted probabilities toward balance (the
// base score is the balanced log-odds and the mean prediction rises), keeps
// the ranking about as good, and a weight of 1 is the unweighted model.
func TestScalePosWeight(t *testing.T) {
	x, y := synthBinary(4000, 6, 3)
	// Keep every negative and one positive in ten.
	var keep []int
	for i, v := range y {
		if v == 0 || i%10 == 0 {
			keep = append(keep, i)
		}
	}
	xi := &Matrix{Rows: len(keep), Cols: make([][]float32, len(x.Cols))}
	yi := make([]float32, len(keep))
	var pos float64
	for j := range x.Cols {
		xi.Cols[j] = make([]float32, len(keep))
		for k, i := range keep {
			xi.Cols[j][k] = x.Cols[j][i]
		}
	}
	for k, i := range keep {
		yi[k] = y[i]
		pos += float64(y[i])
	}
	p := DefaultParams()
	p.NumRounds, p.Threads = 30, 2
	plain := predict(trainT(t, xi, yi, p), xi)
	p.ScalePosWeight = 1
	if one := predict(trainT(t, xi, yi, p), xi); !slicesEqual(one, plain) {
		t.Fatal("scale_pos_weight=1 differs from the unweighted model")
	}
	p.ScalePosWeight = (float64(len(yi)) - pos) / pos
	wm := trainT(t, xi, yi, p)
	weighted := predict(wm, xi)
	if b := wm.BaseScore[0]; math.Abs(b) > 0.01 {
		t.Fatalf("weighted base score %v, want the log-odds of the balanced classes (0)", b)
	}
	mean := func(v []float64) float64 {
		var s float64
		for _, x := range v {
			s += x
		}
		return s / float64(len(v))
	}
	rate := pos / float64(len(yi))
	if mp, mw := mean(plain), mean(weighted); !(mp < rate*1.5 && mw > 1.5*mp) {
		t.Fatalf("mean prediction: unweighted %.3f, weighted %.3f (positive rate %.3f)", mp, mw, rate)
	}
	if a, b := auc(yi, plain), auc(yi, weighted); b < a-0.03 {
		t.Fatalf("train AUC unweighted %.4f, weighted %.4f", a, b)
	}
	if _, err := ParseParams(DefaultParams(), map[string]string{"scale_pos_weight": "-1"}); err == nil {
		t.Fatal("scale_pos_weight=-1 accepted")
	}
}

func slicesEqual(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
