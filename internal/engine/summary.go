package engine

// Summary is what a finished run reports: the task and scorer it used, the
// leaderboard of every model tried (best first) and the best one's metrics.
// Its JSON is summary.json in the artifacts and the summary of a succeeded
// result line; the server's REST type mirrors these names.
type Summary struct {
	Task        string             `json:"task"`
	Scorer      string             `json:"scorer"`
	Leaderboard []LeaderboardEntry `json:"leaderboard"`
	Best        LeaderboardEntry   `json:"best"`
	Metrics     map[string]float64 `json:"metrics,omitempty"`
	Rows        int                `json:"rows,omitempty"`
	Features    int                `json:"features,omitempty"`
	// Notes say what the search cut short or skipped, and why.
	Notes []string `json:"notes,omitempty"`
	// Threshold (binary tasks with cross-validation) reports the decision
	// threshold that maximises F1 on the out-of-fold predictions.
	Threshold *Threshold `json:"threshold,omitempty"`
}

// Threshold is a binary task's decision threshold report. A row is
// predicted positive when P(positive) ≥ the threshold.
type Threshold struct {
	Positive    string          `json:"positive"`     // the positive class
	F1Threshold float64         `json:"f1_threshold"` // maximises out-of-fold F1
	F1          float64         `json:"f1"`           // out-of-fold F1 there
	Confusion   ConfusionMatrix `json:"confusion"`    // out of fold, at f1_threshold
	// Used is the threshold predict applies: f1_threshold when the scorer
	// is f1, the accuracy-maximising one when it is accuracy, else 0.5.
	Used float64 `json:"used"`
}

// ConfusionMatrix counts binary outcomes.
type ConfusionMatrix struct {
	TP int `json:"tp"`
	FP int `json:"fp"`
	TN int `json:"tn"`
	FN int `json:"fn"`
}

// LeaderboardEntry is one model tried by the search.
type LeaderboardEntry struct {
	Model      string            `json:"model"`
	Params     map[string]string `json:"params"`
	CVScore    float64           `json:"cv_score"`
	CVStd      float64           `json:"cv_std"`
	FitSeconds float64           `json:"fit_seconds"`
}
