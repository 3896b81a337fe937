package glm

import (
	"context"
	"math"
)

// minWeight keeps IRLS weights away from zero on (nearly) separable data.
const minWeight = 1e-5

type fitter struct {
	ctx context.Context
	x   [][]float64
	n   int
	p   Params
}

// cd runs coordinate descent on the weighted least-squares problem
// (1/2n) Σ w (z - b0 - xβ)² + penalty, updating beta and b0 in place. r is
// the residual z - b0 - xβ and is kept current.
func (f *fitter) cd(w, r, beta []float64, b0 *float64) {
	n := float64(f.n)
	l1 := f.p.Lambda * f.p.Alpha
	l2 := f.p.Lambda * (1 - f.p.Alpha)
	var wsum float64
	for _, v := range w {
		wsum += v
	}
	xw := make([]float64, len(f.x)) // (1/n) Σ w x_j²
	for j, col := range f.x {
		var s float64
		for i, v := range col {
			s += w[i] * v * v
		}
		xw[j] = s / n
	}
	for range 1000 {
		var maxDelta float64
		// Intercept.
		var s float64
		for i, v := range r {
			s += w[i] * v
		}
		if d := s / wsum; d != 0 {
			*b0 += d
			for i := range r {
				r[i] -= d
			}
			maxDelta = max(maxDelta, wsum/n*d*d)
		}
		for j, col := range f.x {
			if xw[j] == 0 {
				continue
			}
			var g float64
			for i, v := range col {
				g += w[i] * v * r[i]
			}
			g = g/n + xw[j]*beta[j]
			nb := softThreshold(g, l1) / (xw[j] + l2)
			if d := nb - beta[j]; d != 0 {
				beta[j] = nb
				for i, v := range col {
					r[i] -= d * v
				}
				maxDelta = max(maxDelta, xw[j]*d*d)
			}
		}
		if maxDelta < f.p.Tol {
			return
		}
	}
}

func softThreshold(g, t float64) float64 {
	switch {
	case g > t:
		return g - t
	case g < -t:
		return g + t
	}
	return 0
}

func (f *fitter) linear(m *Model, y []float64) error {
	var mean, sq float64
	for _, v := range y {
		mean += v
	}
	mean /= float64(f.n)
	for _, v := range y {
		sq += (v - mean) * (v - mean)
	}
	scale := math.Sqrt(sq / float64(f.n))
	if scale == 0 {
		scale = 1
	}
	m.YMean, m.YScale = mean, scale
	r := make([]float64, f.n)
	w := make([]float64, f.n)
	for i, v := range y {
		r[i] = (v - mean) / scale
		w[i] = 1
	}
	beta := make([]float64, len(f.x))
	var b0 float64
	f.cd(w, r, beta, &b0)
	m.Intercept = []float64{b0}
	m.Coef = [][]float64{beta}
	return f.ctx.Err()
}

// eta computes b0 + xβ for every row.
func (f *fitter) eta(beta []float64, b0 float64, out []float64) {
	for i := range out {
		out[i] = b0
	}
	for j, col := range f.x {
		if b := beta[j]; b != 0 {
			for i, v := range col {
				out[i] += b * v
			}
		}
	}
}

func (f *fitter) logistic(m *Model, y []float64) error {
	var pos float64
	for _, v := range y {
		pos += v
	}
	prior := min(max(pos/float64(f.n), 1e-6), 1-1e-6)
	b0 := math.Log(prior / (1 - prior))
	beta := make([]float64, len(f.x))
	eta := make([]float64, f.n)
	w := make([]float64, f.n)
	r := make([]float64, f.n)
	prev := math.Inf(1)
	for range f.p.MaxIter {
		if err := f.ctx.Err(); err != nil {
			return err
		}
		f.eta(beta, b0, eta)
		var dev float64
		for i, e := range eta {
			p := sigmoid(e)
			dev -= y[i]*math.Log(max(p, 1e-300)) + (1-y[i])*math.Log(max(1-p, 1e-300))
			w[i] = max(p*(1-p), minWeight)
			r[i] = (y[i] - p) / w[i] // z - eta
		}
		if math.Abs(prev-dev) < 1e-6*math.Abs(dev)+1e-12 {
			break
		}
		prev = dev
		f.cd(w, r, beta, &b0)
	}
	m.Intercept = []float64{b0}
	m.Coef = [][]float64{beta}
	return nil
}

func (f *fitter) softmax(m *Model, y []float64) error {
	k := m.NumClass
	betas := make([][]float64, k)
	b0 := make([]float64, k)
	counts := make([]float64, k)
	for _, v := range y {
		counts[int(v)]++
	}
	for c := range k {
		betas[c] = make([]float64, len(f.x))
		b0[c] = math.Log(max(counts[c], 0.5) / float64(f.n))
	}
	etas := make([][]float64, k)
	for c := range etas {
		etas[c] = make([]float64, f.n)
	}
	w := make([]float64, f.n)
	r := make([]float64, f.n)
	row := make([]float64, k)
	prob := make([]float64, k)
	prev := math.Inf(1)
	for range f.p.MaxIter {
		for c := range k {
			f.eta(betas[c], b0[c], etas[c])
		}
		var dev float64
		for i := range f.n {
			for c := range k {
				row[c] = etas[c][i]
			}
			softmax(row, prob)
			dev -= math.Log(max(prob[int(y[i])], 1e-300))
		}
		if math.Abs(prev-dev) < 1e-6*math.Abs(dev)+1e-12 {
			break
		}
		prev = dev
		for c := range k {
			if err := f.ctx.Err(); err != nil {
				return err
			}
			for i := range f.n {
				for cc := range k {
					row[cc] = etas[cc][i]
				}
				softmax(row, prob)
				p := prob[c]
				t := 0.0
				if int(y[i]) == c {
					t = 1
				}
				w[i] = max(p*(1-p), minWeight)
				r[i] = (t - p) / w[i]
			}
			f.cd(w, r, betas[c], &b0[c])
			f.eta(betas[c], b0[c], etas[c])
		}
	}
	m.Intercept = b0
	m.Coef = betas
	return nil
}
