package gbm

// hbin accumulates the gradient and hessian sums of one histogram bin.
type hbin struct{ g, h float64 }

// histParallelMin is the number of row×feature updates below which a
// histogram is built on one goroutine.
const histParallelMin = 1 << 15

// getHist returns a histogram buffer from the pool.
func (t *trainer) getHist() []hbin {
	if n := len(t.pool); n > 0 {
		h := t.pool[n-1]
		t.pool = t.pool[:n-1]
		return h
	}
	return make([]hbin, t.histLen)
}

func (t *trainer) putHist(h []hbin) {
	if h != nil {
		t.pool = append(t.pool, h)
	}
}

// buildHist fills h with the histograms of the sampled features over rows.
// Each feature is summed in row order by one goroutine, so the result does
// not depend on the number of threads.
func (t *trainer) buildHist(h []hbin, rows []uint32) {
	work := len(rows) * len(t.fsel)
	if t.threads == 1 || work < histParallelMin || len(t.blocks) == 1 {
		for _, blk := range t.blocks {
			t.histBlock(h, rows, blk)
		}
		return
	}
	parallelFor(len(t.blocks), t.threads, func(i int) {
		t.histBlock(h, rows, t.blocks[i])
	})
}

// histBlock builds the histograms of the features fsel[blk.lo:blk.hi].
func (t *trainer) histBlock(h []hbin, rows []uint32, blk featBlock) {
	// Clear the block's part of h.
	for _, f := range t.fsel[blk.lo:blk.hi] {
		clear(h[t.off[f]:t.off[f+1]])
	}
	if blk.contiguous {
		f0 := int(t.fsel[blk.lo])
		f1 := f0 + blk.hi - blk.lo
		histKernelContiguous(h, t.bins, t.nf, f0, rows, t.gh, t.off[f0:f1])
		return
	}
	histKernelList(h, t.bins, t.nf, rows, t.gh, t.fsel[blk.lo:blk.hi], t.off)
}

// histKernelContiguous adds the rows to the histograms of the consecutive
// features f0, f0+1, …, whose histogram offsets are offs.
func histKernelContiguous(h []hbin, bins []uint8, nf, f0 int, rows []uint32, gh []gpair, offs []int32) {
	w := len(offs)
	for _, r := range rows {
		p := gh[r]
		g, hh := float64(p.g), float64(p.h)
		base := int(r)*nf + f0
		row := bins[base : base+w : base+w]
		for j, b := range row {
			e := &h[int(offs[j])+int(b)]
			e.g += g
			e.h += hh
		}
	}
}

// histKernelList adds the rows to the histograms of the features in feats.
func histKernelList(h []hbin, bins []uint8, nf int, rows []uint32, gh []gpair, feats []int32, off []int32) {
	for _, r := range rows {
		p := gh[r]
		g, hh := float64(p.g), float64(p.h)
		row := bins[int(r)*nf : int(r)*nf+nf]
		for _, f := range feats {
			e := &h[int(off[f])+int(row[f])]
			e.g += g
			e.h += hh
		}
	}
}

// subtractHist sets big = big - small on the sampled features: the sibling's
// histogram from the parent's.
func (t *trainer) subtractHist(big, small []hbin) {
	if len(t.fsel) == t.nf {
		big, small = big[:t.histLen], small[:t.histLen]
		for i := range big {
			big[i].g -= small[i].g
			big[i].h -= small[i].h
		}
		return
	}
	for _, f := range t.fsel {
		b, s := big[t.off[f]:t.off[f+1]], small[t.off[f]:t.off[f+1]]
		for i := range b {
			b[i].g -= s[i].g
			b[i].h -= s[i].h
		}
	}
}
