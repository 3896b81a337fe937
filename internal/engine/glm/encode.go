package glm

import (
	"math"
	"slices"

	"github.com/drover-ml/drover/internal/engine/targetenc"
)

// Encoding says how one input column becomes design-matrix columns.
//
// Numeric columns are standardised, (v-Mean)/Std; a missing value becomes 0
// (the mean) and, when the column had missing values in training, an extra
// 0/1 indicator column marks it. Categorical columns are one-hot coded over
// the kept Levels (at most Params.MaxLevels, each seen at least
// Params.MinLevelCount times, most frequent first); rare and unseen levels
// get all zeros (the reference "other"), and a missing value gets its own
// indicator when training had one.
type Encoding struct {
	Categorical bool    `json:"categorical"`
	Mean        float64 `json:"mean,omitempty"`
	Std         float64 `json:"std,omitempty"`
	Levels      []int   `json:"levels,omitempty"` // kept category codes
	Missing     bool    `json:"missing"`          // has a missing-indicator column
	// Target encoding (see targetEncode): sorted level codes, their
	// smoothed target means (len(TELevels) × outputs), the prior, and the
	// standardisation of each output's column.
	Target   bool      `json:"target_encoded,omitempty"`
	TELevels []int     `json:"te_levels,omitempty"`
	TEValues []float64 `json:"te_values,omitempty"`
	TEPrior  []float64 `json:"te_prior,omitempty"`
	TEMean   []float64 `json:"te_mean,omitempty"`
	TEStd    []float64 `json:"te_std,omitempty"`
}

// width is the number of design columns the encoding produces.
func (e *Encoding) width() int {
	if e.Target {
		return len(e.TEPrior)
	}
	w := 0
	if e.Categorical {
		w = len(e.Levels)
	} else if e.Std > 0 {
		w = 1
	}
	if e.Missing {
		w++
	}
	return w
}

// encode writes the design columns of value v into dst (len = width).
func (e *Encoding) encode(v float32, dst []float64) {
	if e.Target {
		e.encodeTarget(v, dst)
		return
	}
	clear(dst)
	missing := v != v
	if e.Missing && missing {
		dst[len(dst)-1] = 1
	}
	if missing {
		return
	}
	if e.Categorical {
		if i := slices.Index(e.Levels, int(v)); i >= 0 {
			dst[i] = 1
		}
		return
	}
	if e.Std > 0 {
		dst[0] = (float64(v) - e.Mean) / e.Std
	}
}

func fitEncoding(col []float32, categorical bool, p Params) Encoding {
	e := Encoding{Categorical: categorical}
	nMiss := 0
	if categorical {
		counts := map[int]int{}
		for _, v := range col {
			if v != v {
				nMiss++
				continue
			}
			counts[int(v)]++
		}
		for c, n := range counts {
			if n >= p.MinLevelCount {
				e.Levels = append(e.Levels, c)
			}
		}
		slices.SortFunc(e.Levels, func(a, b int) int {
			if counts[a] != counts[b] {
				return counts[b] - counts[a]
			}
			return a - b
		})
		// With every level kept, drop the least frequent one as the
		// reference so that the dummies are not collinear with the intercept.
		if len(e.Levels) == len(counts) && nMiss == 0 && len(e.Levels) > 0 {
			e.Levels = e.Levels[:len(e.Levels)-1]
		}
		if len(e.Levels) > p.MaxLevels {
			e.Levels = e.Levels[:p.MaxLevels]
		}
	} else {
		var sum, sq float64
		n := 0
		for _, v := range col {
			if v != v {
				nMiss++
				continue
			}
			sum += float64(v)
			n++
		}
		if n > 0 {
			e.Mean = sum / float64(n)
			for _, v := range col {
				if v == v {
					d := float64(v) - e.Mean
					sq += d * d
				}
			}
			e.Std = math.Sqrt(sq / float64(n))
		}
	}
	e.Missing = nMiss > 0 && nMiss < len(col)
	return e
}

// Target encoding of high-cardinality categoricals: a categorical with
// more than Params.MaxLevels levels becomes its out-of-fold smoothed
// target encoding (package targetenc: one column per output, no row's own
// label in its value), standardised like a numeric column. Prediction uses
// the means over all training rows; unseen and missing levels get the
// prior.

// targetEncode returns the encoding of col and the out-of-fold (not yet
// standardised) values of its rows (n × width, row-major).
func targetEncode(col []float32, y []float64, task string, k int) (Encoding, []float64) {
	classes := 0
	switch task {
	case Binary:
		classes = 2
	case Multiclass:
		classes = k
	}
	t, oof := targetenc.Fit(col, y, classes)
	w := len(t.Prior)
	return Encoding{Categorical: true, Target: true, TELevels: t.Levels, TEValues: t.Values, TEPrior: t.Prior,
		TEMean: make([]float64, w), TEStd: make([]float64, w)}, oof
}

// standardiseTE standardises each output's column of out-of-fold values
// (n × width, in place) and records the scaling in e.
func standardiseTE(e *Encoding, oof []float64) {
	w := len(e.TEPrior)
	n := len(oof) / max(w, 1)
	for o := range w {
		var s, sq float64
		for i := range n {
			s += oof[i*w+o]
		}
		mean := s / float64(max(n, 1))
		for i := range n {
			d := oof[i*w+o] - mean
			sq += d * d
		}
		std := math.Sqrt(sq / float64(max(n, 1)))
		if std == 0 {
			std = 1
		}
		e.TEMean[o], e.TEStd[o] = mean, std
		for i := range n {
			oof[i*w+o] = (oof[i*w+o] - mean) / std
		}
	}
}

// encodeTarget writes the standardised full-data target encoding of v.
func (e *Encoding) encodeTarget(v float32, dst []float64) {
	t := targetenc.Table{Levels: e.TELevels, Values: e.TEValues, Prior: e.TEPrior}
	vals := t.Lookup(v)
	for o := range vals {
		dst[o] = (vals[o] - e.TEMean[o]) / e.TEStd[o]
	}
}
