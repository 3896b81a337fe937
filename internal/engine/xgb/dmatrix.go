package xgb

import (
	"fmt"
	"math"
	"runtime"
	"strings"
	"unsafe"
)

// Matrix is a column-major table of features, as in package gbm: Cols[j][i]
// is feature j of row i, NaN is missing, and a feature with Categorical[j]
// set holds non-negative integer category codes.
type Matrix struct {
	Cols        [][]float32
	Categorical []bool
	Rows        int
}

func (m *Matrix) check(name string, nf int) error {
	if m == nil || len(m.Cols) == 0 {
		return fmt.Errorf("xgb: %s matrix has no features", name)
	}
	if nf > 0 && len(m.Cols) != nf {
		return fmt.Errorf("xgb: %s matrix has %d features, want %d", name, len(m.Cols), nf)
	}
	for j, c := range m.Cols {
		if len(c) != m.Rows {
			return fmt.Errorf("xgb: %s matrix: feature %d has %d rows, want %d", name, j, len(c), m.Rows)
		}
	}
	if m.Categorical != nil && len(m.Categorical) != len(m.Cols) {
		return fmt.Errorf("xgb: %s matrix: %d categorical flags for %d features", name, len(m.Categorical), len(m.Cols))
	}
	return nil
}

// call turns a C API status into an error carrying XGBGetLastError.
func (l *lib) call(fn string, rc int32) error {
	if rc == 0 {
		return nil
	}
	msg := l.lastError()
	if i := strings.Index(msg, "\nStack trace"); i >= 0 {
		msg = msg[:i]
	}
	return fmt.Errorf("xgb: %s: %s", fn, strings.TrimSpace(msg))
}

// dmatrix copies m (row-major, NaN missing) into a new DMatrix. Categorical
// features are typed "c" so the trees split them by category sets. labels
// may be nil.
func (l *lib) dmatrix(m *Matrix, labels []float32) (uintptr, error) {
	nf := len(m.Cols)
	buf := make([]float32, max(1, m.Rows*nf))
	for j, c := range m.Cols {
		for i, v := range c {
			buf[i*nf+j] = v
		}
	}
	var h uintptr
	if err := l.call("XGDMatrixCreateFromMat", l.dmatrixCreateFromMat(unsafe.Pointer(&buf[0]), uint64(m.Rows), uint64(nf), float32(math.NaN()), &h)); err != nil {
		return 0, err
	}
	runtime.KeepAlive(buf)
	if labels != nil {
		err := l.call("XGDMatrixSetFloatInfo", l.dmatrixSetFloatInfo(h, "label", unsafe.Pointer(&labels[0]), uint64(len(labels))))
		runtime.KeepAlive(labels)
		if err != nil {
			l.dmatrixFree(h)
			return 0, err
		}
	}
	if err := l.setFeatureTypes(h, m.Categorical, nf); err != nil {
		l.dmatrixFree(h)
		return 0, err
	}
	return h, nil
}

// setFeatureTypes marks categorical features ("c"); the others are "q".
func (l *lib) setFeatureTypes(h uintptr, categorical []bool, nf int) error {
	anyCat := false
	for _, c := range categorical {
		anyCat = anyCat || c
	}
	if !anyCat {
		return nil
	}
	q, c := []byte("q\x00"), []byte("c\x00")
	types := make([]*byte, nf)
	for j := range types {
		types[j] = &q[0]
		if categorical[j] {
			types[j] = &c[0]
		}
	}
	err := l.call("XGDMatrixSetStrFeatureInfo", l.dmatrixSetStrInfo(h, "feature_type", unsafe.Pointer(&types[0]), uint64(nf)))
	runtime.KeepAlive(q)
	runtime.KeepAlive(c)
	runtime.KeepAlive(types)
	return err
}
