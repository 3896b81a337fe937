package gbm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
)

// FeatureBins maps the raw values of one feature to histogram bins. It is
// computed on the training data and stored in the Model.
//
// A numeric feature with cut points t_0 < … < t_{k-2} has k value bins:
// value v falls in bin #{i : t_i < v}; a split "bin ≤ b" is thus "v ≤ t_b".
// A categorical feature has one bin per kept category code: Categories[b] is
// the code of bin b. Missing values, unseen categories and categories beyond
// the bin budget share the missing bin, NumBins().
type FeatureBins struct {
	Categorical bool      `json:"categorical,omitempty"`
	Cuts        []float32 `json:"cuts,omitempty"`
	Categories  []int32   `json:"categories,omitempty"`
}

// NumBins returns the number of value bins (the missing bin is this index).
func (f *FeatureBins) NumBins() int {
	if f.Categorical {
		return len(f.Categories)
	}
	return len(f.Cuts) + 1
}

// binSampleRows bounds the rows used to find cut points; quantiles of a
// larger sample do not move enough to matter for 255 bins.
const binSampleRows = 1 << 16

// computeBins finds the bins of every feature of m. maxBins includes the
// missing bin, so at most maxBins-1 value bins are made.
func computeBins(m *Matrix, maxBins, threads int) ([]FeatureBins, error) {
	nf := len(m.Cols)
	out := make([]FeatureBins, nf)
	sample := sampleRows(m.Rows, binSampleRows)
	errs := make([]error, nf)
	parallelFor(nf, threads, func(j int) {
		if m.isCategorical(j) {
			out[j], errs[j] = categoricalBins(m.Cols[j], maxBins-1)
			if errs[j] != nil {
				errs[j] = fmt.Errorf("gbm: feature %d: %w", j, errs[j])
			}
			return
		}
		out[j] = numericBins(m.Cols[j], sample, maxBins-1)
	})
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// sampleRows returns nil (all rows) when n ≤ limit, otherwise limit sorted
// row indices drawn with a fixed seed.
func sampleRows(n, limit int) []int32 {
	if n <= limit {
		return nil
	}
	r := rand.New(rand.NewPCG(0x6762, 0x6d62))
	idx := make([]int32, limit)
	// Selection sampling (Knuth's algorithm S): sorted, exact size.
	k := 0
	for i := 0; i < n && k < limit; i++ {
		if r.IntN(n-i) < limit-k {
			idx[k] = int32(i)
			k++
		}
	}
	return idx
}

// numericBins cuts the non-missing values of col (restricted to sample when
// not nil) into at most maxValueBins bins of about equal count. A value
// heavier than a bin gets a bin of its own.
func numericBins(col []float32, sample []int32, maxValueBins int) FeatureBins {
	var vals []float32
	if sample == nil {
		vals = make([]float32, 0, len(col))
		for _, v := range col {
			if v == v {
				vals = append(vals, v)
			}
		}
	} else {
		vals = make([]float32, 0, len(sample))
		for _, i := range sample {
			if v := col[i]; v == v {
				vals = append(vals, v)
			}
		}
	}
	if len(vals) == 0 {
		return FeatureBins{}
	}
	slices.Sort(vals)
	// run returns the end of the run of values equal to vals[i].
	run := func(i int) int {
		j := i + 1
		for j < len(vals) && vals[j] == vals[i] {
			j++
		}
		return j
	}
	distinct := 1
	for i := 1; i < len(vals); i++ {
		if vals[i] != vals[i-1] {
			distinct++
		}
	}
	var cuts []float32
	if distinct <= maxValueBins {
		cuts = make([]float32, 0, distinct-1)
		for i := 1; i < len(vals); i++ {
			if vals[i] != vals[i-1] {
				cuts = append(cuts, midpoint(vals[i-1], vals[i]))
			}
		}
		return FeatureBins{Cuts: cuts}
	}
	// Greedy equal-count bins: close a bin once it holds its share of the
	// values still to place, or before a value heavy enough for a bin of
	// its own.
	cuts = make([]float32, 0, maxValueBins-1)
	remaining, binsLeft, acc := len(vals), maxValueBins, 0
	for i := 0; binsLeft > 1; {
		j := run(i)
		if j == len(vals) {
			break
		}
		acc += j - i
		target := float64(remaining) / float64(binsLeft)
		if float64(acc) >= target || float64(run(j)-j) >= target {
			cuts = append(cuts, midpoint(vals[i], vals[j]))
			remaining -= acc
			acc = 0
			binsLeft--
		}
		i = j
	}
	return FeatureBins{Cuts: cuts}
}

// midpoint returns a float32 t with a ≤ t < b, near (a+b)/2.
func midpoint(a, b float32) float32 {
	if math.IsInf(float64(a), 0) || math.IsInf(float64(b), 0) {
		return a
	}
	t := float32((float64(a) + float64(b)) / 2)
	if !(t < b) || t < a {
		return a
	}
	return t
}

// categoricalBins keeps the maxValueBins most frequent category codes.
func categoricalBins(col []float32, maxValueBins int) (FeatureBins, error) {
	counts := map[int]int{}
	for i, v := range col {
		if v != v {
			continue
		}
		c, ok := categoryCode(v)
		if !ok {
			return FeatureBins{}, fmt.Errorf("row %d: categorical value %v is not a non-negative integer code below %d", i, v, maxCategoryCode)
		}
		counts[c]++
	}
	codes := make([]int, 0, len(counts))
	for c := range counts {
		codes = append(codes, c)
	}
	if len(codes) > maxValueBins {
		sort.Slice(codes, func(a, b int) bool {
			ca, cb := counts[codes[a]], counts[codes[b]]
			if ca != cb {
				return ca > cb
			}
			return codes[a] < codes[b]
		})
		codes = codes[:maxValueBins]
	}
	slices.Sort(codes)
	cats := make([]int32, len(codes))
	for i, c := range codes {
		cats[i] = int32(c)
	}
	return FeatureBins{Categorical: true, Categories: cats}, nil
}

// binner turns raw values into bins for a fixed set of FeatureBins.
type binner struct {
	feats []FeatureBins
	// catTable[j] maps a category code to its bin for categorical feature j
	// (dense when the largest code is small), catBig otherwise.
	catTable [][]uint8
}

// catDenseLimit bounds dense code→bin tables.
const catDenseLimit = 1 << 16

func newBinner(feats []FeatureBins) *binner {
	b := &binner{feats: feats, catTable: make([][]uint8, len(feats))}
	for j := range feats {
		f := &feats[j]
		if !f.Categorical || len(f.Categories) == 0 {
			continue
		}
		maxCode := int(f.Categories[len(f.Categories)-1])
		if maxCode >= catDenseLimit {
			continue
		}
		t := make([]uint8, maxCode+1)
		miss := uint8(f.NumBins())
		for i := range t {
			t[i] = miss
		}
		for bin, c := range f.Categories {
			t[c] = uint8(bin)
		}
		b.catTable[j] = t
	}
	return b
}

// binOf returns the bin of value v of feature j.
func (b *binner) binOf(j int, v float32) uint8 {
	f := &b.feats[j]
	if !f.Categorical {
		if v != v {
			return uint8(len(f.Cuts) + 1)
		}
		return uint8(searchCuts(f.Cuts, v))
	}
	miss := uint8(len(f.Categories))
	c, ok := categoryCode(v)
	if !ok {
		return miss
	}
	if t := b.catTable[j]; t != nil {
		if c < len(t) {
			return t[c]
		}
		return miss
	}
	i, found := slices.BinarySearch(f.Categories, int32(c))
	if !found {
		return miss
	}
	return uint8(i)
}

// searchCuts returns #{i : cuts[i] < v}, without data-dependent branches.
func searchCuts(cuts []float32, v float32) int {
	n := len(cuts)
	if n == 0 {
		return 0
	}
	base := 0
	for n > 1 {
		half := n >> 1
		if cuts[base+half-1] < v {
			base += half
		}
		n -= half
	}
	if cuts[base] < v {
		base++
	}
	return base
}

// binMatrix returns the row-major bin matrix of m: row i, feature j at
// i*nf+j.
func (b *binner) binMatrix(m *Matrix, threads int) []uint8 {
	nf := len(b.feats)
	out := make([]uint8, m.Rows*nf)
	const block = 4096
	nblocks := (m.Rows + block - 1) / block
	parallelFor(nblocks, threads, func(blk int) {
		lo := blk * block
		hi := min(lo+block, m.Rows)
		for j := 0; j < nf; j++ {
			col := m.Cols[j][lo:hi]
			f := &b.feats[j]
			if f.Categorical {
				for i, v := range col {
					out[(lo+i)*nf+j] = b.binOf(j, v)
				}
				continue
			}
			cuts := f.Cuts
			miss := uint8(len(cuts) + 1)
			for i, v := range col {
				bin := miss
				if v == v {
					bin = uint8(searchCuts(cuts, v))
				}
				out[(lo+i)*nf+j] = bin
			}
		}
	})
	return out
}
