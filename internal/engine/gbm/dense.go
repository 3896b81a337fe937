package gbm

import (
	"math"
	"unsafe"
)

// The dense layout stores each tree of depth D as a complete binary tree in
// heap order (children of node j at 2j+1 and 2j+2, leaves at level D), with
// a shallower leaf repeated under pass-through nodes. A node is 8 bytes:
// the column to read and a threshold; a row goes right when its key is
// greater. There is no child pointer to load and no branch on the data, so
// the walk of many rows at once is limited by throughput, not latency.
//
// Keys make one unsigned comparison do the work of a float comparison and a
// missing-value test. Every row holds two keys per feature: column f with
// missing values as the largest key (they go right) and column nf+f with
// missing values as the smallest (they go left); a node reads the column of
// its default direction. For raw floats the key is the float's bits in an
// order-preserving form; for binned rows it is the bin (or bin+1).

// denseMaxDepth bounds the trees kept in dense layout (2^D leaves each).
const denseMaxDepth = 12

type denseNode struct {
	off uint32 // byte offset of the key column in a walkGroup block
	thr uint32 // go right when key > thr
}

type denseTree struct {
	depth  int
	raw    []denseNode // 2^depth - 1 internal nodes, thresholds on float keys
	binned []denseNode // same, thresholds on bin keys
	leaves []float64   // 2^depth leaf values
}

type denseModel struct {
	trees []denseTree
}

// floatKey maps a float32 to a uint32 whose unsigned order is the float
// order (with -0 = +0); NaN maps to nanKey.
func floatKey(v float32, nanKey uint32) uint32 {
	if v != v {
		return nanKey
	}
	if v == 0 {
		v = 0 // -0 → +0
	}
	u := math.Float32bits(v)
	if u&(1<<31) != 0 {
		return ^u
	}
	return u | 1<<31
}

func newDenseModel(m *Model, f *flatModel) *denseModel {
	if f.hasCat {
		return nil
	}
	nf := int32(m.NumFeatures)
	d := &denseModel{trees: make([]denseTree, len(m.Trees))}
	for ti := range m.Trees {
		depth := int(f.depths[ti])
		if depth > denseMaxDepth {
			return nil
		}
		dt := denseTree{
			depth:  depth,
			raw:    make([]denseNode, 1<<depth-1),
			binned: make([]denseNode, 1<<depth-1),
			leaves: make([]float64, 1<<depth),
		}
		var fill func(src, dst, level int)
		fill = func(src, dst, level int) {
			n := &m.Trees[ti].Nodes[src]
			if level == depth {
				dt.leaves[dst-(1<<depth-1)] = n.Value
				return
			}
			if n.IsLeaf() {
				// Pass-through: nothing is greater than the largest key.
				dt.raw[dst] = denseNode{thr: math.MaxUint32}
				dt.binned[dst] = denseNode{thr: math.MaxUint32}
				fill(src, 2*dst+1, level+1)
				fill(src, 2*dst+2, level+1)
				return
			}
			col := uint32(n.Feature)
			bthr := uint32(n.Bin)
			if n.DefaultLeft {
				col += uint32(nf)
				bthr++
			}
			dt.raw[dst] = denseNode{off: col * walkGroup * 4, thr: floatKey(n.Threshold, 0)}
			dt.binned[dst] = denseNode{off: col * walkGroup, thr: bthr}
			fill(int(n.Left), 2*dst+1, level+1)
			fill(int(n.Right), 2*dst+2, level+1)
		}
		fill(0, 0, 0)
		d.trees[ti] = dt
	}
	return d
}

// Keys are laid out in groups of walkGroup rows, column-major within a
// group: key c of row i of a block is at (i/walkGroup)·2·nf·walkGroup +
// c·walkGroup + i%walkGroup. The rows of a group then read a column at
// constant offsets from one pointer. A short last group is padded with
// copies of its first row.
const walkGroup = 8

// rawKeys writes the keys of rows [r0, r1) of x (at most predictBlockSize).
func rawKeys(x *Matrix, r0, r1 int, keys []uint32) {
	nf := len(x.Cols)
	gsize := 2 * nf * walkGroup
	n := r1 - r0
	for j, col := range x.Cols {
		for i := 0; i < roundGroup(n); i++ {
			src := i
			if i >= n {
				src = i &^ (walkGroup - 1)
			}
			k := floatKey(col[r0+src], math.MaxUint32)
			at := i/walkGroup*gsize + j*walkGroup + i%walkGroup
			keys[at] = k
			if k == math.MaxUint32 {
				k = 0
			}
			keys[at+nf*walkGroup] = k
		}
	}
}

// binnedKeys is rawKeys for binned rows: missing bins are 255 in the first
// column and 0 in the second, where every other bin is shifted up by one.
func binnedKeys(bins []uint8, nf int, miss []uint8, keys []uint8) {
	n := len(bins) / nf
	gsize := 2 * nf * walkGroup
	for i := 0; i < roundGroup(n); i++ {
		src := i
		if i >= n {
			src = i &^ (walkGroup - 1)
		}
		row := bins[src*nf : (src+1)*nf]
		g := keys[i/walkGroup*gsize+i%walkGroup:]
		for j, b := range row {
			lo, hi := b, b+1
			if b == miss[j] {
				lo, hi = 255, 0
			}
			g[j*walkGroup] = lo
			g[(nf+j)*walkGroup] = hi
		}
	}
}

func roundGroup(n int) int { return (n + walkGroup - 1) &^ (walkGroup - 1) }

// walkDense adds the trees' outputs for the n rows of keys to acc (K
// outputs a row, already holding the base score). Each tree is walked by
// every group of the block before the next tree, so that its nodes stay in
// the L1 cache; each row still adds the trees in order.
func walkDense[T uint8 | uint32](d *denseModel, binned bool, keys []T, n, nf, K int, acc []float64) {
	var zero T
	gsize := 2 * nf * walkGroup
	if len(keys) < roundGroup(n)*2*nf || len(acc) < n*K || unsafe.Sizeof(zero)*walkGroup*uintptr(2*nf) > math.MaxUint32 {
		panic("gbm: walkDense: bad block")
	}
	for ti := range d.trees {
		t := &d.trees[ti]
		k := ti % K
		for g := 0; g < n; g += walkGroup {
			l := walkTree8[T](t, binned, unsafe.Pointer(&keys[g/walkGroup*gsize]))
			rows := min(walkGroup, n-g)
			if K == 1 && rows == walkGroup {
				a := acc[g : g+walkGroup : g+walkGroup]
				a[0] += l[0]
				a[1] += l[1]
				a[2] += l[2]
				a[3] += l[3]
				a[4] += l[4]
				a[5] += l[5]
				a[6] += l[6]
				a[7] += l[7]
				continue
			}
			for i := 0; i < rows; i++ {
				acc[(g+i)*K+k] += l[i]
			}
		}
	}
}

// walkTree8 returns the leaf values that the walkGroup rows of one key
// group reach in tree t. Positions are heap indices from 1: the children
// of j are 2j and 2j+1, node j is nodes[j-1], and after depth levels j -
// 2^depth indexes the leaves. Every position before the last level is in
// [1, len(nodes)] and every key offset inside the group, so the unchecked
// loads stay in bounds.
func walkTree8[T uint8 | uint32](t *denseTree, binned bool, kp unsafe.Pointer) (l [walkGroup]float64) {
	var zero T
	const sz = 8 // size of a denseNode
	j0, j1, j2, j3, j4, j5, j6, j7 := uint32(1), uint32(1), uint32(1), uint32(1), uint32(1), uint32(1), uint32(1), uint32(1)
	if t.depth > 0 {
		nodes := t.raw
		if binned {
			nodes = t.binned
		}
		np := unsafe.Pointer(&nodes[0])
		w := unsafe.Sizeof(zero)
		// A node is read as one 8-byte word: key offset low, threshold high.
		for level := t.depth; level > 0; level-- {
			n0 := *(*uint64)(unsafe.Add(np, uintptr(j0-1)*sz))
			n1 := *(*uint64)(unsafe.Add(np, uintptr(j1-1)*sz))
			n2 := *(*uint64)(unsafe.Add(np, uintptr(j2-1)*sz))
			n3 := *(*uint64)(unsafe.Add(np, uintptr(j3-1)*sz))
			j0 = 2*j0 + uint32(b2i(uint32(*(*T)(unsafe.Add(kp, uintptr(uint32(n0))))) > uint32(n0>>32)))
			j1 = 2*j1 + uint32(b2i(uint32(*(*T)(unsafe.Add(kp, uintptr(uint32(n1))+w))) > uint32(n1>>32)))
			j2 = 2*j2 + uint32(b2i(uint32(*(*T)(unsafe.Add(kp, uintptr(uint32(n2))+2*w))) > uint32(n2>>32)))
			j3 = 2*j3 + uint32(b2i(uint32(*(*T)(unsafe.Add(kp, uintptr(uint32(n3))+3*w))) > uint32(n3>>32)))
			n4 := *(*uint64)(unsafe.Add(np, uintptr(j4-1)*sz))
			n5 := *(*uint64)(unsafe.Add(np, uintptr(j5-1)*sz))
			n6 := *(*uint64)(unsafe.Add(np, uintptr(j6-1)*sz))
			n7 := *(*uint64)(unsafe.Add(np, uintptr(j7-1)*sz))
			j4 = 2*j4 + uint32(b2i(uint32(*(*T)(unsafe.Add(kp, uintptr(uint32(n4))+4*w))) > uint32(n4>>32)))
			j5 = 2*j5 + uint32(b2i(uint32(*(*T)(unsafe.Add(kp, uintptr(uint32(n5))+5*w))) > uint32(n5>>32)))
			j6 = 2*j6 + uint32(b2i(uint32(*(*T)(unsafe.Add(kp, uintptr(uint32(n6))+6*w))) > uint32(n6>>32)))
			j7 = 2*j7 + uint32(b2i(uint32(*(*T)(unsafe.Add(kp, uintptr(uint32(n7))+7*w))) > uint32(n7>>32)))
		}
	}
	lv := t.leaves
	first := uint32(len(lv))
	l[0], l[1], l[2], l[3] = lv[j0-first], lv[j1-first], lv[j2-first], lv[j3-first]
	l[4], l[5], l[6], l[7] = lv[j4-first], lv[j5-first], lv[j6-first], lv[j7-first]
	return l
}
