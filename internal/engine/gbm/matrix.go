package gbm

import (
	"fmt"
	"math"
)

// Matrix is a column-major table of features. Cols[j][i] is feature j of row
// i; NaN marks a missing value. A feature with Categorical[j] set holds
// non-negative integer category codes. Categorical may be nil (all numeric).
type Matrix struct {
	Cols        [][]float32
	Categorical []bool
	Rows        int
}

// NumFeatures returns len(m.Cols).
func (m *Matrix) NumFeatures() int { return len(m.Cols) }

func (m *Matrix) isCategorical(j int) bool {
	return j < len(m.Categorical) && m.Categorical[j]
}

// check verifies the shape of m.
func (m *Matrix) check(name string) error {
	if m == nil {
		return fmt.Errorf("gbm: %s matrix is nil", name)
	}
	if len(m.Cols) == 0 {
		return fmt.Errorf("gbm: %s matrix has no features", name)
	}
	if m.Categorical != nil && len(m.Categorical) != len(m.Cols) {
		return fmt.Errorf("gbm: %s matrix: %d categorical flags for %d features", name, len(m.Categorical), len(m.Cols))
	}
	for j, c := range m.Cols {
		if len(c) != m.Rows {
			return fmt.Errorf("gbm: %s matrix: feature %d has %d values, want %d rows", name, j, len(c), m.Rows)
		}
	}
	return nil
}

// categoryCode converts a categorical value to its code; ok is false for
// missing, negative or non-integer values.
func categoryCode(v float32) (code int, ok bool) {
	if !(v >= 0) || v > maxCategoryCode || v != float32(math.Floor(float64(v))) {
		return 0, false
	}
	return int(v), true
}

// maxCategoryCode bounds category codes so that a dense code→bin table stays
// small; larger codes are treated as missing.
const maxCategoryCode = 1 << 24
