package model

import (
	"fmt"

	"github.com/drover-ml/drover/internal/engine/gbm"
	"github.com/drover-ml/drover/internal/engine/glm"
	"github.com/drover-ml/drover/internal/engine/targetenc"
	"github.com/drover-ml/drover/internal/engine/xgb"
)

// Member kinds.
const (
	KindGLM = "glm"
	KindGBM = "gbm"
	KindXGB = "xgboost" // needs libxgboost at run time (package xgb)
)

// Member is one fitted model of an artifact; an artifact averages its
// members' outputs with their weights.
type Member struct {
	Kind   string            `json:"kind"`
	Weight float64           `json:"weight"`
	Params map[string]string `json:"params,omitempty"`
	GLM    *glm.Model        `json:"glm,omitempty"`
	GBM    *gbm.Model        `json:"gbm,omitempty"`
	XGB    *xgb.Model        `json:"xgboost,omitempty"`
	// Encoded (tree members only) are target encodings of high-cardinality
	// categoricals, appended in order after the artifact's features as
	// numeric inputs of the trees: each adds len(Prior) columns. The
	// categorical stays an input of its own.
	Encoded []Encoded `json:"target_encoded,omitempty"`
}

// Encoded is one target-encoded input: the encoding of feature Feature.
type Encoded struct {
	Feature int `json:"feature"`
	targetenc.Table
}

// encodedWidth is the number of columns m.Encoded appends.
func (m *Member) encodedWidth() int {
	w := 0
	for i := range m.Encoded {
		w += len(m.Encoded[i].Prior)
	}
	return w
}

// inputs appends the target-encoded columns to the artifact's features
// (cols as is when there are none). Each encoding must have the width of
// the task's target (targetenc.Width).
func (m *Member) inputs(cols [][]float32, categorical []bool, n int, task string, numClass int) ([][]float32, []bool, error) {
	if len(m.Encoded) == 0 {
		return cols, categorical, nil
	}
	if m.Kind == KindGLM {
		return nil, nil, fmt.Errorf("model: glm member with target-encoded inputs")
	}
	outCols := append(make([][]float32, 0, len(cols)+m.encodedWidth()), cols...)
	outCat := append(make([]bool, 0, cap(outCols)), categorical...)
	for i := range m.Encoded {
		e := &m.Encoded[i]
		if e.Feature < 0 || e.Feature >= len(cols) || !categorical[e.Feature] {
			return nil, nil, fmt.Errorf("model: target encoding of feature %d, which is not a categorical input", e.Feature)
		}
		if err := e.Check(); err != nil {
			return nil, nil, fmt.Errorf("model: feature %d: %w", e.Feature, err)
		}
		if w := targetenc.Width(Outputs(task, numClass)); len(e.Prior) != w {
			return nil, nil, fmt.Errorf("model: feature %d: target encoding of width %d, the %s target needs %d", e.Feature, len(e.Prior), task, w)
		}
		w := len(e.Prior)
		enc := make([]float32, n*w)
		for r, v := range cols[e.Feature][:n] {
			for o, x := range e.Lookup(v) {
				enc[o*n+r] = float32(x)
			}
		}
		for o := range w {
			outCols = append(outCols, enc[o*n:(o+1)*n])
			outCat = append(outCat, false)
		}
	}
	return outCols, outCat, nil
}

// foldEncoded folds per-input values (importance, contributions) over the
// member's inputs, in groups of width values (the inputs, then extra
// trailing values such as the bias), onto the artifact's nf features: an
// encoded column's value goes to its source feature.
func (m *Member) foldEncoded(in []float64, nf, width int) []float64 {
	inW := width + m.encodedWidth()
	groups := len(in) / inW
	out := make([]float64, groups*width)
	for g := range groups {
		src, dst := in[g*inW:(g+1)*inW], out[g*width:(g+1)*width]
		copy(dst[:nf], src[:nf])
		at := nf
		for i := range m.Encoded {
			for range m.Encoded[i].Prior {
				dst[m.Encoded[i].Feature] += src[at]
				at++
			}
		}
		copy(dst[nf:], src[at:])
	}
	return out
}

// Importance is the member's feature importance over the artifact's nf
// features (nil when it has none): gain for trees, with an encoded
// column's share going to its source feature; |coefficient|-based for a
// GLM.
func (m *Member) Importance(nf int) []float64 {
	var imp []float64
	switch {
	case m.GBM != nil:
		imp = m.GBM.FeatureImportance()
	case m.GLM != nil:
		imp = m.GLM.Importance()
	case m.XGB != nil:
		imp = m.XGB.FeatureImportance()
	}
	if len(m.Encoded) > 0 && len(imp) == nf+m.encodedWidth() {
		imp = m.foldEncoded(imp, nf, nf)
	}
	if len(imp) != nf {
		return nil
	}
	return imp
}

// Outputs is the width of a prediction row: the number of classes for
// classification (binary counts 2), 1 for regression.
func Outputs(task string, numClass int) int {
	if task == "regression" {
		return 1
	}
	return numClass
}

// Predict returns the member's predictions for n rows in the engine's
// layout: k probabilities per row for classification (binary: P(class 0),
// P(class 1)), one value per row for regression.
func (m *Member) Predict(cols [][]float32, categorical []bool, n int, task string, numClass int) ([]float64, error) {
	k := Outputs(task, numClass)
	raw := make([]float64, n*max(1, k-btoi(task == "binary")))
	cols, categorical, err := m.inputs(cols, categorical, n, task, numClass)
	if err != nil {
		return nil, err
	}
	switch m.Kind {
	case KindGLM:
		if m.GLM == nil {
			return nil, fmt.Errorf("model: glm member without a model")
		}
		m.GLM.Predict(cols, n, raw)
	case KindGBM:
		if m.GBM == nil {
			return nil, fmt.Errorf("model: gbm member without a model")
		}
		m.GBM.Predict(&gbm.Matrix{Cols: cols, Categorical: categorical, Rows: n}, raw)
	case KindXGB:
		if m.XGB == nil {
			return nil, fmt.Errorf("model: xgboost member without a model")
		}
		if err := m.XGB.Predict(&xgb.Matrix{Cols: cols, Categorical: categorical, Rows: n}, raw, 0); err != nil {
			return nil, fmt.Errorf("model: %w", err)
		}
	default:
		return nil, fmt.Errorf("model: unknown member kind %q", m.Kind)
	}
	if task != "binary" {
		return raw, nil
	}
	out := make([]float64, 2*n)
	for i, p := range raw {
		out[2*i], out[2*i+1] = 1-p, p
	}
	return out, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Blend averages member predictions with their weights (normalised).
func Blend(members []Member, cols [][]float32, categorical []bool, n int, task string, numClass int) ([]float64, error) {
	var out []float64
	var wsum float64
	for i := range members {
		wsum += members[i].Weight
	}
	for i := range members {
		p, err := members[i].Predict(cols, categorical, n, task, numClass)
		if err != nil {
			return nil, err
		}
		if len(members) == 1 {
			return p, nil
		}
		w := members[i].Weight / wsum
		if out == nil {
			out = make([]float64, len(p))
		}
		for j, v := range p {
			out[j] += w * v
		}
	}
	return out, nil
}
