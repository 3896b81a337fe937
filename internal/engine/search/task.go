package search

import (
	"math"
	"slices"
	"strconv"

	"github.com/drover-ml/drover/internal/engine/frame"
	"github.com/drover-ml/drover/internal/engine/metric"
)

// MaxIntegerClasses is the most distinct integer values a numeric target
// may have and still be taken as classes by task auto-detection.
const MaxIntegerClasses = 10

// minRowsPerClass is how many rows per distinct value a numeric target
// needs, on average, to be taken as classes.
const minRowsPerClass = 10

// DetectTask picks the task for a target column: categorical with two
// levels, or numeric with exactly two distinct values, is binary;
// categorical with more levels, or numeric with 3..MaxIntegerClasses
// distinct integer values and at least 10 rows per value, is multiclass; any other numeric target is
// regression. Missing values are ignored.
func DetectTask(c *frame.Column) string {
	if c.Kind == frame.Categorical {
		if len(usedLevels(c)) <= 2 {
			return metric.Binary
		}
		return metric.Multiclass
	}
	distinct := map[float32]bool{}
	integer := true
	n := 0
	for _, v := range c.Values {
		if v != v {
			continue
		}
		n++
		if v != float32(math.Trunc(float64(v))) {
			integer = false
		}
		if len(distinct) <= MaxIntegerClasses {
			distinct[v] = true
		}
	}
	switch {
	case len(distinct) == 2:
		return metric.Binary
	case integer && len(distinct) >= 3 && len(distinct) <= MaxIntegerClasses && n >= minRowsPerClass*len(distinct):
		return metric.Multiclass
	}
	return metric.Regression
}

func usedLevels(c *frame.Column) []int {
	seen := make([]bool, len(c.Levels))
	for _, v := range c.Values {
		if v == v {
			seen[int(v)] = true
		}
	}
	var out []int
	for i, s := range seen {
		if s {
			out = append(out, i)
		}
	}
	return out
}

// ClassTarget turns a target column into class indices and level names
// for classification. Rows with a missing target get -1. Levels are
// sorted (numerically for numeric targets), so the positive class of a
// binary task is the last: "yes" over "no", 1 over 0.
func ClassTarget(c *frame.Column) (y []float64, levels []string) {
	y = make([]float64, len(c.Values))
	if c.Kind == frame.Categorical {
		used := usedLevels(c)
		remap := make([]float64, len(c.Levels))
		for i, code := range used {
			remap[code] = float64(i)
			levels = append(levels, c.Levels[code])
		}
		for i, v := range c.Values {
			y[i] = -1
			if v == v {
				y[i] = remap[int(v)]
			}
		}
		return y, levels
	}
	var vals []float32
	for _, v := range c.Values {
		if v == v && !slices.Contains(vals, v) {
			vals = append(vals, v)
			if len(vals) > 1000 {
				break
			}
		}
	}
	slices.Sort(vals)
	for _, v := range vals {
		levels = append(levels, strconv.FormatFloat(float64(v), 'g', -1, 32))
	}
	for i, v := range c.Values {
		y[i] = -1
		if v == v {
			j, _ := slices.BinarySearch(vals, v)
			y[i] = float64(j)
		}
	}
	return y, levels
}
