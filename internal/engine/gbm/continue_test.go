package gbm

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"

	"github.com/drover-ml/drover/internal/engine/enginetest"
)

// TestContinueMatchesUninterrupted: a model trained for a few rounds and
// then continued is, tree for tree, the model of one uninterrupted fit
// (row and feature sampling, several threads, early stopping that dropped
// rounds, the Huber loss's adaptive delta).
func TestContinueMatchesUninterrupted(t *testing.T) {
	bx, by := synthBinary(3000, 8, 21)
	bx.Cols[2][7] = float32(math.NaN())
	lx, ly := tableMatrix(enginetest.Letters(2400, 5))
	rx, _ := synthBinary(3000, 6, 22)
	ry := make([]float32, rx.Rows)
	for i := range ry {
		ry[i] = rx.Cols[0][i]*3 + rx.Cols[1][i]*rx.Cols[2][i]
		if i%50 == 0 {
			ry[i] += 40 // outliers for the Huber loss
		}
	}
	cases := []struct {
		name       string
		x          *Matrix
		y          []float32
		valid      bool
		set        func(*Params)
		first, all int
	}{
		{"binary", bx, by, false, func(p *Params) { p.Subsample, p.ColSample, p.Threads = 0.7, 0.8, 1 }, 9, 25},
		{"multiclass, early stopping", lx, ly, true, func(p *Params) {
			p.Objective, p.NumClass = ObjectiveMulticlass, 26
			p.Subsample, p.ColSample, p.Threads, p.LearningRate = 0.8, 0.7, 2, 0.5
			p.EarlyStoppingRounds = 3
		}, 6, 60},
		{"huber", rx, ry, false, func(p *Params) { p.Objective, p.ColSample, p.Threads = ObjectiveHuber, 0.5, 2 }, 4, 12},
		{"nothing more", bx, by, false, func(p *Params) { p.Subsample = 0.5 }, 7, 7},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x, y := c.x, c.y
			var vx *Matrix
			var vy []float32
			if c.valid {
				n := x.Rows * 4 / 5
				vx, vy = x.slice(n, x.Rows), y[n:]
				x, y = x.slice(0, n), y[:n]
			}
			p := DefaultParams()
			p.Seed = 5
			c.set(&p)
			p.NumRounds = c.all
			whole, err := Train(t.Context(), x, y, vx, vy, p, nil)
			if err != nil {
				t.Fatal(err)
			}
			p.NumRounds = c.first
			part, err := Train(t.Context(), x, y, vx, vy, p, nil)
			if err != nil {
				t.Fatal(err)
			}
			partRounds := part.Rounds
			p.NumRounds = c.all
			var seen []int
			cont, err := Continue(t.Context(), part, x, y, vx, vy, p, func(r int, _, _ float64) { seen = append(seen, r) })
			if err != nil {
				t.Fatal(err)
			}
			if part.Rounds != partRounds {
				t.Fatalf("Continue changed its init model (%d rounds, was %d)", part.Rounds, partRounds)
			}
			if c.first < c.all && (len(seen) == 0 || seen[0] != partRounds+1) {
				t.Fatalf("continued rounds %v, want them to start at %d", seen, partRounds+1)
			}
			if c.valid && whole.Rounds <= c.first {
				t.Fatalf("early stopping at round %d: the case does not test continuing past %d", whole.Rounds, c.first)
			}
			a, _ := json.Marshal(whole)
			b, _ := json.Marshal(cont)
			if !bytes.Equal(a, b) {
				t.Fatalf("continued model (%d rounds, %d trees) differs from the uninterrupted one (%d rounds, %d trees)",
					cont.Rounds, len(cont.Trees), whole.Rounds, len(whole.Trees))
			}
		})
	}
}

// TestContinueRefusesAnotherModel: a model of another objective, class
// count or width cannot be continued.
func TestContinueRefusesAnotherModel(t *testing.T) {
	x, y := synthBinary(500, 4, 23)
	p := DefaultParams()
	p.NumRounds = 3
	m := trainT(t, x, y, p)
	wide, _ := synthBinary(500, 5, 23)
	q := p
	q.Objective = ObjectiveSquared
	for name, run := range map[string]func() error{
		"objective": func() error { _, err := Continue(t.Context(), m, x, y, nil, nil, q, nil); return err },
		"features":  func() error { _, err := Continue(t.Context(), m, wide, y, nil, nil, p, nil); return err },
	} {
		if run() == nil {
			t.Errorf("%s: continued a model that does not match", name)
		}
	}
}
