package model

import (
	"fmt"

	"github.com/drover-ml/drover/internal/engine/gbm"
	"github.com/drover-ml/drover/internal/engine/glm"
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
