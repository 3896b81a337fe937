package engine

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/drover-ml/drover/internal/engine/metric"
)

// Files written by Result.Save.
const (
	LeaderboardFile = "leaderboard.json"
	SummaryFile     = "summary.json"
	PlotsFile       = "plots.json"
)

// Save writes dir/model/ (the artifact), dir/leaderboard.json (the
// leaderboard entries, best first), dir/summary.json (Summary),
// dir/plots.json (Plots) and dir/predictions.csv (the best model's
// out-of-fold predictions of the training rows).
func (r *Result) Save(dir string) error {
	if err := r.Model.Save(filepath.Join(dir, ModelDir)); err != nil {
		return err
	}
	if r.Predictions != nil {
		if err := r.Predictions.write(filepath.Join(dir, PredictionsFile)); err != nil {
			return err
		}
	}
	for name, v := range map[string]any{
		LeaderboardFile: r.Summary.Leaderboard,
		SummaryFile:     r.Summary,
		PlotsFile:       r.Plots,
	} {
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return fmt.Errorf("engine: save %s: %w", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("engine: save: %w", err)
		}
	}
	return nil
}

// PredictionsFile holds the best model's predictions on the training rows.
const PredictionsFile = "predictions.csv"

// write saves the predictions as CSV: actual, predicted, then one
// probability column per class for classification.
func (p *Predictions) write(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("engine: save predictions: %w", err)
	}
	w := csv.NewWriter(f)
	head := []string{"actual", "predicted"}
	k := 1
	if p.Task != metric.Regression {
		k = len(p.Levels)
		for _, l := range p.Levels {
			head = append(head, "p."+l)
		}
	}
	_ = w.Write(head)
	rec := make([]string, len(head))
	for i, y := range p.Actual {
		row := p.Pred[i*k : (i+1)*k]
		if p.Task == metric.Regression {
			rec[0], rec[1] = strconv.FormatFloat(y, 'g', -1, 32), strconv.FormatFloat(row[0], 'g', -1, 64)
		} else {
			label := metric.ArgMax(p.Pred, k, i)
			if p.Threshold > 0 && k == 2 {
				label = 0
				if row[1] >= p.Threshold {
					label = 1
				}
			}
			rec[0], rec[1] = p.Levels[int(y)], p.Levels[label]
			for j, v := range row {
				rec[2+j] = strconv.FormatFloat(v, 'g', -1, 64)
			}
		}
		_ = w.Write(rec)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return fmt.Errorf("engine: save predictions: %w", err)
	}
	return f.Close()
}
