package engine

import (
	"math"
	"strconv"

	"github.com/drover-ml/drover/internal/engine/frame"
	"github.com/drover-ml/drover/internal/engine/spec"
	"github.com/drover-ml/drover/internal/engine/usererr"
)

// Spec is the options as the spec package checks them.
func (o *Options) Spec() *spec.Spec {
	folds := o.Folds
	return &spec.Spec{Target: o.Target, Task: o.Task, Scorer: o.Scorer, Accuracy: o.Accuracy, Time: o.Time,
		Interpretability: o.Interpretability, Models: o.Models, Params: o.Params, Folds: &folds}
}

// validate checks what can be checked before reading the data (spec.Check
// without data) and normalises the task.
func (o *Options) validate() error {
	s := o.Spec()
	if err := spec.Check(s, nil); err != nil {
		return err
	}
	o.Task = s.Task
	if o.Threads < 0 || o.TimeBudget < 0 {
		return usererr.New(usererr.BadParam, "threads and time budget must not be negative")
	}
	return nil
}

// maxCounted bounds the distinct values DataOf counts exactly in a target.
const maxCounted = 1000

// DataOf summarises f for spec.Check: every column's name and type, and for
// the target its missing and distinct values and, up to maxCounted distinct
// values, each value's rows.
func DataOf(f *frame.Frame, target string) *spec.Data {
	d := &spec.Data{Rows: f.Rows, Columns: make([]spec.Column, len(f.Columns))}
	for i, c := range f.Columns {
		sc := spec.Column{Name: c.Name, Type: "categorical"}
		if c.Kind == frame.Numeric {
			sc.Type = "numeric"
		}
		if c.Name == target {
			counts := map[string]int{}
			for _, v := range c.Values {
				if v != v {
					sc.Missing++
					continue
				}
				var key string
				if c.Kind == frame.Categorical && int(v) < len(c.Levels) {
					key = c.Levels[int(v)]
				} else {
					key = strconv.FormatFloat(float64(v), 'g', -1, 32)
				}
				if counts != nil {
					counts[key]++
					if len(counts) > maxCounted {
						counts = nil
						sc.Distinct = distinct(c.Values)
					}
				}
			}
			if counts != nil {
				sc.Distinct, sc.Counts = len(counts), counts
			}
		}
		d.Columns[i] = sc
	}
	return d
}

// distinct counts the distinct non-missing values of vals.
func distinct(vals []float32) int {
	seen := map[uint32]bool{}
	for _, v := range vals {
		if v == v {
			seen[math.Float32bits(v)] = true
		}
	}
	return len(seen)
}
