package gbm

import (
	"math"
	"sync"
)

// quantLimit bounds the quantisation levels: float32 gradients carry no
// more precision than that.
const quantLimit = 1 << 24

// quantise turns the gradients of the rows into packed integers for the
// histograms: g in [-q, q] and h in [0, q] levels, with q chosen so that the
// hessian sum of all rows stays below 2^31. Rounding is stochastic (and so
// unbiased), driven by a hash of the tree number and the row, so that the
// result does not depend on the number of threads.
func (t *trainer) quantise(rows []uint32, tree uint64) {
	q := float64(min(quantLimit, (math.MaxInt32-1)/max(len(rows), 1)))
	var gmax, hmax float64
	if t.updateByLeaf {
		// Every row is in the tree: the gradient pass found the maxima.
		gmax, hmax = t.gmax[t.outK], t.hmax[t.outK]
	} else {
		var mu sync.Mutex
		parallelRange(len(rows), t.threads, 8192, func(lo, hi int) {
			var gm, hm float64
			for _, r := range rows[lo:hi] {
				p := t.gh[r]
				gm = max(gm, math.Abs(float64(p.g)))
				hm = max(hm, float64(p.h))
			}
			mu.Lock()
			gmax, hmax = max(gmax, gm), max(hmax, hm)
			mu.Unlock()
		})
	}
	t.gscale, t.hscale = 1, 1
	if gmax > 0 {
		t.gscale = gmax / q
	}
	if hmax > 0 {
		t.hscale = hmax / q
	}
	gi, hi := 1/t.gscale, 1/t.hscale
	seed := t.seedBase ^ tree*0x9e3779b97f4a7c15
	parallelRange(len(rows), t.threads, 8192, func(lo, hi_ int) {
		for _, r := range rows[lo:hi_] {
			p := t.gh[r]
			u := splitmix64(seed + uint64(r))
			ug := float64(u>>40) * (1.0 / (1 << 24))
			uh := float64(u&(1<<24-1)) * (1.0 / (1 << 24))
			g := int32(math.Floor(float64(p.g)*gi + ug))
			h := int32(math.Floor(float64(p.h)*hi + uh))
			t.ghq[r] = pack(g, h)
		}
	})
}

func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}
