package gbm

import "unsafe"

// Histograms hold, per feature and bin, the sums of the quantised gradient
// and hessian of the rows in a node, packed in one int64 so that the hot
// loop does one add per row and feature (LightGBM's quantised training):
// the gradient sum in the high 32 bits, the hessian sum (never negative,
// below 2^31) in the low 32. Sums and differences of packed values stay
// exact as long as the hessian sum fits, which quantise guarantees.
//
// Every feature has histStride slots: its value bins, then its missing bin.
const histStride = 256

// pack packs a quantised gradient and hessian.
func pack(g, h int32) int64 { return int64(g)<<32 + int64(h) }

// unpack splits a packed sum.
func unpack(v int64) (g, h int64) {
	h = int64(uint32(v))
	return (v - h) >> 32, h
}

// histParallelMin is the number of row×feature updates below which a
// histogram is built on one goroutine.
const histParallelMin = 1 << 15

// getHist returns a histogram buffer from the pool.
func (t *trainer) getHist() []int64 {
	if n := len(t.pool); n > 0 {
		h := t.pool[n-1]
		t.pool = t.pool[:n-1]
		return h
	}
	return make([]int64, t.nf*histStride)
}

func (t *trainer) putHist(h []int64) {
	if h != nil {
		t.pool = append(t.pool, h)
	}
}

// buildHist fills h with the histograms of the sampled features over rows.
// Large nodes are cut into one chunk of rows per thread: each chunk is
// summed into its own buffer, then the buffers are added up. Integer sums
// do not depend on order, so neither does the result on the number of
// threads.
func (t *trainer) buildHist(h []int64, rows []uint32) {
	chunks := 1
	if t.threads > 1 && len(rows)*len(t.fsel) >= histParallelMin {
		chunks = min(t.threads, max(1, len(rows)/histChunkMin))
	}
	if chunks == 1 {
		t.histRows(h, rows)
		return
	}
	for len(t.threadHists) < chunks-1 {
		t.threadHists = append(t.threadHists, make([]int64, t.nf*histStride))
	}
	parallelFor(chunks, chunks, func(c int) {
		part := rows[c*len(rows)/chunks : (c+1)*len(rows)/chunks]
		if c == 0 {
			t.histRows(h, part)
		} else {
			t.histRows(t.threadHists[c-1], part)
		}
	})
	// Add the other chunks' buffers into h, in parallel over features.
	parallelRange(len(t.fsel), chunks, 1, func(lo, hi int) {
		for _, f := range t.fsel[lo:hi] {
			o := int(f) * histStride
			dst := h[o : o+t.used[f]]
			for _, src := range t.threadHists[:chunks-1] {
				src := src[o : o+len(dst)]
				for i := range dst {
					dst[i] += src[i]
				}
			}
		}
	})
}

// histChunkMin is the fewest rows worth a chunk of their own.
const histChunkMin = 2048

// histRows sets h to the histograms of the sampled features over rows.
func (t *trainer) histRows(h []int64, rows []uint32) {
	// Only the slots in use need clearing: the kernels never write the others.
	for _, f := range t.fsel {
		o := int(f) * histStride
		clear(h[o : o+t.used[f]])
	}
	if t.fselContiguous {
		f0 := int(t.fsel[0])
		w := len(t.fsel)
		if len(rows) > 0 {
			histKernelContiguous(h, t.bins, t.nf, f0, w, rows, t.ghq)
		}
		return
	}
	histKernelList(h, t.bins, t.nf, rows, t.ghq, t.fsel)
}

// histKernelContiguous adds the rows to the histograms of the w consecutive
// features from f0. The bounds are checked by the caller: every row index
// is < len(bins)/nf, every bin < histStride, and f0+w ≤ nf.
func histKernelContiguous(h []int64, bins []uint8, nf, f0, w int, rows []uint32, ghq []int64) {
	_ = h[(f0+w)*histStride-1]
	hp := unsafe.Pointer(&h[f0*histStride])
	b0 := unsafe.Pointer(&bins[f0])
	w4 := w &^ 3
	const fs = histStride * 8 // bytes of one feature's histogram
	for _, r := range rows {
		v := ghq[r]
		bp := unsafe.Add(b0, int(r)*nf)
		// Offsets rather than moving pointers: a pointer may not step past
		// the end of its allocation.
		var ho uintptr
		j := 0
		for ; j < w4; j += 4 {
			x := uintptr(*(*uint32)(unsafe.Add(bp, j)))
			*(*int64)(unsafe.Add(hp, ho+(x&0xff)*8)) += v
			*(*int64)(unsafe.Add(hp, ho+fs+(x>>8&0xff)*8)) += v
			*(*int64)(unsafe.Add(hp, ho+2*fs+(x>>16&0xff)*8)) += v
			*(*int64)(unsafe.Add(hp, ho+3*fs+(x>>24)*8)) += v
			ho += 4 * fs
		}
		for ; j < w; j++ {
			b := uintptr(*(*uint8)(unsafe.Add(bp, j)))
			*(*int64)(unsafe.Add(hp, ho+b*8)) += v
			ho += fs
		}
	}
}

// histKernelList adds the rows to the histograms of the features in feats.
func histKernelList(h []int64, bins []uint8, nf int, rows []uint32, ghq []int64, feats []int32) {
	for _, r := range rows {
		v := ghq[r]
		row := bins[int(r)*nf : int(r)*nf+nf]
		for _, f := range feats {
			h[int(f)*histStride+int(row[f])] += v
		}
	}
}

// subtractHist sets big = big - small on the sampled features: the sibling's
// histogram from the parent's.
func (t *trainer) subtractHist(big, small []int64) {
	for _, f := range t.fsel {
		lo := int(f) * histStride
		b := big[lo : lo+t.used[f]]
		s := small[lo : lo+len(b)]
		for i := range b {
			b[i] -= s[i]
		}
	}
}
