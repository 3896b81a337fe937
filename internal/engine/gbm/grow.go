package gbm

// sampleFeatures draws the features of the next tree.
func (t *trainer) sampleFeatures() {
	fsel := t.fsel[:0]
	if t.p.ColSample >= 1 {
		for f := 0; f < t.nf; f++ {
			fsel = append(fsel, int32(f))
		}
	} else {
		k := max(1, int(float64(t.nf)*t.p.ColSample+0.5))
		perm := t.rng.Perm(t.nf)[:k]
		for _, f := range perm {
			fsel = append(fsel, int32(f))
		}
		sortInt32(fsel)
	}
	t.setFeatures(fsel)
}

// setFeatures makes the sorted features fsel those of the next tree.
func (t *trainer) setFeatures(fsel []int32) {
	t.fsel = append(t.fsel[:0], fsel...)
	n := len(t.fsel)
	t.fselContiguous = t.fsel[n-1]-t.fsel[0] == int32(n-1)
}

func sortInt32(s []int32) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// buildTree grows one tree for output k on the rows t.rows[:nrows] and the
// features t.fsel, using the gradients in t.gh.
func (t *trainer) buildTree(k, nrows int) (Tree, error) {
	t.tree = Tree{Nodes: make([]Node, 1, 2<<min(t.p.MaxDepth, 8))}
	t.outK = k
	rows := t.rows[:nrows]
	t.quantise(rows, t.treeCount)
	t.treeCount++
	var total int64
	for _, r := range rows {
		total += t.ghq[r]
	}
	if _, h := t.sums(total); t.canSplit(0, nrows, h) {
		hist := t.getHist()
		t.buildHist(hist, rows)
		t.grow(0, 0, nrows, 0, hist, total)
	} else {
		t.leaf(0, 0, nrows)
	}
	if t.err != nil {
		t.leaves = t.leaves[:0]
		return Tree{}, t.err
	}
	t.finishLeaves()
	tree := t.tree
	tree.Depth = treeDepth(tree.Nodes, 0)
	t.tree = Tree{}
	return tree, nil
}

// canSplit reports whether a node at depth with n rows and hessian sum h
// may still be split (and so needs a histogram).
func (t *trainer) canSplit(depth, n int, h float64) bool {
	return depth < t.p.MaxDepth && n >= 2 && h >= 2*t.p.MinChildWeight
}

// leafSpan is a leaf waiting for its value: node i over t.rows[lo:hi].
type leafSpan struct{ i, lo, hi int }

// leaf makes node i a leaf over rows t.rows[lo:hi]; finishLeaves sets its
// value once the tree is grown.
func (t *trainer) leaf(i, lo, hi int) {
	t.tree.Nodes[i] = Node{Feature: -1}
	t.leaves = append(t.leaves, leafSpan{i, lo, hi})
}

// finishLeaves computes every leaf's value from the exact (not quantised)
// gradient sums of its rows and, without row subsampling, adds it to their
// margins. Leaves are independent, so they are done in parallel; each is
// summed in row order by one goroutine.
func (t *trainer) finishLeaves() {
	margin := t.margin[t.outK*t.n : (t.outK+1)*t.n]
	parallelFor(len(t.leaves), t.threads, func(li int) {
		l := t.leaves[li]
		rows := t.rows[l.lo:l.hi]
		var g, h float64
		for _, r := range rows {
			p := t.gh[r]
			g += float64(p.g)
			h += float64(p.h)
		}
		v := 0.0
		if len(rows) > 0 {
			v = t.leafWeight(g, h) * t.p.LearningRate
		}
		t.tree.Nodes[l.i] = Node{Feature: -1, Value: v, Hess: h}
		if !t.updateByLeaf {
			return
		}
		for _, r := range rows {
			margin[r] += v
		}
	})
	t.leaves = t.leaves[:0]
}

// grow splits node i (rows t.rows[lo:hi], histogram hist, packed sums
// total) and its descendants depth-first. It owns hist and returns it to
// the pool.
func (t *trainer) grow(i, lo, hi, depth int, hist []int64, total int64) {
	if t.err == nil {
		t.err = t.ctx.Err()
	}
	if t.err != nil {
		t.putHist(hist)
		return
	}
	sp, ok := t.findSplit(hist, total)
	if !ok {
		t.putHist(hist)
		t.leaf(i, lo, hi)
		return
	}
	mid := t.partition(lo, hi, &sp)
	left := len(t.tree.Nodes)
	t.tree.Nodes = append(t.tree.Nodes, Node{}, Node{})
	_, h := t.sums(total)
	n := Node{
		Feature: sp.feat, Bin: sp.bin, DefaultLeft: sp.defLeft,
		Left: int32(left), Right: int32(left + 1), Gain: sp.gain, Hess: h,
	}
	if sp.cat {
		n.CatLeft = append([]uint64(nil), sp.catLeft[:]...)
	} else {
		n.Threshold = t.feats[sp.feat].Cuts[sp.bin]
	}
	t.tree.Nodes[i] = n

	sumL, sumR := sp.left, total-sp.left
	_, hl := t.sums(sumL)
	_, hr := t.sums(sumR)
	nl, nr := mid-lo, hi-mid
	needL := t.canSplit(depth+1, nl, hl)
	needR := t.canSplit(depth+1, nr, hr)
	var histL, histR []int64
	if needL || needR {
		// Build the smaller child; the larger is the parent minus it.
		small := t.getHist()
		if nl <= nr {
			t.buildHist(small, t.rows[lo:mid])
			t.subtractHist(hist, small)
			histL, histR = small, hist
		} else {
			t.buildHist(small, t.rows[mid:hi])
			t.subtractHist(hist, small)
			histL, histR = hist, small
		}
		if !needL {
			t.putHist(histL)
		}
		if !needR {
			t.putHist(histR)
		}
	} else {
		t.putHist(hist)
	}
	if needL {
		t.grow(left, lo, mid, depth+1, histL, sumL)
	} else {
		t.leaf(left, lo, mid)
	}
	if needR {
		t.grow(left+1, mid, hi, depth+1, histR, sumR)
	} else {
		t.leaf(left+1, mid, hi)
	}
}

// partitionParallelMin is the node size from which partitions run on all
// threads.
const partitionParallelMin = 1 << 15

// partition reorders t.rows[lo:hi] stably so that the rows going left come
// first, and returns the index of the first row going right. It reads the
// column-major copy of the bins and does not branch on the data. Large
// nodes are cut into one chunk per thread: each chunk splits into its own
// part of the scratch buffer, then the parts are copied back in order.
func (t *trainer) partition(lo, hi int, sp *split) int {
	f := int(sp.feat)
	col := t.cbins[f*t.n : (f+1)*t.n]
	miss := uint8(t.feats[f].NumBins())
	var table [256]uint8 // 1 where the bin goes left
	for b := 0; b <= int(miss); b++ {
		if sp.goLeft(uint8(b), miss) {
			table[b] = 1
		}
	}
	rows := t.rows[lo:hi]
	scratch := t.scratch[lo:hi]
	chunks := min(t.threads, len(rows)/partitionParallelMin)
	if chunks <= 1 {
		nl := splitRows(rows, rows, scratch, col, &table)
		copy(rows[nl:], scratch[:len(rows)-nl])
		return lo + nl
	}
	// Chunk c splits rows[a:b] into scratch[a:a+nl] (left) and
	// scratch[a+nl:b] (right).
	bounds := make([]int, chunks+1)
	nls := make([]int, chunks)
	for c := range bounds {
		bounds[c] = c * len(rows) / chunks
	}
	parallelFor(chunks, chunks, func(c int) {
		a, b := bounds[c], bounds[c+1]
		nl := splitRows(rows[a:b], scratch[a:b], t.scratch2[lo+a:lo+b], col, &table)
		copy(scratch[a+nl:b], t.scratch2[lo+a:lo+a+(b-a-nl)])
		nls[c] = nl
	})
	leftTotal := 0
	for _, nl := range nls {
		leftTotal += nl
	}
	parallelFor(chunks, chunks, func(c int) {
		a, b := bounds[c], bounds[c+1]
		dl, dr := 0, leftTotal
		for d := 0; d < c; d++ {
			dl += nls[d]
			dr += bounds[d+1] - bounds[d] - nls[d]
		}
		copy(rows[dl:], scratch[a:a+nls[c]])
		copy(rows[dr:], scratch[a+nls[c]:b])
	})
	return lo + leftTotal
}

// splitRows writes the rows of src going left (table[bin] = 1) to the front
// of left, in order, and the others to the front of right; it returns how
// many went left. left may be src itself.
func splitRows(src, left, right []uint32, col []uint8, table *[256]uint8) int {
	right = right[:len(src)]
	nl, nr := 0, 0
	for _, r := range src {
		l := int(table[col[r]])
		left[nl] = r
		right[nr] = r
		nl += l
		nr += 1 - l
	}
	return nl
}
