package xgb

import (
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"unsafe"
)

// Model is a trained booster. It serialises with encoding/json: Booster is
// XGBoost's own JSON model (base64 in the JSON), so an artifact needs
// nothing else. Predictions always come from a booster loaded from those
// bytes, so a model read back predicts exactly as the one trained.
type Model struct {
	Objective   string `json:"objective"`
	NumClass    int    `json:"num_class,omitempty"` // multiclass only
	NumFeatures int    `json:"num_features"`
	Categorical []bool `json:"categorical,omitempty"`
	Rounds      int    `json:"rounds"`
	BestRound   int    `json:"best_round,omitempty"`
	// BestValidLoss is the validation loss of BestRound.
	BestValidLoss float64 `json:"best_valid_loss,omitempty"`
	// Importance is the total gain of the splits on each feature.
	Importance []float64 `json:"importance,omitempty"`
	Booster    []byte    `json:"booster"`

	mu     sync.Mutex
	handle uintptr
	err    error
	loaded bool
}

// Outputs is the number of values predicted per row: NumClass for
// multiclass, 1 otherwise.
func (m *Model) Outputs() int {
	if m.Objective == ObjectiveMulticlass {
		return m.NumClass
	}
	return 1
}

// FeatureImportance is the total gain of the splits on each feature.
func (m *Model) FeatureImportance() []float64 { return m.Importance }

// booster loads the booster from m.Booster once; the caller holds m.mu.
// The handle is freed when m is garbage collected.
func (m *Model) booster(l *lib) (uintptr, error) {
	if m.loaded {
		return m.handle, m.err
	}
	m.loaded = true
	var b uintptr
	if m.err = l.call("XGBoosterCreate", l.boosterCreate(nil, 0, &b)); m.err != nil {
		return 0, m.err
	}
	if len(m.Booster) == 0 {
		l.boosterFree(b)
		m.err = fmt.Errorf("xgb: model has no booster")
		return 0, m.err
	}
	if m.err = l.call("XGBoosterLoadModelFromBuffer", l.boosterLoadFromBuf(b, unsafe.Pointer(&m.Booster[0]), uint64(len(m.Booster)))); m.err != nil {
		l.boosterFree(b)
		return 0, m.err
	}
	runtime.AddCleanup(m, func(h uintptr) { l.boosterFree(h) }, b)
	m.handle = b
	return b, nil
}

// Predict writes Outputs() values per row of x into out (row-major):
// P(y = 1) for binary, class probabilities for multiclass, the prediction
// for regression. threads > 0 bounds XGBoost's threads.
func (m *Model) Predict(x *Matrix, out []float64, threads int) error {
	return m.predictInto(x, out, x.Rows*m.Outputs(), 0, threads)
}

// Contributions writes XGBoost's exact TreeSHAP contributions (its
// pred_contribs) of every row of x to the raw score (log-odds for binary,
// one margin per class for multiclass, the value for regression): row i,
// output k, feature j at (i*Outputs()+k)*(NumFeatures+1)+j, the bias last.
// A row's contributions and bias add up to its margin.
func (m *Model) Contributions(x *Matrix, out []float64, threads int) error {
	return m.predictInto(x, out, x.Rows*m.Outputs()*(m.NumFeatures+1), predictContribs, threads)
}

// Margin writes the raw scores of the rows of x (Outputs() per row,
// row-major): what Contributions explains.
func (m *Model) Margin(x *Matrix, out []float64, threads int) error {
	return m.predictInto(x, out, x.Rows*m.Outputs(), predictMargin, threads)
}

// predictInto runs XGBoosterPredict with option mask on the rows of x and
// writes its want values into out. threads > 0 bounds XGBoost's threads.
func (m *Model) predictInto(x *Matrix, out []float64, want int, mask int32, threads int) error {
	l, err := load()
	if err != nil {
		return err
	}
	if err := x.check("prediction", m.NumFeatures); err != nil {
		return err
	}
	if len(out) != want {
		return fmt.Errorf("xgb: output has %d values, want %d", len(out), want)
	}
	if x.Rows == 0 {
		return nil
	}
	// XGBGetLastError and the buffers the C API returns are per OS thread.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cat := x.Categorical
	if cat == nil {
		cat = m.Categorical
	}
	d, err := l.dmatrix(&Matrix{Cols: x.Cols, Categorical: cat, Rows: x.Rows}, nil)
	if err != nil {
		return err
	}
	defer l.dmatrixFree(d)
	m.mu.Lock()
	defer m.mu.Unlock()
	b, err := m.booster(l)
	if err != nil {
		return err
	}
	if threads > 0 {
		if err := l.call("XGBoosterSetParam nthread", l.boosterSetParam(b, "nthread", strconv.Itoa(threads))); err != nil {
			return err
		}
	}
	p, err := l.predictMask(b, d, mask, want)
	if err != nil {
		return err
	}
	for i, v := range p {
		out[i] = float64(v)
	}
	return nil
}
