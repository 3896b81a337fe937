// Package spec is the one definition of a valid run: the tasks, scorers,
// models and model parameters the engine has, and Check, which tests what
// a user asks for against a summary of the data. The server calls Check at
// submit, with the summary it made of the upload, so a bad spec gets its
// 400 before anything is queued; the engine calls the same Check at run
// time with the summary of the table it read.
//
// Every problem is a *usererr.Error with a stable code from
// internal/errcode and Field naming what is wrong ("task",
// "params.max_depth", ...).
package spec

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/drover-ml/drover/internal/engine/metric"
	"github.com/drover-ml/drover/internal/engine/search"
	"github.com/drover-ml/drover/internal/engine/usererr"
	"github.com/drover-ml/drover/internal/errcode"
)

// Tasks.
const (
	TaskAuto       = "auto"
	TaskBinary     = "binary"
	TaskMulticlass = "multiclass"
	TaskRegression = "regression"
)

// Tasks lists the tasks a user may name.
var Tasks = []string{TaskAuto, TaskBinary, TaskMulticlass, TaskRegression}

// MinRows is the fewest rows with a target value the engine trains on.
const MinRows = 5

// MaxGPUs is the most GPUs one experiment may ask for.
const MaxGPUs = 64

// Models lists the model families a spec may name.
func Models() []string { return slices.Clone(search.ModelNames) }

// Spec is what a run is asked to do.
type Spec struct {
	Target           string
	Task             string // "" = auto
	Scorer           string // "" = the task's default
	Accuracy         int    // dials: 0 (let drover choose) or 1-10
	Time             int
	Interpretability int
	GPUs             int
	Command          string // a bring-your-own-recipe command: only GPUs are checked
	Models           []string
	Params           map[string]string
	Folds            *int // nil: from the dials; -1 the same; 0 no cross-validation; 2 and more
}

// Column is what Check needs to know of one column.
type Column struct {
	Name     string
	Type     string // "numeric" or "categorical"
	Missing  int    // rows without a value
	Distinct int    // distinct values among the others
	// Counts, when known exactly, holds the rows of each value (classes of
	// a categorical target); nil when only Distinct is known.
	Counts map[string]int
}

// Data summarises the table a run trains on.
type Data struct {
	Rows    int
	Columns []Column
}

// Column returns the column called name, or nil.
func (d *Data) Column(name string) *Column {
	for i := range d.Columns {
		if d.Columns[i].Name == name {
			return &d.Columns[i]
		}
	}
	return nil
}

func bad(code, field, format string, args ...any) *usererr.Error {
	e := usererr.New(code, format, args...)
	e.Field = field
	return e
}

// Normalize trims and lower-cases the task and fills the default ("auto").
func (s *Spec) Normalize() {
	s.Task = strings.ToLower(strings.TrimSpace(s.Task))
	if s.Task == "" {
		s.Task = TaskAuto
	}
}

// Check tests s (normalised first) against the data; with data nil it checks
// only what can be checked before the data is read. The first problem found
// is returned as a *usererr.Error naming its field.
func Check(s *Spec, data *Data) error {
	s.Normalize()
	if s.GPUs < 0 || s.GPUs > MaxGPUs {
		return bad(errcode.BadRequest, "gpus", "gpus must be from 0 to %d, got %d", MaxGPUs, s.GPUs)
	}
	if s.Command != "" {
		return nil
	}
	if !slices.Contains(Tasks, s.Task) {
		return bad(errcode.UnknownTask, "task", "unknown task %q: use %s", s.Task, strings.Join(Tasks, ", "))
	}
	if s.Scorer != "" {
		sc, ok := metric.Get(s.Scorer)
		if !ok {
			return bad(errcode.UnknownScorer, "scorer", "unknown scorer %q: use one of %s", s.Scorer, strings.Join(metric.Names(), ", "))
		}
		if s.Task != TaskAuto && !sc.AppliesTo(s.Task) {
			return ScorerMismatch(sc, s.Task)
		}
	}
	for _, d := range []struct {
		name string
		v    int
	}{{"accuracy", s.Accuracy}, {"time", s.Time}, {"interpretability", s.Interpretability}} {
		if d.v < 0 || d.v > 10 {
			return bad(errcode.DialOutOfRange, d.name, "%s dial %d is out of range: use 1-10 (or 0 to let drover choose)", d.name, d.v)
		}
	}
	for i, m := range s.Models {
		if !slices.Contains(search.ModelNames, m) {
			return bad(errcode.UnknownModel, fmt.Sprintf("models[%d]", i), "unknown model %q: use %s", m, strings.Join(search.ModelNames, ", "))
		}
	}
	if f := s.Folds; f != nil && (*f < -1 || *f == 1) {
		return bad(errcode.BadParam, "folds", "folds %d: use -1 (from the dials), 0 (no cross-validation) or 2 and more", *f)
	}
	if err := checkParams(s.Params); err != nil {
		return err
	}
	if strings.TrimSpace(s.Target) == "" {
		return bad(errcode.TargetMissing, "target", "no target column given: name the column to predict")
	}
	if data == nil {
		return nil
	}
	return checkTarget(s, data)
}

// checkParams checks each parameter on its own first, so the error names
// the one at fault, then all of them together.
func checkParams(params map[string]string) error {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if _, _, err := search.ParseParams(map[string]string{k: params[k]}); err != nil {
			return bad(errcode.BadParam, "params."+k, "%s", paramMessage(err))
		}
	}
	if _, _, err := search.ParseParams(params); err != nil {
		return bad(errcode.BadParam, "params", "%s", paramMessage(err))
	}
	return nil
}

func paramMessage(err error) string {
	if ue, ok := err.(*usererr.Error); ok {
		return ue.Message
	}
	return err.Error()
}

func checkTarget(s *Spec, data *Data) error {
	col := data.Column(s.Target)
	if col == nil {
		names := make([]string, len(data.Columns))
		for i, c := range data.Columns {
			names[i] = c.Name
		}
		msg := fmt.Sprintf("target column %q is not in the data", s.Target)
		if m := CloseMatches(s.Target, names); len(m) > 0 {
			msg += fmt.Sprintf("; did you mean %s?", quoteAll(m))
		} else {
			msg += " (columns: " + listNames(names) + ")"
		}
		return bad(errcode.TargetMissing, "target", "%s", msg)
	}
	labelled := data.Rows - col.Missing
	if labelled <= 0 {
		return bad(errcode.TargetAllMissing, "target", "target column %q has no values", s.Target)
	}
	if labelled < 2 {
		return bad(errcode.TooFewRows, "target", "only %d row with a target value; at least %d are needed", labelled, MinRows)
	}
	if col.Distinct <= 1 {
		return bad(errcode.TargetConstant, "target", "target column %q has a single value: there is nothing to predict", s.Target)
	}
	if s.Task == TaskRegression && col.Type != "numeric" {
		return bad(errcode.TaskTargetMismatch, "task", "task regression needs a numeric target; %q is categorical", s.Target)
	}
	if s.Task == TaskBinary || s.Task == TaskMulticlass || (s.Task == TaskAuto && col.Type != "numeric") {
		classes := classes(col)
		if classes < 2 {
			return bad(errcode.TargetConstant, "target", "target %q has fewer than two classes with two or more rows: nothing to learn", s.Target)
		}
		if s.Task == TaskBinary && classes > 2 {
			return bad(errcode.TaskTargetMismatch, "task", "task binary needs two classes; target %q has %d", s.Target, classes)
		}
	}
	// Last, as in the engine: a constant or mismatched target says more.
	if labelled < MinRows {
		return bad(errcode.TooFewRows, "target", "only %d rows with a target value; at least %d are needed", labelled, MinRows)
	}
	return nil
}

// classes counts the classes a classifier trains on: values with two or more
// rows (a class seen once is dropped), or every distinct value when only
// their number is known.
func classes(c *Column) int {
	if c.Counts == nil {
		return c.Distinct
	}
	n := 0
	for _, k := range c.Counts {
		if k >= 2 {
			n++
		}
	}
	return n
}

// ScorerMismatch is the error of a scorer that does not apply to task.
func ScorerMismatch(s *metric.Scorer, task string) error {
	var names []string
	for _, v := range metric.For(task) {
		names = append(names, v.Name)
	}
	return bad(errcode.ScorerTaskMismatch, "scorer", "scorer %s does not apply to %s tasks: use one of %s", s.Name, task, strings.Join(names, ", "))
}

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

func listNames(names []string) string {
	if len(names) > 12 {
		return strings.Join(names[:12], ", ") + fmt.Sprintf(", ... %d more", len(names)-12)
	}
	return strings.Join(names, ", ")
}

// CloseMatches lists the names that look like name: equal ignoring case
// and punctuation, containing it, or within edit distance 2.
func CloseMatches(name string, names []string) []string {
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
