package glm

import (
	"context"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
)

// Quasi-Newton fits (OWL-QN: L-BFGS with the orthant-wise handling of the
// L1 part of the elastic net). Softmax fits always use it; logistic fits
// use it when rows are weighted (class weights). One evaluation of the loss
// and gradient is a pass over the rows, split into fixed chunks of
// qnChunk rows that run in parallel; chunk sums are added in chunk order,
// so the result is the same whatever the number of threads.
const (
	qnChunk  = 2048
	qnMemory = 10 // (s, y) pairs kept
	// qnItersPerIRLS scales Params.MaxIter (counted in IRLS steps) to
	// quasi-Newton iterations: 25 → 1000.
	qnItersPerIRLS = 40
	// The fit stops when the largest pseudo-gradient component is below
	// qnGTol or the objective changes by less than qnFTol (relative).
	qnGTol = 1e-6
	qnFTol = 1e-10
)

// qnProblem is the smooth part of the objective: the (weighted) mean loss
// plus the L2 penalty over a row-major design.
type qnProblem struct {
	x       []float64 // n × p, row-major
	n, p, k int       // rows, design width, outputs
	y       []float64
	sw      []float64 // row weights (nil: all 1)
	wsum    float64
	task    string
	l1, l2  float64
	threads int
	parts   [][]float64 // per chunk: gradient then loss
}

func newQNProblem(f *fitter, y []float64, task string, k int, sw []float64) *qnProblem {
	p := len(f.x)
	x := make([]float64, f.n*p)
	for j, col := range f.x {
		for i, v := range col {
			x[i*p+j] = v
		}
	}
	q := &qnProblem{x: x, n: f.n, p: p, k: k, y: y, sw: sw, task: task,
		l1: f.p.Lambda * f.p.Alpha, l2: f.p.Lambda * (1 - f.p.Alpha), threads: f.p.Threads}
	if q.threads <= 0 {
		q.threads = runtime.GOMAXPROCS(0)
	}
	q.wsum = float64(f.n)
	if sw != nil {
		q.wsum = 0
		for _, v := range sw {
			q.wsum += v
		}
	}
	chunks := (f.n + qnChunk - 1) / qnChunk
	q.parts = make([][]float64, chunks)
	for c := range q.parts {
		q.parts[c] = make([]float64, k*(p+1)+1)
	}
	return q
}

// size is the number of parameters: per output an intercept then p
// coefficients.
func (q *qnProblem) size() int { return q.k * (q.p + 1) }

// penalised reports whether parameter i carries the penalty (intercepts
// do not).
func (q *qnProblem) penalised(i int) bool { return i%(q.p+1) != 0 }

// eval returns the smooth objective at w and writes its gradient.
func (q *qnProblem) eval(w, grad []float64) float64 {
	chunks := len(q.parts)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(q.threads, chunks) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			eta := make([]float64, q.k)
			for {
				c := int(next.Add(1)) - 1
				if c >= chunks {
					return
				}
				q.chunk(c, w, eta)
			}
		}()
	}
	wg.Wait()
	clear(grad)
	var loss float64
	m := len(grad)
	for _, part := range q.parts {
		for i, v := range part[:m] {
			grad[i] += v
		}
		loss += part[m]
	}
	inv := 1 / q.wsum
	for i := range grad {
		grad[i] *= inv
	}
	loss *= inv
	P := q.p + 1
	for i, v := range w {
		if i%P != 0 {
			loss += q.l2 / 2 * v * v
			grad[i] += q.l2 * v
		}
	}
	return loss
}

// chunk adds the loss and gradient of rows in chunk c into q.parts[c].
func (q *qnProblem) chunk(c int, w, eta []float64) {
	part := q.parts[c]
	clear(part)
	P := q.p + 1
	g := part[:q.k*P]
	var loss float64
	lo, hi := c*qnChunk, min((c+1)*qnChunk, q.n)
	for i := lo; i < hi; i++ {
		xi := q.x[i*q.p : (i+1)*q.p]
		for o := range q.k {
			wo := w[o*P+1 : (o+1)*P]
			s := w[o*P]
			for j, v := range xi {
				s += v * wo[j]
			}
			eta[o] = s
		}
		sw := 1.0
		if q.sw != nil {
			sw = q.sw[i]
		}
		switch q.task {
		case Multiclass:
			mx := eta[0]
			for _, v := range eta[1:] {
				mx = max(mx, v)
			}
			var z float64
			for o, v := range eta {
				eta[o] = math.Exp(v - mx)
				z += eta[o]
			}
			yi := int(q.y[i])
			loss += sw * -math.Log(max(eta[yi]/z, 1e-300))
			for o := range q.k {
				d := eta[o] / z
				if o == yi {
					d--
				}
				eta[o] = d * sw
			}
		case Binary:
			e := eta[0]
			// log(1+exp(e)) - y e, stably.
			sp := math.Max(e, 0) + math.Log1p(math.Exp(-math.Abs(e)))
			loss += sw * (sp - q.y[i]*e)
			eta[0] = sw * (sigmoid(e) - q.y[i])
		default:
			d := eta[0] - q.y[i]
			loss += sw * 0.5 * d * d
			eta[0] = sw * d
		}
		for o := range q.k {
			d := eta[o]
			if d == 0 {
				continue
			}
			go1 := g[o*P : (o+1)*P]
			go1[0] += d
			gx := go1[1:]
			for j, v := range xi {
				gx[j] += d * v
			}
		}
	}
	part[len(part)-1] = loss
}

// l1norm is the L1 penalty of w.
func (q *qnProblem) l1norm(w []float64) float64 {
	if q.l1 == 0 {
		return 0
	}
	var s float64
	for i, v := range w {
		if q.penalised(i) {
			s += math.Abs(v)
		}
	}
	return q.l1 * s
}

// pseudoGradient writes the minimum-norm subgradient of the full objective.
func (q *qnProblem) pseudoGradient(w, g, pg []float64) {
	for i, gi := range g {
		if q.l1 == 0 || !q.penalised(i) {
			pg[i] = gi
			continue
		}
		switch {
		case w[i] > 0:
			pg[i] = gi + q.l1
		case w[i] < 0:
			pg[i] = gi - q.l1
		case gi+q.l1 < 0:
			pg[i] = gi + q.l1
		case gi-q.l1 > 0:
			pg[i] = gi - q.l1
		default:
			pg[i] = 0
		}
	}
}

// minimise runs OWL-QN from w (updated in place) for at most maxIter
// iterations. It returns ctx's error when ctx ends first (w then holds the
// last accepted iterate).
func (q *qnProblem) minimise(ctx context.Context, w []float64, maxIter int) error {
	N := len(w)
	g := make([]float64, N)
	gn := make([]float64, N)
	pg := make([]float64, N)
	d := make([]float64, N)
	wn := make([]float64, N)
	alpha := make([]float64, qnMemory)
	var S, Y [][]float64
	var rho []float64
	f := q.eval(w, g)
	F := f + q.l1norm(w)
	for it := 0; it < maxIter; it++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		q.pseudoGradient(w, g, pg)
		var gmax float64
		for _, v := range pg {
			gmax = max(gmax, math.Abs(v))
		}
		if gmax < qnGTol {
			return nil
		}
		// Two-loop recursion: d = -H pg.
		copy(d, pg)
		for m := len(S) - 1; m >= 0; m-- {
			alpha[m] = rho[m] * dot(S[m], d)
			axpy(-alpha[m], Y[m], d)
		}
		if m := len(S) - 1; m >= 0 {
			gamma := dot(S[m], Y[m]) / dot(Y[m], Y[m])
			for i := range d {
				d[i] *= gamma
			}
		}
		for m := range S {
			b := rho[m] * dot(Y[m], d)
			axpy(alpha[m]-b, S[m], d)
		}
		descent := 0.0
		for i := range d {
			d[i] = -d[i]
			// Keep to the orthant of -pg where the penalty applies.
			if q.l1 > 0 && q.penalised(i) && d[i]*pg[i] >= 0 {
				d[i] = 0
			}
			descent += d[i] * pg[i]
		}
		if descent >= 0 { // not a descent direction: restart from steepest descent
			S, Y, rho = S[:0], Y[:0], rho[:0]
			for i := range d {
				d[i] = -pg[i]
			}
		}
		t := 1.0
		if len(S) == 0 {
			t = 1 / max(1, math.Sqrt(dot(pg, pg)))
		}
		accepted := false
		var Fn float64
		for range 40 {
			for i := range w {
				v := w[i] + t*d[i]
				if q.l1 > 0 && q.penalised(i) {
					orth := math.Copysign(1, w[i])
					if w[i] == 0 {
						orth = -math.Copysign(1, pg[i])
					}
					if v*orth <= 0 {
						v = 0
					}
				}
				wn[i] = v
			}
			fn := q.eval(wn, gn)
			Fn = fn + q.l1norm(wn)
			var dec float64
			for i := range w {
				dec += pg[i] * (wn[i] - w[i])
			}
			if Fn <= F+1e-4*dec {
				accepted = true
				break
			}
			t /= 2
		}
		if !accepted {
			return nil // no progress possible at this precision
		}
		s := make([]float64, N)
		yv := make([]float64, N)
		for i := range w {
			s[i] = wn[i] - w[i]
			yv[i] = gn[i] - g[i]
		}
		if sy := dot(s, yv); sy > 1e-16 {
			if len(S) == qnMemory {
				S, Y, rho = S[1:], Y[1:], rho[1:]
			}
			S, Y, rho = append(S, s), append(Y, yv), append(rho, 1/sy)
		}
		rel := (F - Fn) / max(math.Abs(F), math.Abs(Fn), 1)
		copy(w, wn)
		copy(g, gn)
		F = Fn
		if rel < qnFTol {
			return nil
		}
	}
	return nil
}

func dot(a, b []float64) float64 {
	var s float64
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

func axpy(a float64, x, y []float64) {
	for i, v := range x {
		y[i] += a * v
	}
}

// qnFit fits task by OWL-QN, warm-started from init when it has the same
// shape. sw are row weights (nil: all 1).
func (f *fitter) qnFit(m *Model, y []float64, task string, k int, sw []float64, init *Model) error {
	q := newQNProblem(f, y, task, k, sw)
	P := q.p + 1
	w := make([]float64, q.size())
	if init != nil && len(init.Intercept) == k && len(init.Coef) == k && len(init.Coef[0]) == q.p {
		for o := range k {
			w[o*P] = init.Intercept[o]
			copy(w[o*P+1:(o+1)*P], init.Coef[o])
		}
	} else {
		switch task {
		case Multiclass:
			counts := make([]float64, k)
			for i, v := range y {
				counts[int(v)] += q.weight(i)
			}
			for c := range k {
				w[c*P] = math.Log(max(counts[c], 0.5) / q.wsum)
			}
		case Binary:
			var pos float64
			for i, v := range y {
				pos += v * q.weight(i)
			}
			prior := min(max(pos/q.wsum, 1e-6), 1-1e-6)
			w[0] = math.Log(prior / (1 - prior))
		}
	}
	err := q.minimise(f.ctx, w, max(1, f.p.MaxIter)*qnItersPerIRLS)
	m.Intercept = make([]float64, k)
	m.Coef = make([][]float64, k)
	for o := range k {
		m.Intercept[o] = w[o*P]
		m.Coef[o] = append([]float64(nil), w[o*P+1:(o+1)*P]...)
	}
	return err
}

func (q *qnProblem) weight(i int) float64 {
	if q.sw == nil {
		return 1
	}
	return q.sw[i]
}
