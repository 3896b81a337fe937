package glm

import (
	"context"
	"math"
)

// minWeight keeps IRLS weights away from zero on (nearly) separable data.
// boundWeight is the upper bound of the logistic curvature p(1-p); with it
// as the weight every step is a majorise-minimise step, slower than IRLS
// but never increasing the loss. Fits start with IRLS; an IRLS step that
// makes the deviance worse is halved (up to maxHalvings times) back toward
// the last coefficients, and only when no halving helps do fits switch to
// the bound for good.
const (
	minWeight   = 1e-5
	boundWeight = 0.25
	maxHalvings = 8
	maxSweeps   = 200
	// devTol is the relative deviance change that ends the outer loop.
	devTol = 1e-5
)

type fitter struct {
	ctx context.Context
	x   [][]float64
	n   int
	p   Params
	// gramOnes caches (1/n) X'X with a leading column of ones, the Gram
	// matrix of constant weights 1.
	gramOnes []float64
}

// maxCovWidth is the widest design for which coordinate descent keeps the
// (weighted) Gram matrix and updates gradients in O(p) per step
// ("covariance updates"); wider designs update the residual in O(n).
const maxCovWidth = 256

// gram returns (1/n) Σ w x_a x_b over the design with a leading ones
// column, as a dense (p+1)×(p+1) matrix. w == nil means all ones.
func (f *fitter) gram(w []float64) []float64 {
	P := len(f.x) + 1
	col := func(a int) []float64 {
		if a == 0 {
			return nil
		}
		return f.x[a-1]
	}
	g := make([]float64, P*P)
	wx := make([]float64, f.n)
	for a := range P {
		xa := col(a)
		for i := range wx {
			v := 1.0
			if xa != nil {
				v = xa[i]
			}
			if w != nil {
				v *= w[i]
			}
			wx[i] = v
		}
		for b := a; b < P; b++ {
			xb := col(b)
			var s float64
			if xb == nil {
				for _, v := range wx {
					s += v
				}
			} else {
				for i, v := range wx {
					s += v * xb[i]
				}
			}
			s /= float64(f.n)
			g[a*P+b], g[b*P+a] = s, s
		}
	}
	return g
}

// cdCov is cd with covariance updates. It leaves r stale: callers
// recompute residuals from the coefficients.
func (f *fitter) cdCov(w, r, beta []float64, b0 *float64, constW float64) {
	P := len(f.x) + 1
	var G []float64
	if constW > 0 {
		if f.gramOnes == nil {
			f.gramOnes = f.gram(nil)
		}
		G = make([]float64, len(f.gramOnes))
		for i, v := range f.gramOnes {
			G[i] = v * constW
		}
	} else {
		G = f.gram(w)
	}
	g := make([]float64, P) // (1/n) Σ w x_j r
	for a := range P {
		var s float64
		if a == 0 {
			for i, v := range r {
				s += w[i] * v
			}
		} else {
			for i, v := range f.x[a-1] {
				s += w[i] * v * r[i]
			}
		}
		g[a] = s / float64(f.n)
	}
	l1 := f.p.Lambda * f.p.Alpha
	l2 := f.p.Lambda * (1 - f.p.Alpha)
	for range maxSweeps * 5 {
		if f.ctx.Err() != nil {
			return
		}
		var maxDelta float64
		for j := range P {
			gjj := G[j*P+j]
			if gjj == 0 {
				continue
			}
			var cur, nb float64
			if j == 0 {
				cur = *b0
				nb = (g[0] + gjj*cur) / gjj
			} else {
				cur = beta[j-1]
				nb = softThreshold(g[j]+gjj*cur, l1) / (gjj + l2)
			}
			d := nb - cur
			if d == 0 {
				continue
			}
			if j == 0 {
				*b0 = nb
			} else {
				beta[j-1] = nb
			}
			row := G[j*P : (j+1)*P]
			for k, v := range row {
				g[k] -= d * v
			}
			maxDelta = max(maxDelta, gjj*d*d)
		}
		if maxDelta < f.p.Tol {
			return
		}
	}
}

// cd runs coordinate descent on the weighted least-squares problem
// (1/2n) Σ w (z - b0 - xβ)² + penalty, updating beta and b0 in place. r is
// the residual z - b0 - xβ and is kept current.
func (f *fitter) cd(w, r, beta []float64, b0 *float64) {
	if len(f.x) <= maxCovWidth {
		f.cdCov(w, r, beta, b0, constWeight(w))
		return
	}
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
	for range maxSweeps {
		if f.ctx.Err() != nil {
			return
		}
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
	bound := false
	saved, savedB0 := make([]float64, len(beta)), b0
	for range f.p.MaxIter {
		if f.ctx.Err() != nil {
			break
		}
		f.eta(beta, b0, eta)
		dev := logisticDev(eta, y)
		if dev > prev && !bound {
			for h := 0; h < maxHalvings && dev > prev; h++ {
				for j := range beta {
					beta[j] = (beta[j] + saved[j]) / 2
				}
				b0 = (b0 + savedB0) / 2
				f.eta(beta, b0, eta)
				dev = logisticDev(eta, y)
			}
			if dev > prev {
				bound = true
				copy(beta, saved)
				b0 = savedB0
				f.eta(beta, b0, eta)
				dev = prev
			}
		} else if math.Abs(prev-dev) < devTol*math.Abs(dev)+1e-12 {
			break
		}
		prev = dev
		copy(saved, beta)
		savedB0 = b0
		for i, e := range eta {
			p := sigmoid(e)
			w[i] = boundWeight
			if !bound {
				w[i] = max(p*(1-p), minWeight)
			}
			r[i] = (y[i] - p) / w[i] // z - eta
		}
		f.cd(w, r, beta, &b0)
	}
	m.Intercept = []float64{b0}
	m.Coef = [][]float64{beta}
	return f.ctx.Err()
}

// logisticDev is the binomial deviance (halved) of linear predictors eta.
func logisticDev(eta, y []float64) float64 {
	var dev float64
	for i, e := range eta {
		p := sigmoid(e)
		dev -= y[i]*math.Log(max(p, 1e-300)) + (1-y[i])*math.Log(max(1-p, 1e-300))
	}
	return dev
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
	saved := make([]float64, len(f.x))
	dev := f.softmaxDev(betas, b0, etas, y, row, prob)
	for range f.p.MaxIter {
		if f.ctx.Err() != nil {
			break
		}
		start := dev
		// Block coordinate descent over the classes. Each class takes a
		// Newton (IRLS) step with the others fixed, halved while it makes
		// the deviance worse; when no halving helps, a bound (MM) step,
		// which never does.
		for c := range k {
			copy(saved, betas[c])
			savedB0 := b0[c]
			for _, bound := range []bool{false, true} {
				f.softmaxWorking(c, etas, y, row, prob, w, r, bound)
				f.cd(w, r, betas[c], &b0[c])
				d := f.classDev(c, betas, b0, etas, y, row, prob)
				for h := 0; h < maxHalvings && d > dev && !bound; h++ {
					for j := range betas[c] {
						betas[c][j] = (betas[c][j] + saved[j]) / 2
					}
					b0[c] = (b0[c] + savedB0) / 2
					d = f.classDev(c, betas, b0, etas, y, row, prob)
				}
				if d <= dev || bound {
					dev = d
					break
				}
				copy(betas[c], saved)
				b0[c] = savedB0
				dev = f.classDev(c, betas, b0, etas, y, row, prob)
			}
		}
		if math.Abs(start-dev) < devTol*math.Abs(dev)+1e-12 {
			break
		}
	}
	m.Intercept = b0
	m.Coef = betas
	return f.ctx.Err()
}

// softmaxWorking fills the IRLS weights and working residuals of class c
// at the current linear predictors: weights p(1-p), or the bound 1/4.
func (f *fitter) softmaxWorking(c int, etas [][]float64, y, row, prob, w, r []float64, bound bool) {
	k := len(etas)
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
		w[i] = boundWeight
		if !bound {
			w[i] = max(p*(1-p), minWeight)
		}
		r[i] = (t - p) / w[i]
	}
}

// classDev refreshes the linear predictor of class c only and returns the
// multinomial deviance.
func (f *fitter) classDev(c int, betas [][]float64, b0 []float64, etas [][]float64, y, row, prob []float64) float64 {
	f.eta(betas[c], b0[c], etas[c])
	var dev float64
	for i := range f.n {
		for cc := range etas {
			row[cc] = etas[cc][i]
		}
		softmax(row, prob)
		dev -= math.Log(max(prob[int(y[i])], 1e-300))
	}
	return dev
}

// softmaxDev refreshes etas and returns the multinomial deviance.
func (f *fitter) softmaxDev(betas [][]float64, b0 []float64, etas [][]float64, y, row, prob []float64) float64 {
	for c := range betas {
		f.eta(betas[c], b0[c], etas[c])
	}
	var dev float64
	for i := range f.n {
		for c := range betas {
			row[c] = etas[c][i]
		}
		softmax(row, prob)
		dev -= math.Log(max(prob[int(y[i])], 1e-300))
	}
	return dev
}

// constWeight returns w's value when every weight is the same, else 0.
func constWeight(w []float64) float64 {
	for _, v := range w[1:] {
		if v != w[0] {
			return 0
		}
	}
	return w[0]
}
