package engine

import (
	"slices"
	"strings"

	"github.com/drover-ml/drover/internal/engine/metric"
	"github.com/drover-ml/drover/internal/engine/search"
	"github.com/drover-ml/drover/internal/engine/usererr"
)

// validate checks what can be checked before reading the data.
func (o *Options) validate() error {
	if o.Task == "" {
		o.Task = TaskAuto
	}
	o.Task = strings.ToLower(strings.TrimSpace(o.Task))
	if !slices.Contains([]string{TaskAuto, TaskBinary, TaskMulticlass, TaskRegression}, o.Task) {
		return usererr.New(usererr.UnknownTask, "unknown task %q: use auto, binary, multiclass or regression", o.Task)
	}
	if o.Scorer != "" {
		s, ok := metric.Get(o.Scorer)
		if !ok {
			return usererr.New(usererr.UnknownScorer, "unknown scorer %q: use one of %s", o.Scorer, strings.Join(metric.Names(), ", "))
		}
		if o.Task != TaskAuto && !s.AppliesTo(o.Task) {
			return scorerMismatch(s, o.Task)
		}
	}
	if err := (search.Dials{Accuracy: o.Accuracy, Time: o.Time, Interpretability: o.Interpretability}).Validate(); err != nil {
		return err
	}
	for _, m := range o.Models {
		if !slices.Contains(search.ModelNames, m) {
			return usererr.New(usererr.BadParam, "unknown model %q: use %s", m, strings.Join(search.ModelNames, ", "))
		}
	}
	if o.Folds < -1 || o.Folds == 1 {
		return usererr.New(usererr.BadParam, "folds %d: use -1 (from the dials), 0 (no cross-validation) or 2 and more", o.Folds)
	}
	if o.Threads < 0 || o.TimeBudget < 0 {
		return usererr.New(usererr.BadParam, "threads and time budget must not be negative")
	}
	if _, _, err := search.ParseParams(o.Params); err != nil {
		return err
	}
	if strings.TrimSpace(o.Target) == "" {
		return usererr.New(usererr.TargetMissing, "no target column given")
	}
	return nil
}

func scorerMismatch(s *metric.Scorer, task string) error {
	var names []string
	for _, v := range metric.For(task) {
		names = append(names, v.Name)
	}
	return usererr.New(usererr.ScorerTaskMismatch, "scorer %s does not apply to %s tasks: use one of %s", s.Name, task, strings.Join(names, ", "))
}

// closeMatches lists column names that look like name: equal ignoring case
// and punctuation, containing it, or within edit distance 2.
func closeMatches(name string, names []string) []string {
	norm := func(s string) string {
		s = strings.ToLower(s)
		return strings.Map(func(r rune) rune {
			if r == ' ' || r == '_' || r == '-' || r == '.' {
				return -1
			}
			return r
		}, s)
	}
	n := norm(name)
	var out []string
	for _, c := range names {
		cn := norm(c)
		if cn == n || (len(n) >= 3 && strings.Contains(cn, n)) || editDistance(cn, n) <= 2 {
			out = append(out, c)
		}
	}
	return out
}

func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
