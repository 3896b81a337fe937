package engine

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// Files written by Result.Save.
const (
	LeaderboardFile = "leaderboard.json"
	SummaryFile     = "summary.json"
	PlotsFile       = "plots.json"
)

// Save writes dir/model/ (the artifact), dir/leaderboard.json (the
// leaderboard entries, best first), dir/summary.json (api.Summary) and
// dir/plots.json (Plots).
func (r *Result) Save(dir string) error {
	if err := r.Model.Save(filepath.Join(dir, ModelDir)); err != nil {
		return err
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
