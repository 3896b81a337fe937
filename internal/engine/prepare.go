package engine

import (
	"fmt"
	"strings"

	"github.com/drover-ml/drover/internal/engine/frame"
	"github.com/drover-ml/drover/internal/engine/model"
	"github.com/drover-ml/drover/internal/engine/search"
	"github.com/drover-ml/drover/internal/engine/spec"
	"github.com/drover-ml/drover/internal/engine/usererr"
)

// idLikeShare: a categorical column with more distinct values than this
// share of the rows (and more than idLikeMin) looks like an identifier and
// is dropped.
const (
	idLikeShare = 0.9
	idLikeMin   = 50
)

// prepared is a training table ready for search.
type prepared struct {
	data     *search.Data
	features []model.Feature
	levels   []string // target classes
}

// prepare picks the target, the task and the features out of f.
func prepare(f *frame.Frame, o *Options, report Reporter) (*prepared, error) {
	tcol := f.Column(o.Target)
	if tcol == nil {
		msg := fmt.Sprintf("target column %q is not in the data", o.Target)
		if m := spec.CloseMatches(o.Target, f.Names()); len(m) > 0 {
			msg += fmt.Sprintf("; did you mean %s?", strings.Join(quoteAll(m), ", "))
		}
		return nil, usererr.New(usererr.TargetMissing, "%s", msg)
	}
	if tcol.Missing() == f.Rows {
		return nil, usererr.New(usererr.TargetAllMissing, "target column %q has no values", o.Target)
	}
	task := o.Task
	if task == TaskAuto {
		task = search.DetectTask(tcol)
		report.log("info", fmt.Sprintf("task: %s (detected from target %q)", task, o.Target))
	}
	if task == TaskRegression && tcol.Kind != frame.Numeric {
		return nil, usererr.New(usererr.TaskTargetMismatch, "task regression needs a numeric target; %q is categorical", o.Target)
	}
	p := &prepared{}
	var y []float64
	if task == TaskRegression {
		y = make([]float64, f.Rows)
		for i, v := range tcol.Values {
			y[i] = float64(v)
			if v != v {
				y[i] = -1e308 // marker, dropped below
			}
		}
	} else {
		y, p.levels = search.ClassTarget(tcol)
	}
	keep := make([]int, 0, f.Rows)
	for i, v := range y {
		if (task == TaskRegression && v != -1e308) || (task != TaskRegression && v >= 0) {
			keep = append(keep, i)
		}
	}
	if dropped := f.Rows - len(keep); dropped > 0 {
		report.log("warn", fmt.Sprintf("%d rows without a target value dropped", dropped))
	}
	if task != TaskRegression {
		var err error
		keep, y, p.levels, err = dropRareClasses(keep, y, p.levels, report)
		if err != nil {
			return nil, err
		}
		switch {
		case len(p.levels) < 2:
			return nil, usererr.New(usererr.TargetConstant, "target %q has fewer than two classes with two or more rows: nothing to learn", o.Target)
		case task == TaskBinary && len(p.levels) > 2:
			return nil, usererr.New(usererr.TaskTargetMismatch, "task binary needs two classes; target %q has %d", o.Target, len(p.levels))
		case o.Task == TaskAuto && len(p.levels) == 2:
			task = TaskBinary
		}
	}
	if len(keep) < MinRows {
		return nil, usererr.New(usererr.TooFewRows, "only %d rows with a target value; at least %d are needed", len(keep), MinRows)
	}
	d := &search.Data{Task: task, NumClass: max(1, len(p.levels))}
	d.Y = make([]float64, len(keep))
	for i, r := range keep {
		d.Y[i] = y[r]
	}
	if task == TaskRegression && constant(d.Y) {
		return nil, usererr.New(usererr.TargetConstant, "target %q is constant (%g): nothing to learn", o.Target, d.Y[0])
	}
	drops := map[string][]string{}
	var reasons []string
	for _, c := range f.Columns {
		if c == tcol || (c.Source != "" && c.Source == o.Target) {
			continue
		}
		vals := make([]float32, len(keep))
		for i, r := range keep {
			vals[i] = c.Values[r]
		}
		if why := dropReason(c, vals); why != "" {
			if drops[why] == nil {
				reasons = append(reasons, why)
			}
			drops[why] = append(drops[why], c.Name)
			continue
		}
		d.Names = append(d.Names, c.Name)
		d.Cols = append(d.Cols, vals)
		d.Categorical = append(d.Categorical, c.Kind == frame.Categorical)
		feat := model.Feature{Name: c.Name, Type: c.Kind.String(), Source: c.Source}
		if c.Kind == frame.Categorical {
			feat.Levels = c.Levels
		}
		p.features = append(p.features, feat)
	}
	for _, why := range reasons {
		names := drops[why]
		if len(names) == 1 {
			report.log("info", fmt.Sprintf("column %q dropped: %s", names[0], why))
		} else {
			report.log("info", fmt.Sprintf("%d columns dropped (%s): %s", len(names), why, quoteList(names, 10)))
		}
	}
	if len(d.Cols) == 0 {
		return nil, usererr.New(usererr.NoFeatures, "no usable feature columns besides the target %q", o.Target)
	}
	p.data = d
	return p, nil
}

// dropRareClasses drops the rows of classes seen only once (they cannot be
// both trained on and validated) and re-indexes the rest.
func dropRareClasses(keep []int, y []float64, levels []string, report Reporter) ([]int, []float64, []string, error) {
	counts := make([]int, len(levels))
	for _, r := range keep {
		counts[int(y[r])]++
	}
	remap := make([]float64, len(levels))
	var out []string
	for c, n := range counts {
		remap[c] = -1
		switch {
		case n == 1:
			report.log("warn", fmt.Sprintf("class %q has a single row: row dropped", levels[c]))
		case n > 1:
			remap[c] = float64(len(out))
			out = append(out, levels[c])
		}
	}
	if len(out) == len(levels) {
		return keep, y, levels, nil
	}
	y2 := make([]float64, len(y))
	var keep2 []int
	for _, r := range keep {
		if c := remap[int(y[r])]; c >= 0 {
			y2[r] = c
			keep2 = append(keep2, r)
		}
	}
	return keep2, y2, out, nil
}

func dropReason(c *frame.Column, vals []float32) string {
	first, seen := float32(0), false
	varies := false
	for _, v := range vals {
		if v != v {
			continue
		}
		if !seen {
			first, seen = v, true
		} else if v != first {
			varies = true
			break
		}
	}
	switch {
	case !seen:
		return "all values missing"
	case !varies:
		return "constant"
	}
	if c.Kind == frame.Categorical {
		distinct := map[float32]struct{}{}
		for _, v := range vals {
			if v == v {
				distinct[v] = struct{}{}
			}
		}
		if len(distinct) > idLikeMin && float64(len(distinct)) > idLikeShare*float64(len(vals)) {
			return fmt.Sprintf("%d distinct values in %d rows: looks like an identifier", len(distinct), len(vals))
		}
	}
	return ""
}

func constant(y []float64) bool {
	for _, v := range y[1:] {
		if v != y[0] {
			return false
		}
	}
	return true
}

func quoteList(s []string, limit int) string {
	out := strings.Join(quoteAll(s[:min(limit, len(s))]), ", ")
	if len(s) > limit {
		out += fmt.Sprintf(" and %d more", len(s)-limit)
	}
	return out
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = fmt.Sprintf("%q", v)
	}
	return out
}
