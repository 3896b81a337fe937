package glm

import (
	"math"
	"slices"
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
// more than Params.MaxLevels levels becomes, per output (the positive rate
// for binary targets, each class's rate for multiclass, the mean for
// regression), the level's smoothed target mean
//
//	(Σ y over the level's rows + teSmoothing × prior) / (rows + teSmoothing)
//
// standardised like a numeric column. Training rows get out-of-fold values:
// the rows are cut into teFolds folds (row i in fold i mod teFolds) and a
// row's value comes from the other folds' rows only, so no row's own label
// reaches its encoding. Prediction uses the means over all training rows;
// unseen and missing levels get the prior.
const (
	teSmoothing = 20
	teFolds     = 5
)

// targetEncode returns the encoding of col and the out-of-fold (not yet
// standardised) values of its rows (n × width, row-major).
func targetEncode(col []float32, y []float64, task string, k int) (Encoding, []float64) {
	w := 1
	if task == Multiclass {
		w = k
	}
	n := len(col)
	// target(i, o): the o-th target value of row i.
	target := func(i, o int) float64 {
		switch task {
		case Multiclass:
			if int(y[i]) == o {
				return 1
			}
			return 0
		}
		return y[i]
	}
	type acc struct {
		count [teFolds]float64
		sum   [teFolds][]float64
	}
	levels := map[int]*acc{}
	prior := make([]float64, w)
	foldN := make([]float64, teFolds)
	foldSum := make([][]float64, teFolds)
	for f := range foldSum {
		foldSum[f] = make([]float64, w)
	}
	for i, v := range col {
		f := i % teFolds
		foldN[f]++
		for o := range w {
			foldSum[f][o] += target(i, o)
		}
		if v != v {
			continue
		}
		a := levels[int(v)]
		if a == nil {
			a = &acc{}
			for f := range a.sum {
				a.sum[f] = make([]float64, w)
			}
			levels[int(v)] = a
		}
		a.count[f]++
		for o := range w {
			a.sum[f][o] += target(i, o)
		}
	}
	var total float64
	for f := range teFolds {
		total += foldN[f]
		for o := range w {
			prior[o] += foldSum[f][o]
		}
	}
	for o := range prior {
		prior[o] /= max(total, 1)
	}
	// Out-of-fold priors and values.
	oof := make([]float64, n*w)
	for i, v := range col {
		f := i % teFolds
		for o := range w {
			pn, ps := total-foldN[f], prior[o]*total-foldSum[f][o]
			p := ps / max(pn, 1)
			val := p
			if v == v {
				a := levels[int(v)]
				var cnt, sum float64
				for g := range teFolds {
					if g != f {
						cnt += a.count[g]
						sum += a.sum[g][o]
					}
				}
				val = (sum + teSmoothing*p) / (cnt + teSmoothing)
			}
			oof[i*w+o] = val
		}
	}
	e := Encoding{Categorical: true, Target: true, TEPrior: prior, TEMean: make([]float64, w), TEStd: make([]float64, w)}
	codes := make([]int, 0, len(levels))
	for c := range levels {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	e.TELevels = codes
	e.TEValues = make([]float64, len(codes)*w)
	for j, c := range codes {
		a := levels[c]
		var cnt float64
		for g := range teFolds {
			cnt += a.count[g]
		}
		for o := range w {
			var sum float64
			for g := range teFolds {
				sum += a.sum[g][o]
			}
			e.TEValues[j*w+o] = (sum + teSmoothing*prior[o]) / (cnt + teSmoothing)
		}
	}
	return e, oof
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
	w := len(e.TEPrior)
	vals := e.TEPrior
	if v == v {
		if j, ok := slices.BinarySearch(e.TELevels, int(v)); ok {
			vals = e.TEValues[j*w : (j+1)*w]
		}
	}
	for o := range w {
		dst[o] = (vals[o] - e.TEMean[o]) / e.TEStd[o]
	}
}
