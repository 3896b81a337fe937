package engine

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/drover-ml/drover/internal/engine/frame"
	"github.com/drover-ml/drover/internal/engine/model"
)

// ModelDir is the artifact's directory inside a result directory.
const ModelDir = "model"

// PredictFile scores the table at dataPath with the model saved in
// modelDir (an artifact directory, or a result directory holding one under
// model/) and writes a predictions CSV to outPath. Columns are matched by
// name; the target and extra columns are ignored.
func PredictFile(ctx context.Context, modelDir, dataPath, outPath string) (int, error) {
	return PredictFileWith(ctx, modelDir, dataPath, outPath, PredictOptions{})
}

// PredictOptions choose extra output of PredictFileWith.
type PredictOptions struct {
	// Explain adds each feature's contribution to the raw score (log-odds
	// of the last class for binary, each class's margin for multiclass,
	// the value for regression) and the bias: columns contrib.<feature>
	// and contrib.bias, or contrib.<class>.<feature> and
	// contrib.<class>.bias per class. They add up to the raw score (for an
	// ensemble, the weighted mean of its members' raw scores).
	Explain bool
}

// PredictFileWith is PredictFile with options.
func PredictFileWith(ctx context.Context, modelDir, dataPath, outPath string, opts PredictOptions) (int, error) {
	if outPath == "" {
		return 0, errors.New("engine: predict: no output path")
	}
	dir := modelDir
	if _, err := os.Stat(filepath.Join(dir, model.FileName)); errors.Is(err, fs.ErrNotExist) {
		if _, err2 := os.Stat(filepath.Join(dir, ModelDir, model.FileName)); err2 == nil {
			dir = filepath.Join(dir, ModelDir)
		}
	}
	m, err := model.Load(dir)
	if err != nil {
		return 0, err
	}
	f, err := frame.ReadFile(dataPath, m.ReadOptions(nil))
	if err != nil {
		return 0, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(outPath), ".predict-*.csv")
	if err != nil {
		return 0, fmt.Errorf("engine: predict: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := m.PredictTo(ctx, f, tmp, opts.Explain); err != nil {
		tmp.Close()
		return 0, err
	}
	if err := tmp.Close(); err != nil {
		return 0, fmt.Errorf("engine: predict: %w", err)
	}
	if err := os.Rename(tmp.Name(), outPath); err != nil {
		return 0, fmt.Errorf("engine: predict: %w", err)
	}
	return f.Rows, nil
}
