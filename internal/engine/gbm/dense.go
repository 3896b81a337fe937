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
	col uint32 // key column: feature, or nf+feature when missing goes left
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
			dt.raw[dst] = denseNode{col: col, thr: floatKey(n.Threshold, 0)}
			dt.binned[dst] = denseNode{col: col, thr: bthr}
			fill(int(n.Left), 2*dst+1, level+1)
			fill(int(n.Right), 2*dst+2, level+1)
		}
		fill(0, 0, 0)
		d.trees[ti] = dt
	}
	return d
}

// rawKeys writes the two key columns of rows [r0, r1) of x into keys, row
// by row (2·nf keys a row).
func rawKeys(x *Matrix, r0, r1 int, keys []uint32) {
	nf := len(x.Cols)
	w := 2 * nf
	for j, col := range x.Cols {
		for i, v := range col[r0:r1] {
			k := floatKey(v, math.MaxUint32)
			keys[i*w+j] = k
			if k == math.MaxUint32 {
				k = 0
			}
			keys[i*w+nf+j] = k
		}
	}
}

// binnedKeys is rawKeys for binned rows: missing bins are 255 in the first
// column and 0 in the second, where every other bin is shifted up by one.
func binnedKeys(bins []uint8, nf int, miss []uint8, keys []uint8) {
	w := 2 * nf
	n := len(bins) / nf
	for i := 0; i < n; i++ {
		row := bins[i*nf : (i+1)*nf]
		out := keys[i*w : (i+1)*w]
		for j, b := range row {
			if b == miss[j] {
				out[j], out[nf+j] = 255, 0
			} else {
				out[j], out[nf+j] = b, b+1
			}
		}
	}
}

// walkDense adds the trees' outputs for the n rows of keys (2·nf a row) to
// acc (K outputs a row, already holding the base score). All rows advance
// one level at a time, so their walks overlap in the CPU.
func walkDense[T uint8 | uint32](d *denseModel, binned bool, keys []T, n, nf, K int, acc []float64) {
	// Positions are heap indices from 1: the children of j are 2j and
	// 2j+1, node j is nodes[j-1], and the leaves of a depth-D tree are
	// 2^D … 2^(D+1)-1.
	var pos [predictBlockSize]uint32
	if n == 0 {
		return
	}
	if n > predictBlockSize || len(keys) < n*2*nf || len(acc) < n*K {
		panic("gbm: walkDense: bad block")
	}
	var zero T
	stride := uintptr(2*nf) * unsafe.Sizeof(zero)
	size := unsafe.Sizeof(zero)
	kp := unsafe.Pointer(&keys[0])
	for ti := range d.trees {
		t := &d.trees[ti]
		nodes := t.raw
		if binned {
			nodes = t.binned
		}
		p := pos[:n]
		for i := range p {
			p[i] = 1
		}
		if t.depth > 0 {
			// Every position reached before the last level is in
			// [1, len(nodes)] and every column < 2·nf, so the loads below
			// stay in bounds.
			np := unsafe.Add(unsafe.Pointer(&nodes[0]), -int(unsafe.Sizeof(denseNode{})))
			for level := 0; level < t.depth; level++ {
				if size == 1 {
					stepLevel8(p, np, kp, stride)
				} else {
					stepLevel32(p, np, kp, stride)
				}
			}
		}
		leaves := t.leaves
		first := uint32(len(leaves))
		k := ti % K
		for i, j := range p {
			acc[i*K+k] += leaves[j-first]
		}
	}
}

// stepLevel8 moves every position one level down, on uint8 keys with
// stride bytes a row. np points one node before the tree's first node.
//
//go:noinline
func stepLevel8(p []uint32, np, kp unsafe.Pointer, stride uintptr) {
	for i, j := range p {
		nd := (*denseNode)(unsafe.Add(np, uintptr(j)*8))
		key := *(*uint8)(unsafe.Add(kp, uintptr(nd.col)))
		p[i] = 2*j + uint32(b2i(uint32(key) > nd.thr))
		kp = unsafe.Add(kp, stride)
	}
}

// stepLevel32 is stepLevel8 on uint32 keys.
//
//go:noinline
func stepLevel32(p []uint32, np, kp unsafe.Pointer, stride uintptr) {
	for i, j := range p {
		nd := (*denseNode)(unsafe.Add(np, uintptr(j)*8))
		key := *(*uint32)(unsafe.Add(kp, uintptr(nd.col)*4))
		p[i] = 2*j + uint32(b2i(key > nd.thr))
		kp = unsafe.Add(kp, stride)
	}
}
