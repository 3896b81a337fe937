package model

import (
	"fmt"

	"github.com/drover-ml/drover/internal/engine/frame"
	"github.com/drover-ml/drover/internal/engine/gbm"
	"github.com/drover-ml/drover/internal/engine/xgb"
)

// RawOutputs is the number of raw scores explained per row: one per class
// for multiclass, one otherwise (the log-odds of the last class for
// binary, the value for regression).
func RawOutputs(task string, numClass int) int {
	if task == "multiclass" {
		return numClass
	}
	return 1
}

// Contributions returns the member's contributions to its raw score for n
// rows: row i, output k, feature j at (i*K+k)*(F+1)+j (K = RawOutputs,
// F = len(cols)), the bias last. A target-encoded input's contribution is
// added to its source feature's. Trees (gbm, xgboost) give exact TreeSHAP
// values; a GLM gives coefficient × encoded value. Contributions and bias
// of a row add up to the member's raw score.
func (m *Member) Contributions(cols [][]float32, categorical []bool, n int, task string, numClass int) ([]float64, error) {
	nf := len(cols)
	cols, categorical, err := m.inputs(cols, categorical, n, task, numClass)
	if err != nil {
		return nil, err
	}
	out := make([]float64, n*RawOutputs(task, numClass)*(len(cols)+1))
	switch m.Kind {
	case KindGLM:
		if m.GLM == nil {
			return nil, fmt.Errorf("model: glm member without a model")
		}
		m.GLM.Contributions(cols, n, out)
	case KindGBM:
		if m.GBM == nil {
			return nil, fmt.Errorf("model: gbm member without a model")
		}
		m.GBM.Contributions(&gbm.Matrix{Cols: cols, Categorical: categorical, Rows: n}, out, 0)
	case KindXGB:
		if m.XGB == nil {
			return nil, fmt.Errorf("model: xgboost member without a model")
		}
		if err := m.XGB.Contributions(&xgb.Matrix{Cols: cols, Categorical: categorical, Rows: n}, out, 0); err != nil {
			return nil, fmt.Errorf("model: %w", err)
		}
	default:
		return nil, fmt.Errorf("model: unknown member kind %q", m.Kind)
	}
	if len(cols) > nf {
		// An encoded column's contribution is its source feature's.
		out = m.foldEncoded(out, nf, nf+1)
	}
	return out, nil
}

// BlendContributions averages the members' contributions with their
// (normalised) weights, as Blend averages their predictions. For an
// ensemble they add up to the weighted mean of the members' raw scores,
// which for classification is not exactly the link of the blended
// probabilities.
func BlendContributions(members []Member, cols [][]float32, categorical []bool, n int, task string, numClass int) ([]float64, error) {
	var out []float64
	var wsum float64
	for i := range members {
		wsum += members[i].Weight
	}
	for i := range members {
		c, err := members[i].Contributions(cols, categorical, n, task, numClass)
		if err != nil {
			return nil, err
		}
		if len(members) == 1 {
			return c, nil
		}
		w := members[i].Weight / wsum
		if out == nil {
			out = make([]float64, len(c))
		}
		for j, v := range c {
			out[j] += w * v
		}
	}
	return out, nil
}

// Explain returns the contributions of every row of f (layout as
// Member.Contributions, over the model's features).
func (m *Model) Explain(f *frame.Frame) ([]float64, error) {
	cols, cat, err := m.Inputs(f)
	if err != nil {
		return nil, err
	}
	return BlendContributions(m.Members, cols, cat, f.Rows, m.Task, m.NumClass())
}

// ContribHeader names the contribution columns: contrib.<feature> per
// feature and contrib.bias, or contrib.<class>.<feature> and
// contrib.<class>.bias per class for multiclass.
func (m *Model) ContribHeader() []string {
	var h []string
	prefixes := []string{"contrib."}
	if m.Task == "multiclass" {
		prefixes = prefixes[:0]
		for _, l := range m.TargetLevels {
			prefixes = append(prefixes, "contrib."+l+".")
		}
	}
	for _, p := range prefixes {
		for _, f := range m.Features {
			h = append(h, p+f.Name)
		}
		h = append(h, p+"bias")
	}
	return h
}
