package gbm

import "slices"

// minSplitGain is the smallest loss reduction worth a split.
const minSplitGain = 1e-6

// catSmooth is added to a category's hessian sum when categories are ordered
// by mean gradient, so that rare categories are not put at the ends on
// noise (LightGBM's cat_smooth).
const catSmooth = 10

// split is the best split found for a node.
type split struct {
	gain    float64
	feat    int32
	bin     uint8
	cat     bool
	catLeft [4]uint64
	defLeft bool
	left    int64 // packed quantised sums of the left child
}

// leafScore is the loss reduction of the optimal weight of a node with sums
// g, h: T(g)²/(h+λ), where T soft-thresholds g by α.
func (t *trainer) leafScore(g, h float64) float64 {
	if t.p.Alpha != 0 {
		g = t.thresholdL1(g)
	}
	return g * g / (h + t.p.Lambda)
}

func (t *trainer) thresholdL1(g float64) float64 {
	a := t.p.Alpha
	switch {
	case a == 0:
		return g
	case g > a:
		return g - a
	case g < -a:
		return g + a
	}
	return 0
}

// leafWeight is the optimal (unshrunk) weight of a node with sums g, h.
func (t *trainer) leafWeight(g, h float64) float64 {
	return -t.thresholdL1(g) / (h + t.p.Lambda)
}

// sums converts packed quantised sums to gradient and hessian sums.
func (t *trainer) sums(v int64) (g, h float64) {
	gq, hq := unpack(v)
	return float64(gq) * t.gscale, float64(hq) * t.hscale
}

// findSplit returns the best split of a node with histogram hist and packed
// sums total over the sampled features; ok is false when no split gains
// enough.
func (t *trainer) findSplit(hist []int64, total int64) (best split, ok bool) {
	nfs := len(t.fsel)
	res := t.splitScratch[:nfs]
	eval := func(i int) {
		f := t.fsel[i]
		if t.feats[f].Categorical {
			res[i] = t.bestCategorical(hist, f, total)
		} else {
			res[i] = t.bestNumeric(hist, f, total)
		}
	}
	if t.threads > 1 && nfs*int(t.maxBins) >= 1<<13 {
		parallelRange(nfs, t.threads, 4, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				eval(i)
			}
		})
	} else {
		for i := range nfs {
			eval(i)
		}
	}
	best.gain = minSplitGain
	for i := range res {
		if res[i].gain > best.gain {
			best = res[i]
			ok = true
		}
	}
	return best, ok
}

// bestNumeric scans the bins of numeric feature f left to right, trying the
// missing values on either side.
func (t *trainer) bestNumeric(hist []int64, f int32, total int64) split {
	nb := t.feats[f].NumBins()
	hs := hist[int(f)*histStride : int(f)*histStride+nb+1]
	miss := hs[nb]
	hasMiss := miss != 0
	g, h := t.sums(total)
	parent := t.leafScore(g, h)
	mcw := t.p.MinChildWeight
	best := split{feat: f}
	var acc int64
	for b := 0; b < nb-1; b++ {
		if hs[b] == 0 {
			// An empty bin moves no row: same split as the bin before.
			continue
		}
		acc += hs[b]
		gl, hl := t.sums(acc)
		if h-hl < mcw {
			// The right side (with or without the missing values) only
			// shrinks from here on.
			break
		}
		// Missing values right.
		if hl >= mcw && h-hl >= mcw {
			gain := t.leafScore(gl, hl) + t.leafScore(g-gl, h-hl) - parent
			if gain > best.gain {
				best.gain, best.bin, best.left = gain, uint8(b), acc
				// With no missing value here, unseen ones follow the
				// heavier child.
				best.defLeft = !hasMiss && hl >= h-hl
			}
		}
		if !hasMiss {
			continue
		}
		// Missing values left.
		gl, hl = t.sums(acc + miss)
		if hl >= mcw && h-hl >= mcw {
			gain := t.leafScore(gl, hl) + t.leafScore(g-gl, h-hl) - parent
			if gain > best.gain {
				best.gain, best.bin, best.left, best.defLeft = gain, uint8(b), acc+miss, true
			}
		}
	}
	return best
}

// bestCategorical orders the categories present in the node by smoothed
// mean gradient and takes the best prefix of that order as the left set
// (the optimal partition for a convex loss, as in LightGBM), trying the
// missing values on either side.
func (t *trainer) bestCategorical(hist []int64, f int32, total int64) split {
	nb := t.feats[f].NumBins()
	hs := hist[int(f)*histStride : int(f)*histStride+nb+1]
	miss := hs[nb]
	hasMiss := miss != 0
	g, h := t.sums(total)
	parent := t.leafScore(g, h)
	best := split{feat: f, cat: true}
	order := make([]uint8, 0, nb)
	keys := make([]float64, nb)
	for b := 0; b < nb; b++ {
		if hs[b] != 0 {
			order = append(order, uint8(b))
			gb, hb := t.sums(hs[b])
			keys[b] = gb / (hb + catSmooth)
		}
	}
	if len(order) < 2 {
		return best
	}
	slices.SortFunc(order, func(a, b uint8) int {
		ka, kb := keys[a], keys[b]
		switch {
		case ka < kb:
			return -1
		case ka > kb:
			return 1
		}
		return int(a) - int(b)
	})
	mcw := t.p.MinChildWeight
	var acc int64
	bestK := -1
	for k := 0; k+1 < len(order); k++ {
		acc += hs[order[k]]
		gl, hl := t.sums(acc)
		if hl >= mcw && h-hl >= mcw {
			gain := t.leafScore(gl, hl) + t.leafScore(g-gl, h-hl) - parent
			if gain > best.gain {
				best.gain, best.left, bestK = gain, acc, k
				best.defLeft = !hasMiss && hl >= h-hl
			}
		}
		if !hasMiss {
			continue
		}
		gl, hl = t.sums(acc + miss)
		if hl >= mcw && h-hl >= mcw {
			gain := t.leafScore(gl, hl) + t.leafScore(g-gl, h-hl) - parent
			if gain > best.gain {
				best.gain, best.left, bestK, best.defLeft = gain, acc+miss, k, true
			}
		}
	}
	for _, b := range order[:bestK+1] {
		best.catLeft[b>>6] |= 1 << (b & 63)
	}
	return best
}

// goLeft reports whether bin b (of the split's feature, whose missing bin is
// miss) goes left.
func (s *split) goLeft(b, miss uint8) bool {
	if b == miss {
		return s.defLeft
	}
	if s.cat {
		return s.catLeft[b>>6]&(1<<(b&63)) != 0
	}
	return b <= s.bin
}
