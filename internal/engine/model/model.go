// Package model is drover's model artifact: a directory holding model.json,
// everything needed to turn a new table into predictions.
//
// model.json (format version 1, or 2 with target-encoded tree inputs)
// records the task, the target and its class levels, the input features
// (name, type, the source column of date parts, the levels of
// categoricals) and the fitted members with their weights.
// Categorical values are matched by their text: a level never seen in
// training becomes an "unseen" code that every member treats like a
// missing or reference value. Prediction matches columns by name, ignores
// the target and any extra column, and fails with code "missing_columns"
// when a feature's column is absent.
package model

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/drover-ml/drover/internal/engine/frame"
	"github.com/drover-ml/drover/internal/engine/metric"
	"github.com/drover-ml/drover/internal/engine/usererr"
)

// FormatVersion is the newest version of model.json this package writes
// and Load accepts. Save writes the oldest version that describes the
// model: 1, or 2 when a tree member has target-encoded inputs (which a
// build that reads up to 1 would not apply), so that older builds refuse
// such a model with a clear error instead of mispredicting.
const FormatVersion = 2

// FileName is the artifact's file inside its directory.
const FileName = "model.json"

// Feature is one model input.
type Feature struct {
	Name   string   `json:"name"`
	Type   string   `json:"type"`             // "numeric" or "categorical"
	Source string   `json:"source,omitempty"` // date parts: the date column they come from
	Levels []string `json:"levels,omitempty"` // categorical: level of each code
}

// Model is the artifact.
type Model struct {
	FormatVersion int       `json:"format_version"`
	Task          string    `json:"task"`
	Target        string    `json:"target"`
	TargetLevels  []string  `json:"target_levels,omitempty"`
	Scorer        string    `json:"scorer,omitempty"`
	Features      []Feature `json:"features"`
	Members       []Member  `json:"members"`
	// Threshold (binary) is the P(positive) at or above which the label is
	// the positive class; 0 means the most probable class (0.5).
	Threshold float64 `json:"threshold,omitempty"`
}

// Label is the predicted class of row i of p (k probabilities per row).
func (m *Model) Label(p []float64, k, i int) int {
	if m.Threshold > 0 && k == 2 {
		if p[i*2+1] >= m.Threshold {
			return 1
		}
		return 0
	}
	return metric.ArgMax(p, k, i)
}

// NumClass is the number of target classes (1 for regression).
func (m *Model) NumClass() int {
	if m.Task == "regression" {
		return 1
	}
	return len(m.TargetLevels)
}

// Save writes dir/model.json, creating dir.
func (m *Model) Save(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("model: %w", err)
	}
	m.FormatVersion = 1
	for i := range m.Members {
		if len(m.Members[i].Encoded) > 0 {
			m.FormatVersion = 2
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("model: encode: %w", err)
	}
	tmp := filepath.Join(dir, FileName+".tmp")
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("model: %w", err)
	}
	return os.Rename(tmp, filepath.Join(dir, FileName))
}

// Load reads an artifact written by Save.
func Load(dir string) (*Model, error) {
	b, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	var m Model
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, usererr.New(usererr.BadModel, "model: %s is not a drover model: %v", FileName, err)
	}
	if m.FormatVersion < 1 || m.FormatVersion > FormatVersion {
		return nil, usererr.New(usererr.BadModel, "model: format version %d is not supported (this build reads up to %d)", m.FormatVersion, FormatVersion)
	}
	if len(m.Members) == 0 {
		return nil, usererr.New(usererr.BadModel, "model: no fitted members")
	}
	return &m, nil
}

// ReadOptions returns the frame options that read a table with the
// artifact's column types, keeping only the columns the model uses.
func (m *Model) ReadOptions(log func(string)) frame.Options {
	o := frame.Options{Kinds: map[string]frame.Kind{}, Only: map[string]bool{}, Log: log}
	for _, f := range m.Features {
		switch {
		case f.Source != "":
			o.Kinds[f.Source] = frame.Date
			o.Only[f.Source] = true
		case f.Type == "categorical":
			o.Kinds[f.Name] = frame.Categorical
			o.Only[f.Name] = true
		default:
			o.Kinds[f.Name] = frame.Numeric
			o.Only[f.Name] = true
		}
	}
	return o
}

// Inputs maps a frame onto the model's features: columns by name,
// categorical codes re-coded by level text (unseen levels get the code
// len(Levels)).
func (m *Model) Inputs(f *frame.Frame) ([][]float32, []bool, error) {
	cols := make([][]float32, len(m.Features))
	cat := make([]bool, len(m.Features))
	var missing []string
	for j, feat := range m.Features {
		c := f.Column(feat.Name)
		if c == nil {
			name := feat.Name
			if feat.Source != "" {
				name = feat.Source
			}
			missing = append(missing, name)
			continue
		}
		cat[j] = feat.Type == "categorical"
		if !cat[j] {
			if c.Kind != frame.Numeric {
				return nil, nil, fmt.Errorf("model: column %q is %s, want numeric", feat.Name, c.Kind)
			}
			cols[j] = c.Values
			continue
		}
		if c.Kind != frame.Categorical {
			return nil, nil, fmt.Errorf("model: column %q is %s, want categorical", feat.Name, c.Kind)
		}
		cols[j] = recode(c, feat.Levels)
	}
	if len(missing) > 0 {
		return nil, nil, usererr.New(usererr.MissingColumns, "the data lacks columns the model needs: %s", quoteList(dedupe(missing), 10))
	}
	return cols, cat, nil
}

func recode(c *frame.Column, levels []string) []float32 {
	idx := make(map[string]int, len(levels))
	for i, s := range levels {
		idx[s] = i
	}
	remap := make([]float32, len(c.Levels))
	for i, s := range c.Levels {
		if t, ok := idx[s]; ok {
			remap[i] = float32(t)
		} else {
			remap[i] = float32(len(levels))
		}
	}
	out := make([]float32, len(c.Values))
	for i, v := range c.Values {
		if math.IsNaN(float64(v)) {
			out[i] = v
		} else {
			out[i] = remap[int(v)]
		}
	}
	return out
}

// Predict returns predictions for every row of f: k class probabilities
// per row (k = NumClass) for classification, one value for regression.
func (m *Model) Predict(f *frame.Frame) ([]float64, error) {
	cols, cat, err := m.Inputs(f)
	if err != nil {
		return nil, err
	}
	return Blend(m.Members, cols, cat, f.Rows, m.Task, m.NumClass())
}
