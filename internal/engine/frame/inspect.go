package frame

import (
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// Inspect limits. Inspect's memory depends on the number of columns, never
// on the number of rows.
const (
	// DistinctCap bounds exact distinct counting per column. A column
	// with more distinct values reports Distinct == DistinctCap, meaning
	// "DistinctCap or more". With many columns the cap shrinks so that
	// all columns together track at most distinctBudget values.
	DistinctCap    = 100_000
	distinctBudget = 20_000_000
	// sampleBudget bounds the numeric values kept (in a reservoir sample
	// per column) to draw histograms.
	sampleBudget = 4_000_000
	histBins     = 10
	topLevels    = 10
)

// Inspect reads CSV from r once, streaming, and summarises every column:
// its type, missing count, distinct count and a small histogram (10 equal
// bins between min and max for numeric columns, the 10 most frequent
// levels for categorical ones). Numeric histograms of more rows than the
// per-column sample come from a uniform sample scaled to the row count.
// Date columns are reported as categorical. Content errors are
// *usererr.Error values, which is how a non-CSV upload is rejected.
func Inspect(r io.Reader) ([]ColumnSummary, int, error) {
	rs, err := newRecords(r)
	if err != nil {
		return nil, 0, err
	}
	n := len(rs.header)
	dcap := min(DistinctCap, max(1000, distinctBudget/n))
	scap := min(10_000, max(100, sampleBudget/n))
	st := make([]colStats, n)
	for i := range st {
		st[i] = colStats{numeric: true, min: math.Inf(1), max: math.Inf(-1), counts: map[string]int{}}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	rows := 0
	for {
		rec, err := rs.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, 0, err
		}
		rows++
		for i, f := range rec {
			st[i].add(f, dcap, scap, rng)
		}
	}
	if rows == 0 {
		return nil, 0, errHeaderOnly()
	}
	cols := make([]ColumnSummary, n)
	for i, name := range rs.header {
		cols[i] = st[i].column(name, dcap)
	}
	return cols, rows, nil
}

type colStats struct {
	missing  int
	numeric  bool
	nonMiss  int // non-missing numeric values seen (finite)
	min, max float64
	sample   []float64
	seen     int // finite values offered to the sample
	counts   map[string]int
	capped   bool
}

func (c *colStats) add(f string, dcap, scap int, rng *rand.Rand) {
	if IsMissing(f) {
		c.missing++
		return
	}
	f = strings.TrimSpace(f)
	if n, ok := c.counts[f]; ok {
		c.counts[f] = n + 1
	} else if len(c.counts) < dcap {
		c.counts[strings.Clone(f)] = 1
	} else {
		c.capped = true
	}
	if !c.numeric {
		return
	}
	v, err := strconv.ParseFloat(f, 64)
	if err != nil && !isRangeErr(err) {
		c.numeric = false
		c.sample = nil
		return
	}
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return
	}
	c.nonMiss++
	c.min = min(c.min, v)
	c.max = max(c.max, v)
	c.seen++
	if len(c.sample) < scap {
		c.sample = append(c.sample, v)
	} else if j := rng.IntN(c.seen); j < scap {
		c.sample[j] = v
	}
}

func (c *colStats) column(name string, dcap int) ColumnSummary {
	col := ColumnSummary{Name: name, Missing: c.missing, Distinct: len(c.counts)}
	if c.capped {
		col.Distinct = dcap
	}
	if c.numeric {
		col.Type = "numeric"
		col.Histogram = c.numericHist()
		return col
	}
	col.Type = "categorical"
	type lc struct {
		s string
		n int
	}
	all := make([]lc, 0, len(c.counts))
	for s, n := range c.counts {
		all = append(all, lc{s, n})
	}
	slices.SortFunc(all, func(a, b lc) int {
		if a.n != b.n {
			return b.n - a.n
		}
		return strings.Compare(a.s, b.s)
	})
	h := &Histogram{}
	for _, e := range all[:min(topLevels, len(all))] {
		h.Labels = append(h.Labels, e.s)
		h.Counts = append(h.Counts, e.n)
	}
	col.Histogram = h
	return col
}

func (c *colStats) numericHist() *Histogram {
	if c.nonMiss == 0 {
		return nil
	}
	if c.min == c.max {
		return &Histogram{Edges: []float64{c.min, c.max}, Counts: []int{c.nonMiss}}
	}
	h := &Histogram{Edges: make([]float64, histBins+1), Counts: make([]int, histBins)}
	w := (c.max - c.min) / histBins
	for i := range h.Edges {
		h.Edges[i] = c.min + float64(i)*w
	}
	h.Edges[histBins] = c.max
	raw := make([]int, histBins)
	for _, v := range c.sample {
		raw[min(histBins-1, int((v-c.min)/w))]++
	}
	if len(c.sample) == c.nonMiss {
		h.Counts = raw
		return h
	}
	// Scale the sample's counts to the number of values, keeping the sum.
	total := 0
	scale := float64(c.nonMiss) / float64(len(c.sample))
	for i, n := range raw {
		h.Counts[i] = int(math.Round(float64(n) * scale))
		total += h.Counts[i]
	}
	h.Counts[slices.Index(raw, slices.Max(raw))] += c.nonMiss - total
	return h
}

// ColumnSummary summarises one column of a table, as Inspect reports it.
type ColumnSummary struct {
	Name      string     `json:"name"`
	Type      string     `json:"type"` // "numeric" or "categorical"
	Missing   int        `json:"missing"`
	Distinct  int        `json:"distinct"`
	Histogram *Histogram `json:"histogram,omitempty"`
}

// Histogram is a small per-column summary. For numeric columns Edges has
// len(Counts)+1 entries; for categorical ones Labels names the top levels.
type Histogram struct {
	Edges  []float64 `json:"edges,omitempty"`
	Labels []string  `json:"labels,omitempty"`
	Counts []int     `json:"counts"`
}
