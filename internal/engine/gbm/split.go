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
	gl, hl  float64 // sums of the left child
}

// leafScore is the loss reduction of the optimal weight of a node with sums
// g, h: T(g)²/(h+λ), where T soft-thresholds g by α.
func (t *trainer) leafScore(g, h float64) float64 {
	g = t.thresholdL1(g)
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

// findSplit returns the best split of a node with histogram h and sums g, h
// over the sampled features; ok is false when no split gains enough.
func (t *trainer) findSplit(hist []hbin, g, h float64) (best split, ok bool) {
	parent := t.leafScore(g, h)
	nfs := len(t.fsel)
	res := t.splitScratch[:nfs]
	eval := func(i int) {
		f := t.fsel[i]
		if t.feats[f].Categorical {
			res[i] = t.bestCategorical(hist, f, g, h, parent)
		} else {
			res[i] = t.bestNumeric(hist, f, g, h, parent)
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
func (t *trainer) bestNumeric(hist []hbin, f int32, g, h, parent float64) split {
	nb := int(t.off[f+1] - t.off[f] - 1)
	hs := hist[t.off[f]:t.off[f+1]]
	miss := hs[nb]
	hasMiss := miss.h != 0 || miss.g != 0
	mcw := t.p.MinChildWeight
	best := split{feat: f}
	var gl, hl float64
	for b := 0; b < nb-1; b++ {
		gl += hs[b].g
		hl += hs[b].h
		// Missing values right.
		if hl >= mcw && h-hl >= mcw {
			gain := t.leafScore(gl, hl) + t.leafScore(g-gl, h-hl) - parent
			if gain > best.gain {
				best.gain, best.bin, best.gl, best.hl = gain, uint8(b), gl, hl
				// With no missing value here, unseen ones follow the
				// heavier child.
				best.defLeft = !hasMiss && hl >= h-hl
			}
		}
		if !hasMiss {
			continue
		}
		// Missing values left.
		gm, hm := gl+miss.g, hl+miss.h
		if hm >= mcw && h-hm >= mcw {
			gain := t.leafScore(gm, hm) + t.leafScore(g-gm, h-hm) - parent
			if gain > best.gain {
				best.gain, best.bin, best.gl, best.hl, best.defLeft = gain, uint8(b), gm, hm, true
			}
		}
	}
	return best
}

// bestCategorical orders the categories present in the node by smoothed
// mean gradient and takes the best prefix of that order as the left set
// (the optimal partition for a convex loss, as in LightGBM), trying the
// missing values on either side.
func (t *trainer) bestCategorical(hist []hbin, f int32, g, h, parent float64) split {
	nb := int(t.off[f+1] - t.off[f] - 1)
	hs := hist[t.off[f]:t.off[f+1]]
	miss := hs[nb]
	hasMiss := miss.h != 0 || miss.g != 0
	best := split{feat: f, cat: true}
	order := make([]uint8, 0, nb)
	for b := 0; b < nb; b++ {
		if hs[b].h > 0 {
			order = append(order, uint8(b))
		}
	}
	if len(order) < 2 {
		return best
	}
	key := func(b uint8) float64 { return hs[b].g / (hs[b].h + catSmooth) }
	slices.SortFunc(order, func(a, b uint8) int {
		ka, kb := key(a), key(b)
		switch {
		case ka < kb:
			return -1
		case ka > kb:
			return 1
		}
		return int(a) - int(b)
	})
	mcw := t.p.MinChildWeight
	var gl, hl float64
	bestK := -1
	for k := 0; k+1 < len(order); k++ {
		b := order[k]
		gl += hs[b].g
		hl += hs[b].h
		if hl >= mcw && h-hl >= mcw {
			gain := t.leafScore(gl, hl) + t.leafScore(g-gl, h-hl) - parent
			if gain > best.gain {
				best.gain, best.gl, best.hl, bestK = gain, gl, hl, k
				best.defLeft = !hasMiss && hl >= h-hl
			}
		}
		if !hasMiss {
			continue
		}
		gm, hm := gl+miss.g, hl+miss.h
		if hm >= mcw && h-hm >= mcw {
			gain := t.leafScore(gm, hm) + t.leafScore(g-gm, h-hm) - parent
			if gain > best.gain {
				best.gain, best.gl, best.hl, bestK, best.defLeft = gain, gm, hm, k, true
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
