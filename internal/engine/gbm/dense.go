package gbm

import (
	endian "encoding/binary"
	"math"
	"unsafe"
)

// The dense layout stores each tree of depth D as a complete binary tree in
// heap order from 1 (children of node j at 2j and 2j+1), in one array of
// 2^(D+1) words: word j for 1 ≤ j < 2^D is an internal node, word j for
// 2^D ≤ j < 2^(D+1) the bits of a leaf value (word 0 is unused). A
// shallower leaf is repeated under pass-through nodes. A node word holds
// the byte offset of the key to read in its low half and a threshold in its
// high half; a row goes right (j = 2j+1) when its key is greater, else left
// (j = 2j). After D levels j indexes the leaf in the same array: there is
// no child pointer and no branch on the data.
//
// Keys make one unsigned comparison do the work of a float comparison and a
// missing-value test. Every row holds two keys per feature: column f with
// missing values as the largest key (they go right) and column nf+f with
// missing values as the smallest (they go left); a node reads the column of
// its default direction. For raw floats the key is the float's bits in an
// order-preserving form; for binned rows it is the bin (or bin+1).
//
// Rows are walked in groups of walkGroup, tree by tree: the keys of a group
// are column-major (key c of row i at c·walkGroup + i), so the rows of a
// group read a column at constant offsets from one pointer. A group walks a
// tile of trees with its sums in registers (on amd64, dense_amd64.s), and
// the tile's nodes stay in the L1 cache while the groups of a block pass.

// denseMaxDepth bounds the trees kept in dense layout (2^D leaves each).
const denseMaxDepth = 12

// walkGroup is the number of rows walked together.
const walkGroup = 8

// denseTile is the number of trees a group walks before the next group.
const denseTile = 8

// treeRef is what the walk kernels read of a tree; dense_amd64.s knows its
// layout (words at 0, depth at 8).
type treeRef struct {
	words *uint64 // 2 << depth words
	depth int
}

type denseTree struct {
	depth  int
	raw    []uint64 // thresholds on float keys
	binned []uint64 // thresholds on bin keys
}

type denseModel struct {
	trees []denseTree
	// raw[k] and binned[k] are the trees of output k in boosting order.
	raw, binned [][]treeRef
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

// passRight is the threshold of a pass-through node: no key is greater
// (raw keys of non-missing values are below it; bin keys are at most 255).
const passRight = math.MaxUint32

func newDenseModel(m *Model, f *flatModel) *denseModel {
	if f.hasCat || uint64(m.NumFeatures)*2*walkGroup*4 > math.MaxUint32 {
		return nil
	}
	nf := uint64(m.NumFeatures)
	K := m.Outputs()
	d := &denseModel{trees: make([]denseTree, len(m.Trees)), raw: make([][]treeRef, K), binned: make([][]treeRef, K)}
	for ti := range m.Trees {
		depth := int(f.depths[ti])
		if depth > denseMaxDepth {
			return nil
		}
		dt := denseTree{
			depth:  depth,
			raw:    make([]uint64, 2<<depth),
			binned: make([]uint64, 2<<depth),
		}
		var fill func(src, dst, level int)
		fill = func(src, dst, level int) {
			n := &m.Trees[ti].Nodes[src]
			if level == depth {
				dt.raw[dst] = math.Float64bits(n.Value)
				dt.binned[dst] = dt.raw[dst]
				return
			}
			if n.IsLeaf() {
				dt.raw[dst] = passRight << 32
				dt.binned[dst] = passRight << 32
				fill(src, 2*dst, level+1)
				fill(src, 2*dst+1, level+1)
				return
			}
			col := uint64(n.Feature)
			bthr := uint64(n.Bin)
			if n.DefaultLeft {
				col += nf
				bthr++
			}
			dt.raw[dst] = col*walkGroup*4 | uint64(floatKey(n.Threshold, 0))<<32
			dt.binned[dst] = col*walkGroup | bthr<<32
			fill(int(n.Left), 2*dst, level+1)
			fill(int(n.Right), 2*dst+1, level+1)
		}
		fill(0, 1, 0)
		d.trees[ti] = dt
		k := ti % K
		d.raw[k] = append(d.raw[k], treeRef{&dt.raw[0], depth})
		d.binned[k] = append(d.binned[k], treeRef{&dt.binned[0], depth})
	}
	return d
}

// A block's keys are built together, for long runs through the columns of
// a raw Matrix, and walked denseWalkBytes of keys at a time: those keys and
// a tile of trees are what must stay in the L1 cache while every tile
// passes. (Tuned on the 200k × 50 benchmark: tiles of 8 trees beat 16 by
// about 5 %; 8 to 24 KiB walked at a time are within 3 %.)
const (
	denseKeyBytes  = 128 << 10
	denseWalkBytes = 16 << 10
)

// denseBlockRows returns the rows per block for nf features and keys of w
// bytes: a multiple of walkGroup, about denseKeyBytes of keys.
func denseBlockRows(nf, w int) int {
	return denseRows(denseKeyBytes, nf, w, 256)
}

// denseRows returns a multiple of walkGroup rows in [walkGroup, limit]
// whose keys fill about bytes.
func denseRows(bytes, nf, w, limit int) int {
	rows := bytes / (2 * nf * w) &^ (walkGroup - 1)
	return min(max(rows, walkGroup), limit)
}

// denseScratch is the per-goroutine memory of the dense walk.
type denseScratch struct {
	keys32 []uint32
	keys8  []uint8
	acc    []float64 // output-major: output k of row i at k·rows + i
}

// predictDense writes the margins of rows [r0, r1) (at most one block) to
// out, from x when it is not nil, else from b.
func (d *denseModel) predictDense(m *Model, x *Matrix, b *Binned, miss []uint8, r0, r1 int, out []float64, s *denseScratch) {
	nf := m.NumFeatures
	K := m.Outputs()
	n := r1 - r0
	ng := (n + walkGroup - 1) / walkGroup
	rows := ng * walkGroup
	gsize := 2 * nf * walkGroup
	if cap(s.acc) < K*rows {
		s.acc = make([]float64, K*rows)
	}
	acc := s.acc[:K*rows]
	for k := 0; k < K; k++ {
		a := acc[k*rows : (k+1)*rows]
		for i := range a {
			a[i] = m.BaseScore[k]
		}
	}
	if x != nil {
		if len(s.keys32) < ng*gsize {
			s.keys32 = make([]uint32, ng*gsize)
		}
		keys := s.keys32[:ng*gsize]
		rawKeys(x, r0, r1, keys)
		sub := denseRows(denseWalkBytes, nf, 4, rows) / walkGroup
		for g := 0; g < ng; g += sub {
			g1 := min(g+sub, ng)
			for k := 0; k < K; k++ {
				walkTrees32(d.raw[k], keys[g*gsize:g1*gsize], g1-g, acc[k*rows+g*walkGroup:k*rows+g1*walkGroup])
			}
		}
	} else {
		if len(s.keys8) < ng*gsize {
			s.keys8 = make([]uint8, ng*gsize)
		}
		keys := s.keys8[:ng*gsize]
		binnedKeys(b.bins[r0*nf:r1*nf], nf, miss, keys)
		sub := denseRows(denseWalkBytes, nf, 1, rows) / walkGroup
		for g := 0; g < ng; g += sub {
			g1 := min(g+sub, ng)
			for k := 0; k < K; k++ {
				walkTrees8(d.binned[k], keys[g*gsize:g1*gsize], g1-g, acc[k*rows+g*walkGroup:k*rows+g1*walkGroup])
			}
		}
	}
	dst := out[r0*K : r1*K]
	if K == 1 {
		copy(dst, acc[:n])
		return
	}
	for k := 0; k < K; k++ {
		a := acc[k*rows : k*rows+n]
		for i, v := range a {
			dst[i*K+k] = v
		}
	}
}

// walkTrees32 adds the leaf values that the ng groups of raw keys reach in
// each tree of refs, in order, to acc (one value a row, ng·walkGroup rows).
func walkTrees32(refs []treeRef, keys []uint32, ng int, acc []float64) {
	if len(refs) == 0 || ng == 0 {
		return
	}
	gsize := len(keys) / ng
	if len(keys) != ng*gsize || len(acc) != ng*walkGroup || uint64(gsize)*4 > math.MaxUint32 {
		panic("gbm: walkTrees32: bad block")
	}
	for t := 0; t < len(refs); t += denseTile {
		tile := refs[t:min(t+denseTile, len(refs))]
		walkTile32(tile, keys, ng, gsize, acc)
	}
}

// walkTrees8 is walkTrees32 for bin keys.
func walkTrees8(refs []treeRef, keys []uint8, ng int, acc []float64) {
	if len(refs) == 0 || ng == 0 {
		return
	}
	gsize := len(keys) / ng
	if len(keys) != ng*gsize || len(acc) != ng*walkGroup || uint64(gsize) > math.MaxUint32 {
		panic("gbm: walkTrees8: bad block")
	}
	for t := 0; t < len(refs); t += denseTile {
		tile := refs[t:min(t+denseTile, len(refs))]
		walkTile8(tile, keys, ng, gsize, acc)
	}
}

// walkTileGo is the portable walk of a tile of trees: for each group, each
// tree in order adds its leaf to the group's rows. Node words are trusted:
// every position before the last level is below 2^depth and every key
// offset inside a group (newDenseModel builds them so).
func walkTileGo[T uint8 | uint32](refs []treeRef, keys []T, ng, gsize int, acc []float64) {
	var zero T
	w := unsafe.Sizeof(zero)
	for g := 0; g < ng; g++ {
		kp := unsafe.Pointer(&keys[g*gsize])
		a := acc[g*walkGroup : (g+1)*walkGroup : (g+1)*walkGroup]
		a0, a1, a2, a3, a4, a5, a6, a7 := a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]
		for _, r := range refs {
			np := unsafe.Pointer(r.words)
			j0, j1, j2, j3, j4, j5, j6, j7 := uintptr(1), uintptr(1), uintptr(1), uintptr(1), uintptr(1), uintptr(1), uintptr(1), uintptr(1)
			for level := r.depth; level > 0; level-- {
				n0 := *(*uint64)(unsafe.Add(np, j0*8))
				n1 := *(*uint64)(unsafe.Add(np, j1*8))
				n2 := *(*uint64)(unsafe.Add(np, j2*8))
				n3 := *(*uint64)(unsafe.Add(np, j3*8))
				j0 = 2*j0 + uintptr((n0>>32-uint64(*(*T)(unsafe.Add(kp, uintptr(uint32(n0))))))>>63)
				j1 = 2*j1 + uintptr((n1>>32-uint64(*(*T)(unsafe.Add(kp, uintptr(uint32(n1))+w))))>>63)
				j2 = 2*j2 + uintptr((n2>>32-uint64(*(*T)(unsafe.Add(kp, uintptr(uint32(n2))+2*w))))>>63)
				j3 = 2*j3 + uintptr((n3>>32-uint64(*(*T)(unsafe.Add(kp, uintptr(uint32(n3))+3*w))))>>63)
				n4 := *(*uint64)(unsafe.Add(np, j4*8))
				n5 := *(*uint64)(unsafe.Add(np, j5*8))
				n6 := *(*uint64)(unsafe.Add(np, j6*8))
				n7 := *(*uint64)(unsafe.Add(np, j7*8))
				j4 = 2*j4 + uintptr((n4>>32-uint64(*(*T)(unsafe.Add(kp, uintptr(uint32(n4))+4*w))))>>63)
				j5 = 2*j5 + uintptr((n5>>32-uint64(*(*T)(unsafe.Add(kp, uintptr(uint32(n5))+5*w))))>>63)
				j6 = 2*j6 + uintptr((n6>>32-uint64(*(*T)(unsafe.Add(kp, uintptr(uint32(n6))+6*w))))>>63)
				j7 = 2*j7 + uintptr((n7>>32-uint64(*(*T)(unsafe.Add(kp, uintptr(uint32(n7))+7*w))))>>63)
			}
			a0 += math.Float64frombits(*(*uint64)(unsafe.Add(np, j0*8)))
			a1 += math.Float64frombits(*(*uint64)(unsafe.Add(np, j1*8)))
			a2 += math.Float64frombits(*(*uint64)(unsafe.Add(np, j2*8)))
			a3 += math.Float64frombits(*(*uint64)(unsafe.Add(np, j3*8)))
			a4 += math.Float64frombits(*(*uint64)(unsafe.Add(np, j4*8)))
			a5 += math.Float64frombits(*(*uint64)(unsafe.Add(np, j5*8)))
			a6 += math.Float64frombits(*(*uint64)(unsafe.Add(np, j6*8)))
			a7 += math.Float64frombits(*(*uint64)(unsafe.Add(np, j7*8)))
		}
		a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7] = a0, a1, a2, a3, a4, a5, a6, a7
	}
}

// rawKeys writes the keys of rows [r0, r1) of x, padded to whole groups
// with copies of the group's first row.
func rawKeys(x *Matrix, r0, r1 int, keys []uint32) {
	nf := len(x.Cols)
	gsize := 2 * nf * walkGroup
	n := r1 - r0
	full := n &^ (walkGroup - 1)
	for j, col := range x.Cols {
		col = col[r0:r1]
		rawKeyColumn(col[:full], keys, gsize, j*walkGroup, nf*walkGroup)
		if full < n {
			at := full/walkGroup*gsize + j*walkGroup
			lo := keys[at : at+walkGroup : at+walkGroup]
			at += nf * walkGroup
			hi := keys[at : at+walkGroup : at+walkGroup]
			for i := range walkGroup {
				src := full + i
				if src >= n {
					src = full
				}
				lo[i], hi[i] = keyPair(col[src])
			}
		}
	}
}

// rawKeyColumnGo writes the keys of the values c of one feature, whole
// groups of them: those of group g at keys[g·gsize+off:] (missing values
// largest) and keys[g·gsize+off+hiOff:] (missing values smallest).
func rawKeyColumnGo(c []float32, keys []uint32, gsize, off, hiOff int) {
	for g := 0; g+walkGroup <= len(c); g += walkGroup {
		at := g/walkGroup*gsize + off
		lo := keys[at : at+walkGroup : at+walkGroup]
		hi := keys[at+hiOff : at+hiOff+walkGroup : at+hiOff+walkGroup]
		v := c[g : g+walkGroup : g+walkGroup]
		for i := range walkGroup {
			lo[i], hi[i] = keyPair(v[i])
		}
	}
}

// keyPair returns the two keys of v without branches: floatKey(v,
// MaxUint32) and floatKey(v, 0), except that -0 maps to just below +0
// (0x7fffffff), which no threshold key equals, so comparisons with
// thresholds are those of floats.
func keyPair(v float32) (lo, hi uint32) {
	u := math.Float32bits(v)
	k := u ^ (uint32(int32(u)>>31) | 1<<31)
	nan := uint32(int32(0x7f800000-(u&0x7fffffff)) >> 31) // all ones for NaN
	return k | nan, k &^ nan
}

// binnedKeys is rawKeys for binned rows: missing bins are 255 in the first
// column and 0 in the second, where every other bin is shifted up by one.
func binnedKeys(bins []uint8, nf int, miss []uint8, keys []uint8) {
	n := len(bins) / nf
	gsize := 2 * nf * walkGroup
	miss = miss[:nf]
	full := n &^ (walkGroup - 1)
	const ones = 0x0101010101010101
	const low7 = 0x7f7f7f7f7f7f7f7f
	for g := 0; g < full; g += walkGroup {
		// The group's 8 rows of byte j make the 8 bytes of column j.
		rows := bins[g*nf : (g+walkGroup)*nf]
		b0, b1, b2, b3 := rows[:nf], rows[nf:2*nf], rows[2*nf:3*nf], rows[3*nf:4*nf]
		b4, b5, b6, b7 := rows[4*nf:5*nf], rows[5*nf:6*nf], rows[6*nf:7*nf], rows[7*nf:8*nf]
		out := keys[g/walkGroup*gsize : (g/walkGroup+1)*gsize]
		lo, hi := out[:nf*walkGroup], out[nf*walkGroup:]
		for j := range b0 {
			v := uint64(b0[j]) | uint64(b1[j])<<8 | uint64(b2[j])<<16 | uint64(b3[j])<<24 |
				uint64(b4[j])<<32 | uint64(b5[j])<<40 | uint64(b6[j])<<48 | uint64(b7[j])<<56
			// m: 0xff in the bytes that hold the missing bin.
			x := v ^ uint64(miss[j])*ones
			z := ^((x&low7 + low7) | x | low7)
			m := z >> 7 * 0xff
			endian.LittleEndian.PutUint64(lo[j*walkGroup:], v|m)
			endian.LittleEndian.PutUint64(hi[j*walkGroup:], v&^m+ones&^m)
		}
	}
	for i := full; i < roundGroup(n); i++ {
		src := i
		if i >= n {
			src = full
		}
		row := bins[src*nf : (src+1)*nf]
		g := keys[i/walkGroup*gsize+i%walkGroup:]
		g = g[:(2*nf-1)*walkGroup+1]
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
