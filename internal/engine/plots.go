package engine

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/drover-ml/drover/internal/engine/metric"
	"github.com/drover-ml/drover/internal/engine/model"
	"github.com/drover-ml/drover/internal/engine/search"
)

// Plot sizes.
const (
	maxCurvePoints   = 200
	maxScatterPoints = 2000
)

// Plots is plots.json: what the UI draws for a finished experiment. The
// predictions behind it are out-of-fold (Source "cv"), or in-sample
// (Source "train") when cross-validation was off.
type Plots struct {
	Task       string       `json:"task"`
	Source     string       `json:"source"`
	ROC        *Curve       `json:"roc,omitempty"`       // binary: X false positive rate, Y true positive rate
	PR         *Curve       `json:"pr,omitempty"`        // binary: X recall, Y precision
	Confusion  *Confusion   `json:"confusion,omitempty"` // classification
	Scatter    *Scatter     `json:"actual_vs_predicted,omitempty"`
	Importance []Importance `json:"importance"`
	// ShapImportance is each feature's mean absolute contribution to the
	// raw score (summed over classes for multiclass) over at most
	// shapImportanceRows training rows, best first; see shapImportance.
	ShapImportance []Importance `json:"shap_importance,omitempty"`
}

// Curve is a sequence of points, with the thresholds that give them.
type Curve struct {
	X         []float64 `json:"x"`
	Y         []float64 `json:"y"`
	Threshold []float64 `json:"threshold"`
}

// Confusion counts rows by actual class (row) and predicted class (column).
type Confusion struct {
	Labels []string `json:"labels"`
	Counts [][]int  `json:"counts"`
}

// Scatter holds actual and predicted values and residuals (actual -
// predicted) of at most maxScatterPoints rows sampled at random.
type Scatter struct {
	Actual    []float64 `json:"actual"`
	Predicted []float64 `json:"predicted"`
	Residual  []float64 `json:"residual"`
}

func makePlots(d *search.Data, levels []string, pred []float64, source string, seed int64) Plots {
	pl := Plots{Task: d.Task, Source: source}
	k := model.Outputs(d.Task, d.NumClass)
	if d.Task == metric.Regression {
		rows := sampleRows(d.Rows(), maxScatterPoints, seed)
		s := &Scatter{}
		for _, i := range rows {
			s.Actual = append(s.Actual, d.Y[i])
			s.Predicted = append(s.Predicted, pred[i])
			s.Residual = append(s.Residual, d.Y[i]-pred[i])
		}
		pl.Scatter = s
		return pl
	}
	c := &Confusion{Labels: levels, Counts: make([][]int, k)}
	for i := range c.Counts {
		c.Counts[i] = make([]int, k)
	}
	for i, y := range d.Y {
		c.Counts[int(y)][metric.ArgMax(pred, k, i)]++
	}
	pl.Confusion = c
	if d.Task == metric.Binary {
		pl.ROC, pl.PR = curves(d.Y, pred)
	}
	return pl
}

// curves computes ROC and precision-recall points at up to maxCurvePoints
// thresholds (quantiles of the scores, every distinct score when fewer).
func curves(y, pred []float64) (roc, pr *Curve) {
	n := len(y)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	score := func(i int) float64 { return pred[2*i+1] }
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(score(b), score(a)) })
	var pos float64
	for _, v := range y {
		pos += v
	}
	neg := float64(n) - pos
	roc = &Curve{X: []float64{0}, Y: []float64{0}, Threshold: []float64{math.Inf(1)}}
	pr = &Curve{}
	step := max(1, n/maxCurvePoints)
	var tp, fp float64
	for i := 0; i < n; i++ {
		if y[idx[i]] == 1 {
			tp++
		} else {
			fp++
		}
		last := i == n-1
		if !last && (score(idx[i+1]) == score(idx[i]) || (i+1)%step != 0) {
			continue
		}
		t := score(idx[i])
		roc.X = append(roc.X, safeDiv(fp, neg))
		roc.Y = append(roc.Y, safeDiv(tp, pos))
		roc.Threshold = append(roc.Threshold, t)
		pr.X = append(pr.X, safeDiv(tp, pos))
		pr.Y = append(pr.Y, safeDiv(tp, tp+fp))
		pr.Threshold = append(pr.Threshold, t)
	}
	roc.Threshold[0] = 1 // JSON has no infinity; 1 is above every probability's threshold role
	return roc, pr
}

func safeDiv(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func sampleRows(n, limit int, seed int64) []int {
	if n <= limit {
		out := make([]int, n)
		for i := range out {
			out[i] = i
		}
		return out
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 77))
	out := rng.Perm(n)[:limit]
	slices.Sort(out)
	return out
}

func sortImportance(imp []Importance) {
	slices.SortStableFunc(imp, func(a, b Importance) int { return cmp.Compare(b.Value, a.Value) })
}

// shapImportanceRows bounds the rows explained for ShapImportance.
const shapImportanceRows = 1000

// shapWork bounds the TreeSHAP work spent on ShapImportance, in units of
// leaves × depth² over all trees and rows (about 10⁸: well under a second).
const shapWork = 1e8

// shapValues bounds the contributions computed for ShapImportance.
const shapValues = 1e6

// shapImportance returns each feature's mean |contribution| to the raw
// score over a sample of the training rows: at most shapImportanceRows,
// fewer for big tree models or many features so that the work stays near
// shapWork and the values near shapValues (at least 50 rows). Rows are
// explained in batches until deadline: a batch that starts after it is not
// done, and note then says how many rows were explained (or that none
// were). It returns nil when the model cannot be explained.
func shapImportance(m *model.Model, d *search.Data, seed int64, deadline time.Time) ([]Importance, string) {
	work := 1.0
	for i := range m.Members {
		if g := m.Members[i].GBM; g != nil {
			for _, t := range g.Trees {
				work += float64(len(t.Nodes)/2+1) * float64((t.Depth+1)*(t.Depth+1))
			}
		}
	}
	// The contributions themselves are rows × (features+1) × outputs values.
	values := float64((len(d.Cols) + 1) * model.RawOutputs(d.Task, d.NumClass))
	limit := max(50, min(shapImportanceRows, int(shapWork/work), int(shapValues/values)))
	rows := sampleRows(d.Rows(), limit, seed)
	nf := len(d.Cols)
	W := nf + 1
	K := model.RawOutputs(d.Task, d.NumClass)
	sum := make([]float64, nf)
	done := 0
	for lo := 0; lo < len(rows); lo += shapBatch {
		if !time.Now().Before(deadline) {
			break
		}
		batch := rows[lo:min(lo+shapBatch, len(rows))]
		cols := make([][]float32, len(d.Cols))
		for j, c := range d.Cols {
			cols[j] = make([]float32, len(batch))
			for i, r := range batch {
				cols[j][i] = c[r]
			}
		}
		c, err := model.BlendContributions(m.Members, cols, d.Categorical, len(batch), d.Task, d.NumClass)
		if err != nil {
			return nil, ""
		}
		for i := range batch {
			for k := range K {
				for j := range nf {
					sum[j] += math.Abs(c[(i*K+k)*W+j])
				}
			}
		}
		done += len(batch)
	}
	if done == 0 {
		return nil, "shap importance skipped (time budget)"
	}
	note := ""
	if done < len(rows) {
		note = fmt.Sprintf("shap importance on %d of %d sampled rows (time budget)", done, len(rows))
	}
	imp := make([]Importance, nf)
	for j := range nf {
		imp[j] = Importance{Feature: d.Names[j], Value: sum[j] / float64(done)}
	}
	sortImportance(imp)
	return imp, note
}

// shapBatch is the rows explained at a time for ShapImportance.
const shapBatch = 50
