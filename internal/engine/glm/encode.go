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
}

// width is the number of design columns the encoding produces.
func (e *Encoding) width() int {
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
