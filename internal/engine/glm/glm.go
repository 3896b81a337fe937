// Package glm fits regularised generalised linear models (elastic net):
// logistic regression for binary targets, softmax for multiclass ones and
// least squares for regression. Softmax and weighted fits use OWL-QN
// (qn.go), the others coordinate descent inside IRLS (fit.go).
//
// The objective is mean loss + Lambda*((1-Alpha)/2*||b||² + Alpha*||b||₁)
// over the encoded, standardised features (see Encoding); intercepts are not
// penalised. For regression the target is standardised too, so Lambda means
// the same on every scale. Fitting is deterministic: no randomness, fixed
// iteration order.
package glm

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/drover-ml/drover/internal/engine/targetenc"
)

// Tasks.
const (
	Binary     = "binary"
	Multiclass = "multiclass"
	Regression = "regression"
)

// Params tune a fit.
type Params struct {
	Lambda        float64 // penalty strength
	Alpha         float64 // 0 = ridge, 1 = lasso
	MaxIter       int     // outer (IRLS) iterations
	Tol           float64 // convergence tolerance
	MaxLevels     int     // one-hot columns per categorical at most
	MinLevelCount int     // rarer levels fold into "other"
	// ClassWeight "balanced" weights each row by n/(classes × its class's
	// rows) (classification); "" or "none" weights every row 1.
	ClassWeight string
	// Solver: "" chooses (OWL-QN for softmax and weighted fits, IRLS with
	// coordinate descent otherwise); "cd" or "qn" force one (weighted fits
	// always use qn).
	Solver  string
	Threads int // goroutines for quasi-Newton gradients; 0 = GOMAXPROCS
}

// DefaultParams returns a light elastic net.
func DefaultParams() Params {
	return Params{Lambda: 1e-3, Alpha: 0.5, MaxIter: 25, Tol: 1e-7, MaxLevels: 100, MinLevelCount: 5}
}

// ParseParams applies string parameters: lambda, alpha, max_iter,
// max_levels, min_level_count, class_weight, solver.
func ParseParams(p Params, kv map[string]string) (Params, error) {
	for k, v := range kv {
		var err error
		switch k {
		case "lambda", "reg_lambda":
			p.Lambda, err = strconv.ParseFloat(v, 64)
			if err == nil && (p.Lambda < 0 || math.IsNaN(p.Lambda)) {
				err = errors.New("must be >= 0")
			}
		case "alpha":
			p.Alpha, err = strconv.ParseFloat(v, 64)
			if err == nil && !(p.Alpha >= 0 && p.Alpha <= 1) {
				err = errors.New("must be in [0, 1]")
			}
		case "max_iter":
			p.MaxIter, err = strconv.Atoi(v)
			if err == nil && p.MaxIter < 1 {
				err = errors.New("must be >= 1")
			}
		case "max_levels":
			p.MaxLevels, err = strconv.Atoi(v)
			if err == nil && p.MaxLevels < 1 {
				err = errors.New("must be >= 1")
			}
		case "min_level_count":
			p.MinLevelCount, err = strconv.Atoi(v)
		case "class_weight":
			p.ClassWeight = v
			if v != "balanced" && v != "none" && v != "" {
				err = errors.New(`must be "balanced" or "none"`)
			}
		case "solver":
			p.Solver = v
			if v != "cd" && v != "qn" && v != "" {
				err = errors.New(`must be "cd" or "qn"`)
			}
		default:
			return p, fmt.Errorf("unknown glm parameter %q (known: lambda, alpha, max_iter, max_levels, min_level_count, class_weight, solver)", k)
		}
		if err != nil {
			return p, fmt.Errorf("glm parameter %s=%q: %v", k, v, err)
		}
	}
	return p, nil
}

// Model is a fitted GLM. It is JSON-serialisable and predicts identically
// after a round trip.
type Model struct {
	Task      string      `json:"task"`
	NumClass  int         `json:"num_class"` // classes; 1 for regression
	Encodings []Encoding  `json:"encodings"`
	Intercept []float64   `json:"intercept"` // one per output
	Coef      [][]float64 `json:"coef"`      // [output][design column]
	YMean     float64     `json:"y_mean,omitempty"`
	YScale    float64     `json:"y_scale,omitempty"`
}

// outputs is the number of linear predictors.
func (m *Model) outputs() int {
	if m.Task == Multiclass {
		return m.NumClass
	}
	return 1
}

// Fit trains a model. cols are the input columns (NaN = missing,
// categoricals as integer codes), y holds class indices or values. When
// ctx ends during the fit, Fit returns ctx's error together with the model
// as fitted so far (not converged), which a caller short of time may use.
func Fit(ctx context.Context, cols [][]float32, categorical []bool, y []float64, task string, numClass int, p Params) (*Model, error) {
	return FitFrom(ctx, cols, categorical, y, task, numClass, p, nil)
}

// FitFrom is Fit warm-started from init, a model fitted on the same rows
// (same encodings) with other penalties, as along a regularisation path.
// init may be nil; a model of another shape is ignored.
func FitFrom(ctx context.Context, cols [][]float32, categorical []bool, y []float64, task string, numClass int, p Params, init *Model) (*Model, error) {
	if len(cols) != len(categorical) {
		return nil, errors.New("glm: cols and categorical differ in length")
	}
	n := len(y)
	m := &Model{Task: task, NumClass: numClass}
	if task == Regression {
		m.NumClass = 1
	}
	width := 0
	oof := make(map[int][]float64) // target-encoded columns: out-of-fold design values
	for j, c := range cols {
		if len(c) != n {
			return nil, fmt.Errorf("glm: column %d has %d rows, want %d", j, len(c), n)
		}
		var e Encoding
		if categorical[j] && targetenc.HighCardinality(c, p.MaxLevels) {
			e, oof[j] = targetEncode(c, y, task, m.NumClass)
			standardiseTE(&e, oof[j])
		} else {
			e = fitEncoding(c, categorical[j], p)
		}
		m.Encodings = append(m.Encodings, e)
		width += e.width()
	}
	x := m.design(cols, n, width)
	at := 0
	for j, e := range m.Encodings {
		w := e.width()
		if v, ok := oof[j]; ok {
			for i := range n {
				for o := range w {
					x[at+o][i] = v[i*w+o]
				}
			}
		}
		at += w
	}
	f := &fitter{x: x, n: n, p: p, ctx: ctx}
	var err error
	var sw []float64
	if p.ClassWeight == "balanced" && task != Regression {
		sw = balancedWeights(y, m.NumClass)
	}
	if init != nil && !sameEncodings(init.Encodings, m.Encodings) {
		init = nil
	}
	switch task {
	case Regression:
		err = f.linear(m, y)
	case Binary:
		if sw != nil || p.Solver == "qn" {
			err = f.qnFit(m, y, Binary, 1, sw, init)
		} else {
			err = f.logistic(m, y)
		}
	case Multiclass:
		if p.Solver == "cd" {
			err = f.softmax(m, y)
		} else {
			err = f.qnFit(m, y, Multiclass, numClass, sw, init)
		}
	default:
		return nil, fmt.Errorf("glm: unknown task %q", task)
	}
	if err != nil {
		if m.Coef != nil && ctx.Err() != nil {
			return m, err // the coefficients so far, for callers that can use them
		}
		return nil, err
	}
	return m, nil
}

// balancedWeights weights each row by n / (classes × rows of its class).
func balancedWeights(y []float64, k int) []float64 {
	counts := make([]float64, k)
	for _, v := range y {
		counts[int(v)]++
	}
	used := 0
	for _, c := range counts {
		if c > 0 {
			used++
		}
	}
	sw := make([]float64, len(y))
	for i, v := range y {
		sw[i] = float64(len(y)) / (float64(used) * counts[int(v)])
	}
	return sw
}

func sameEncodings(a, b []Encoding) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].width() != b[i].width() {
			return false
		}
	}
	return true
}

// design builds the column-major design matrix.
func (m *Model) design(cols [][]float32, n, width int) [][]float64 {
	x := make([][]float64, width)
	for i := range x {
		x[i] = make([]float64, n)
	}
	buf := make([]float64, 0, 128)
	at := 0
	for j, e := range m.Encodings {
		w := e.width()
		buf = slices0(buf, w)
		for i, v := range cols[j] {
			e.encode(v, buf)
			for k := range w {
				x[at+k][i] = buf[k]
			}
		}
		at += w
	}
	return x
}

func slices0(b []float64, n int) []float64 {
	if cap(b) < n {
		return make([]float64, n)
	}
	return b[:n]
}

// Predict writes predictions for n rows into out: values for regression,
// P(class 1) for binary (len n), class probabilities row-major for
// multiclass (len n*NumClass).
func (m *Model) Predict(cols [][]float32, n int, out []float64) {
	k := m.outputs()
	eta := make([]float64, k)
	var buf []float64
	for i := range n {
		for o := range k {
			eta[o] = m.Intercept[o]
		}
		at := 0
		for j := range m.Encodings {
			e := &m.Encodings[j]
			w := e.width()
			buf = slices0(buf, w)
			e.encode(cols[j][i], buf)
			for t := range w {
				if v := buf[t]; v != 0 {
					for o := range k {
						eta[o] += m.Coef[o][at+t] * v
					}
				}
			}
			at += w
		}
		switch m.Task {
		case Regression:
			out[i] = m.YMean + m.YScale*eta[0]
		case Binary:
			out[i] = sigmoid(eta[0])
		default:
			softmax(eta, out[i*k:(i+1)*k])
		}
	}
}

// Importance returns, per input column, the sum of absolute standardised
// coefficients over its design columns and outputs.
func (m *Model) Importance() []float64 {
	out := make([]float64, len(m.Encodings))
	at := 0
	for j, e := range m.Encodings {
		w := e.width()
		for o := range m.Coef {
			for t := range w {
				out[j] += math.Abs(m.Coef[o][at+t])
			}
		}
		at += w
	}
	return out
}

func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

func softmax(eta, out []float64) {
	mx := eta[0]
	for _, v := range eta[1:] {
		mx = max(mx, v)
	}
	var s float64
	for o, v := range eta {
		out[o] = math.Exp(v - mx)
		s += out[o]
	}
	for o := range out {
		out[o] /= s
	}
}
