package gbm

import (
	"fmt"
	"math"
	"slices"
)

// gpair is the gradient and hessian of the loss of one row.
type gpair struct{ g, h float32 }

// objective is a loss: its gradients, its value and the link from margin to
// prediction. Margins and gradients of K outputs over n rows are
// output-major (output k, row i at k*n+i).
type objective interface {
	outputs() int
	checkLabels(y []float32) error
	baseScore(y []float32) []float64
	// gradients fills gh for rows [lo, hi).
	gradients(margin []float64, y []float32, gh []gpair, lo, hi int)
	// lossSum returns the summed loss of rows [lo, hi).
	lossSum(margin []float64, y []float32, lo, hi int) float64
	// finishLoss turns a summed loss over n rows into the reported metric.
	finishLoss(sum float64, n int) float64
	// transform turns the margins of one row (one per output) into
	// predictions in place.
	transform(row []float64)
}

func newObjective(p Params, y []float32) objective {
	switch p.Objective {
	case ObjectiveMulticlass:
		return multiclass{k: p.NumClass}
	case ObjectiveSquared:
		return squared{}
	case ObjectiveHuber:
		if p.HuberDelta > 0 {
			return &huber{delta: p.HuberDelta, metricDelta: p.HuberDelta}
		}
		d := autoHuberDelta(y)
		return &huber{delta: d, metricDelta: d, adaptive: true}
	}
	if w := p.ScalePosWeight; w > 0 && w != 1 {
		return binary{w: w}
	}
	return binary{}
}

const hessianFloor = 1e-16

// binary is the logistic loss; w > 0 weighs the positive rows (see
// Params.ScalePosWeight), 0 leaves them unweighted.
type binary struct{ w float64 }

func (binary) outputs() int { return 1 }

func (binary) checkLabels(y []float32) error {
	for i, v := range y {
		if v != 0 && v != 1 {
			return fmt.Errorf("row %d: binary label %v is not 0 or 1", i, v)
		}
	}
	return nil
}

func (o binary) baseScore(y []float32) []float64 {
	var s float64
	for _, v := range y {
		s += float64(v)
	}
	p := (s + 0.5) / (float64(len(y)) + 1)
	if o.w > 0 {
		// The weighted share of positives.
		p = (o.w*s + 0.5) / (o.w*s + float64(len(y)) - s + 1)
	}
	return []float64{math.Log(p / (1 - p))}
}

func (o binary) gradients(margin []float64, y []float32, gh []gpair, lo, hi int) {
	if o.w > 0 {
		for i := lo; i < hi; i++ {
			p := 1 / (1 + fastExp(-margin[i]))
			g, h := p-float64(y[i]), max(p*(1-p), hessianFloor)
			if y[i] == 1 {
				g, h = g*o.w, h*o.w
			}
			gh[i] = gpair{float32(g), float32(h)}
		}
		return
	}
	for i := lo; i < hi; i++ {
		p := 1 / (1 + fastExp(-margin[i]))
		gh[i] = gpair{float32(p - float64(y[i])), float32(max(p*(1-p), hessianFloor))}
	}
}

// lossSum is the log loss, the positive rows weighted by w when set (so
// that early stopping watches the loss the trees minimise).
func (o binary) lossSum(margin []float64, y []float32, lo, hi int) float64 {
	var s float64
	for i := lo; i < hi; i++ {
		// log(1+e^m) - y*m, computed without overflow.
		m := margin[i]
		l := softplus(m) - float64(y[i])*m
		if o.w > 0 && y[i] == 1 {
			l *= o.w
		}
		s += l
	}
	return s
}

func (binary) finishLoss(sum float64, n int) float64 { return sum / float64(n) }

func (binary) transform(row []float64) { row[0] = sigmoid(row[0]) }

func sigmoid(m float64) float64 { return 1 / (1 + math.Exp(-m)) }

// fastExp is e^x to about 1e-9 relative error, enough for gradients that
// are stored as float32; predictions and reported losses use math.Exp.
func fastExp(x float64) float64 {
	const (
		log2e = 1.4426950408889634
		ln2hi = 6.93147180369123816490e-01
		ln2lo = 1.90821492927058770002e-10
		limit = 700
	)
	x = max(-limit, min(limit, x))
	k := math.Floor(x*log2e + 0.5)
	f := x - k*ln2hi - k*ln2lo // |f| ≤ ln2/2
	// Taylor series of e^f to degree 8.
	p := 1 + f*(1+f*(1.0/2+f*(1.0/6+f*(1.0/24+f*(1.0/120+f*(1.0/720+f*(1.0/5040+f*(1.0/40320))))))))
	return p * math.Float64frombits(uint64(int64(k)+1023)<<52)
}

func softplus(m float64) float64 {
	if m > 0 {
		return m + math.Log1p(math.Exp(-m))
	}
	return math.Log1p(math.Exp(m))
}

type multiclass struct{ k int }

func (o multiclass) outputs() int { return o.k }

func (o multiclass) checkLabels(y []float32) error {
	for i, v := range y {
		if !(v >= 0 && int(v) < o.k && v == float32(int(v))) {
			return fmt.Errorf("row %d: class label %v is not an integer in [0, %d)", i, v, o.k)
		}
	}
	return nil
}

func (o multiclass) baseScore(y []float32) []float64 {
	counts := make([]float64, o.k)
	for _, v := range y {
		counts[int(v)]++
	}
	base := make([]float64, o.k)
	for k, c := range counts {
		base[k] = math.Log((c + 0.5) / (float64(len(y)) + 0.5*float64(o.k)))
	}
	return base
}

func (o multiclass) gradients(margin []float64, y []float32, gh []gpair, lo, hi int) {
	// Rows go in blocks of gradBlock: each output's margins and gradients
	// of a block are contiguous (the layout is output-major), so a block is
	// K sequential runs instead of K strided accesses per row. Each row's
	// arithmetic is the same as one row at a time, in the same order.
	n := len(y)
	K := o.k
	p := make([]float64, K*gradBlock) // p[k*gradBlock+j]: row i0+j, output k
	var mx, z [gradBlock]float64
	for i0 := lo; i0 < hi; i0 += gradBlock {
		nb := min(gradBlock, hi-i0)
		copy(mx[:nb], margin[i0:i0+nb])
		for k := 1; k < K; k++ {
			m := margin[k*n+i0 : k*n+i0+nb]
			for j, v := range m {
				mx[j] = max(mx[j], v)
			}
		}
		clear(z[:nb])
		for k := range K {
			m := margin[k*n+i0 : k*n+i0+nb]
			pk := p[k*gradBlock : k*gradBlock+nb]
			for j, v := range m {
				e := fastExp(v - mx[j])
				pk[j] = e
				z[j] += e
			}
		}
		for k := range K {
			pk := p[k*gradBlock : k*gradBlock+nb]
			out := gh[k*n+i0 : k*n+i0+nb]
			for j := range pk {
				q := pk[j] / z[j]
				g := q
				if int(y[i0+j]) == k {
					g -= 1
				}
				out[j] = gpair{float32(g), float32(max(q*(1-q), hessianFloor))}
			}
		}
	}
}

// gradBlock is the rows per block of the multiclass gradient pass.
const gradBlock = 64

func (o multiclass) lossSum(margin []float64, y []float32, lo, hi int) float64 {
	n := len(y)
	row := make([]float64, o.k)
	var s float64
	for i := lo; i < hi; i++ {
		for k := range row {
			row[k] = margin[k*n+i]
		}
		mx := slices.Max(row)
		var z float64
		for _, m := range row {
			z += math.Exp(m - mx)
		}
		s += math.Log(z) + mx - row[int(y[i])]
	}
	return s
}

func (multiclass) finishLoss(sum float64, n int) float64 { return sum / float64(n) }

func (multiclass) transform(row []float64) { softmax(row) }

func softmax(row []float64) {
	mx := slices.Max(row)
	var z float64
	for k, m := range row {
		e := math.Exp(m - mx)
		row[k] = e
		z += e
	}
	for k := range row {
		row[k] /= z
	}
}

func checkFinite(y []float32) error {
	for i, v := range y {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("row %d: label %v is not finite", i, v)
		}
	}
	return nil
}

type squared struct{}

func (squared) outputs() int                  { return 1 }
func (squared) checkLabels(y []float32) error { return checkFinite(y) }

func (squared) baseScore(y []float32) []float64 {
	var s float64
	for _, v := range y {
		s += float64(v)
	}
	return []float64{s / float64(len(y))}
}

func (squared) gradients(margin []float64, y []float32, gh []gpair, lo, hi int) {
	for i := lo; i < hi; i++ {
		gh[i] = gpair{float32(margin[i] - float64(y[i])), 1}
	}
}

func (squared) lossSum(margin []float64, y []float32, lo, hi int) float64 {
	var s float64
	for i := lo; i < hi; i++ {
		d := margin[i] - float64(y[i])
		s += d * d
	}
	return s
}

// finishLoss reports the root mean squared error.
func (squared) finishLoss(sum float64, n int) float64 { return math.Sqrt(sum / float64(n)) }
func (squared) transform([]float64)                   {}

// huber is the Huber loss: squared within delta of the target, linear
// beyond. Its hessian is taken as 1 everywhere, so a leaf's weight is the
// mean of the clipped residuals: an outlier pulls at most delta.
//
// With an automatic delta, delta follows the residuals as in scikit-learn's
// gradient boosting: before each round it is set to the 90th percentile of
// the absolute residuals, so that outliers stay clipped as the fit
// improves. The reported loss then uses a fixed metricDelta (1.345 robust
// standard deviations of y) so that rounds stay comparable.
type huber struct {
	delta, metricDelta float64
	adaptive           bool
	abs                []float32 // scratch for the percentile
}

// huberQuantile is the quantile of the absolute residuals used as the
// adaptive delta.
const huberQuantile = 0.9

func (*huber) outputs() int                  { return 1 }
func (*huber) checkLabels(y []float32) error { return checkFinite(y) }

func (*huber) baseScore(y []float32) []float64 { return []float64{median(y)} }

// startRound updates an adaptive delta from the current margins.
func (o *huber) startRound(margin []float64, y []float32) {
	if !o.adaptive {
		return
	}
	if o.abs == nil {
		o.abs = make([]float32, len(y))
	}
	for i, v := range y {
		o.abs[i] = float32(math.Abs(margin[i] - float64(v)))
	}
	d := float64(selectK(o.abs, int(huberQuantile*float64(len(y)-1))))
	if d > 0 {
		o.delta = d
	}
}

func (o *huber) gradients(margin []float64, y []float32, gh []gpair, lo, hi int) {
	for i := lo; i < hi; i++ {
		d := margin[i] - float64(y[i])
		d = max(-o.delta, min(o.delta, d))
		gh[i] = gpair{float32(d), 1}
	}
}

func (o *huber) lossSum(margin []float64, y []float32, lo, hi int) float64 {
	var s float64
	for i := lo; i < hi; i++ {
		d := math.Abs(margin[i] - float64(y[i]))
		if d <= o.metricDelta {
			s += 0.5 * d * d
		} else {
			s += o.metricDelta * (d - 0.5*o.metricDelta)
		}
	}
	return s
}

func (*huber) finishLoss(sum float64, n int) float64 { return sum / float64(n) }
func (*huber) transform([]float64)                   {}

// selectK returns the k-th smallest value of s (0-based), reordering s.
func selectK(s []float32, k int) float32 {
	lo, hi := 0, len(s)-1
	for lo < hi {
		// Median of three as pivot; Hoare partition.
		mid := int(uint(lo+hi) >> 1)
		a, b, c := s[lo], s[mid], s[hi]
		pivot := max(min(a, b), min(max(a, b), c))
		i, j := lo, hi
		for i <= j {
			for s[i] < pivot {
				i++
			}
			for s[j] > pivot {
				j--
			}
			if i <= j {
				s[i], s[j] = s[j], s[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return s[k]
		}
	}
	return s[k]
}

func median(y []float32) float64 {
	s := slices.Clone(y)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return float64(s[n/2])
	}
	return (float64(s[n/2-1]) + float64(s[n/2])) / 2
}

// autoHuberDelta is 1.345 robust standard deviations of y: the median
// absolute deviation from the median, scaled to a normal's sigma.
func autoHuberDelta(y []float32) float64 {
	m := median(y)
	dev := make([]float32, len(y))
	for i, v := range y {
		dev[i] = float32(math.Abs(float64(v) - m))
	}
	sigma := 1.4826 * median(dev)
	if !(sigma > 0) {
		return 1
	}
	return 1.345 * sigma
}
