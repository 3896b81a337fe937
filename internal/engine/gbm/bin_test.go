package gbm

import (
	"encoding/json"
	"math"
	"slices"
	"testing"
)

func TestNumericBins(t *testing.T) {
	nan := float32(math.NaN())
	tests := []struct {
		name     string
		col      []float32
		maxBins  int
		wantCuts []float32
	}{
		{"few distinct values", []float32{3, 1, 2, 2, nan, 1}, 255, []float32{1.5, 2.5}},
		{"constant", []float32{7, 7, 7}, 255, nil},
		{"all missing", []float32{nan, nan}, 255, nil},
		{"negative zero", []float32{-1, 0, 1}, 255, []float32{-0.5, 0.5}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := numericBins(tc.col, nil, tc.maxBins)
			if !slices.Equal(got.Cuts, tc.wantCuts) {
				t.Fatalf("cuts = %v, want %v", got.Cuts, tc.wantCuts)
			}
		})
	}
}

func TestNumericBinsQuantiles(t *testing.T) {
	// 10,000 distinct values plus one value holding 30% of the rows.
	var col []float32
	for i := 0; i < 10000; i++ {
		col = append(col, float32(i))
	}
	for i := 0; i < 4300; i++ {
		col = append(col, 5000.5)
	}
	fb := numericBins(col, nil, 255)
	if n := fb.NumBins(); n > 255 || n < 200 {
		t.Fatalf("%d bins, want about 255", n)
	}
	b := newBinner([]FeatureBins{fb})
	counts := make([]int, fb.NumBins())
	for _, v := range col {
		counts[b.binOf(0, v)]++
	}
	heavy := b.binOf(0, 5000.5)
	if counts[heavy] != 4300 {
		t.Fatalf("the heavy value shares its bin: %d rows in it", counts[heavy])
	}
	for bin, c := range counts {
		if bin != int(heavy) && c > 2*10000/254 {
			t.Fatalf("bin %d holds %d rows, want about %d", bin, c, 10000/254)
		}
	}
}

func TestBinOf(t *testing.T) {
	fb := FeatureBins{Cuts: []float32{1.5, 2.5}}
	cat := FeatureBins{Categorical: true, Categories: []int32{2, 5, 100000}}
	b := newBinner([]FeatureBins{fb, cat})
	for _, tc := range []struct {
		j    int
		v    float32
		want uint8
	}{
		{0, 1, 0}, {0, 1.5, 0}, {0, 1.6, 1}, {0, 2.5, 1}, {0, 99, 2}, {0, float32(math.Inf(-1)), 0},
		{0, float32(math.NaN()), 3},
		{1, 2, 0}, {1, 5, 1}, {1, 100000, 2}, {1, 3, 3}, {1, -1, 3}, {1, 2.5, 3}, {1, float32(math.NaN()), 3},
	} {
		if got := b.binOf(tc.j, tc.v); got != tc.want {
			t.Errorf("binOf(%d, %v) = %d, want %d", tc.j, tc.v, got, tc.want)
		}
	}
}

func TestCategoricalBinsKeepFrequent(t *testing.T) {
	var col []float32
	for c := 0; c < 10; c++ {
		for i := 0; i <= c; i++ {
			col = append(col, float32(c))
		}
	}
	fb, err := categoricalBins(col, 3)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(fb.Categories, []int32{7, 8, 9}) {
		t.Fatalf("categories = %v, want the 3 most frequent", fb.Categories)
	}
}

func TestValidateRejectsBrokenModel(t *testing.T) {
	x, y := synthBinary(500, 3, 1)
	p := DefaultParams()
	p.NumRounds = 3
	m := trainT(t, x, y, p)
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(m)
	for name, mutate := range map[string]func(*Model){
		"feature out of range": func(m *Model) { m.Trees[0].Nodes[0].Feature = 9 },
		"child loop":           func(m *Model) { m.Trees[0].Nodes[0].Left = 0 },
		"bad objective":        func(m *Model) { m.Objective = "poisson" },
		"missing base score":   func(m *Model) { m.BaseScore = nil },
		"threshold off":        func(m *Model) { m.Trees[0].Nodes[0].Threshold += 1 },
	} {
		var back Model
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatal(err)
		}
		mutate(&back)
		if err := back.Validate(); err == nil {
			t.Errorf("%s: Validate accepted it", name)
		}
	}
}

func FuzzParseParams(f *testing.F) {
	f.Add("max_depth", "6")
	f.Add("learning_rate", "0.1")
	f.Add("objective", "multiclass")
	f.Add("subsample", "NaN")
	f.Fuzz(func(t *testing.T, k, v string) {
		p, err := ParseParams(DefaultParams(), map[string]string{k: v})
		if err == nil {
			if verr := p.Validate(); verr != nil {
				t.Fatalf("ParseParams accepted %s=%q but Validate fails: %v", k, v, verr)
			}
		}
	})
}
