package gbm

import (
	"fmt"
	"math"
	"runtime"
)

// flatModel is the prediction layout of a Model: every tree's nodes in one
// array, children adjacent, leaves pointing at themselves, so that a row
// walks exactly Depth steps per tree with no data-dependent branch.
type flatModel struct {
	nodes   []flatNode
	values  []float64 // leaf value by node index
	roots   []int32
	depths  []int32
	catSets [][4]uint64 // by flatNode.cat
	hasCat  bool
	miss    []uint8 // missing bin per feature
	bin     *binner
	// dense is the complete-tree layout used when every split is numeric
	// and every tree is at most denseMaxDepth deep; nil otherwise.
	dense *denseModel
	catOf []int32 // index into catSets by node, -1 if not categorical
}

// flatNode goes right when the value is > thr (raw) or the bin is > bin
// (binned); a missing value goes right when missRight is 1.
type flatNode struct {
	feat      int32
	thr       float32
	left      int32 // right child is left+1; a leaf's left is itself
	bin       uint8
	missRight uint8
	isCat     uint8
	_         uint8
}

func (m *Model) flatten() *flatModel {
	m.once.Do(func() {
		if err := m.check(); err != nil {
			panic(err)
		}
		f := &flatModel{bin: newBinner(m.Features), miss: make([]uint8, m.NumFeatures)}
		for j := range m.Features {
			f.miss[j] = uint8(m.Features[j].NumBins())
		}
		catIdx := []int32{}
		for ti := range m.Trees {
			t := &m.Trees[ti]
			base := int32(len(f.nodes))
			f.roots = append(f.roots, base)
			f.depths = append(f.depths, int32(treeDepth(t.Nodes, 0)))
			for i, n := range t.Nodes {
				self := base + int32(i)
				if n.IsLeaf() {
					f.nodes = append(f.nodes, flatNode{thr: float32(math.Inf(1)), left: self, bin: 255})
					f.values = append(f.values, n.Value)
					catIdx = append(catIdx, -1)
					continue
				}
				fn := flatNode{feat: n.Feature, thr: n.Threshold, left: base + n.Left, bin: n.Bin}
				if !n.DefaultLeft {
					fn.missRight = 1
				}
				ci := int32(-1)
				if n.CatLeft != nil {
					fn.isCat = 1
					f.hasCat = true
					ci = int32(len(f.catSets))
					f.catSets = append(f.catSets, [4]uint64(n.CatLeft))
				}
				f.nodes = append(f.nodes, fn)
				f.values = append(f.values, 0)
				catIdx = append(catIdx, ci)
			}
		}
		f.catOf = catIdx
		f.dense = newDenseModel(m, f)
		m.flat = f
	})
	return m.flat
}

func treeDepth(nodes []Node, i int) int {
	n := &nodes[i]
	if n.IsLeaf() {
		return 0
	}
	return 1 + max(treeDepth(nodes, int(n.Left)), treeDepth(nodes, int(n.Right)))
}

// b2i converts a bool to 0 or 1 without a branch.
func b2i(b bool) int32 {
	var i int32
	if b {
		i = 1
	}
	return i
}

// predictBlockSize is the number of rows transposed and walked together.
const predictBlockSize = 64

// Predict writes the predictions of the rows of x to out: probabilities for
// binary (of class 1) and multiclass (row-major, x.Rows × NumClass), values
// for regression. out must hold x.Rows × Outputs() values. x must have the
// training features in the same order; Predict panics otherwise. It uses all
// cores on large inputs.
func (m *Model) Predict(x *Matrix, out []float64) {
	m.PredictThreads(x, out, 0)
}

// PredictThreads is Predict on at most threads goroutines (0: all cores).
func (m *Model) PredictThreads(x *Matrix, out []float64, threads int) {
	m.predictMargin(x, nil, out, threads)
	m.transform(out, x.Rows)
}

// PredictMargin writes raw margins (before the sigmoid/softmax link).
func (m *Model) PredictMargin(x *Matrix, out []float64) {
	m.predictMargin(x, nil, out, 0)
}

// Binned is a feature matrix already cut into the model's bins.
type Binned struct {
	bins []uint8 // row-major
	rows int
}

// Rows returns the number of rows.
func (b *Binned) Rows() int { return b.rows }

// Bin cuts x into the model's bins, for repeated scoring with PredictBinned.
func (m *Model) Bin(x *Matrix) *Binned {
	f := m.flatten()
	m.checkInput(x, nil)
	return &Binned{bins: f.bin.binMatrix(x, runtime.GOMAXPROCS(0)), rows: x.Rows}
}

// PredictBinned is Predict on binned rows, with at most threads goroutines
// (0: all cores). Its predictions equal Predict's on the same rows.
func (m *Model) PredictBinned(b *Binned, out []float64, threads int) {
	m.predictMargin(nil, b, out, threads)
	m.transform(out, b.rows)
}

func (m *Model) checkInput(x *Matrix, out []float64) {
	if len(x.Cols) != m.NumFeatures {
		panic(fmt.Sprintf("gbm: Predict: matrix has %d features, model has %d", len(x.Cols), m.NumFeatures))
	}
	for j, c := range x.Cols {
		if len(c) < x.Rows {
			panic(fmt.Sprintf("gbm: Predict: feature %d has %d values for %d rows", j, len(c), x.Rows))
		}
	}
	if out != nil && len(out) < x.Rows*m.Outputs() {
		panic(fmt.Sprintf("gbm: Predict: out has %d values, want %d", len(out), x.Rows*m.Outputs()))
	}
}

func (m *Model) transform(out []float64, rows int) {
	k := m.Outputs()
	obj := newObjective(Params{Objective: m.Objective, NumClass: m.NumClass, HuberDelta: 1}, nil)
	if m.Objective == ObjectiveSquared || m.Objective == ObjectiveHuber {
		return
	}
	for i := 0; i < rows; i++ {
		obj.transform(out[i*k : (i+1)*k])
	}
}

func (m *Model) predictMargin(x *Matrix, b *Binned, out []float64, threads int) {
	f := m.flatten()
	rows := 0
	if x != nil {
		m.checkInput(x, out)
		rows = x.Rows
	} else {
		rows = b.rows
		if len(out) < rows*m.Outputs() {
			panic(fmt.Sprintf("gbm: PredictBinned: out has %d values, want %d", len(out), rows*m.Outputs()))
		}
	}
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	nf := m.NumFeatures
	if d := f.dense; d != nil {
		w := 1
		if x != nil {
			w = 4
		}
		bs := denseBlockRows(nf, w)
		nblocks := (rows + bs - 1) / bs
		parallelRange(nblocks, threads, max(1, 1024/bs), func(lo, hi int) {
			var s denseScratch
			for blk := lo; blk < hi; blk++ {
				r0 := blk * bs
				d.predictDense(m, x, b, f.miss, r0, min(r0+bs, rows), out, &s)
			}
		})
		return
	}
	nblocks := (rows + predictBlockSize - 1) / predictBlockSize
	parallelRange(nblocks, threads, 16, func(lo, hi int) {
		var buf []float32
		K := m.Outputs()
		for blk := lo; blk < hi; blk++ {
			r0 := blk * predictBlockSize
			r1 := min(r0+predictBlockSize, rows)
			acc := out[r0*K : r1*K]
			if x != nil {
				if buf == nil {
					buf = make([]float32, predictBlockSize*nf)
				}
				for j, col := range x.Cols {
					for i, v := range col[r0:r1] {
						buf[i*nf+j] = v
					}
				}
				f.walkRaw(m, buf[:(r1-r0)*nf], nf, acc)
			} else {
				f.walkBinned(m, b.bins[r0*nf:r1*nf], nf, acc)
			}
		}
	})
}

// walkRaw adds the trees' outputs for the row-major rows in x to acc, which
// it first sets to the base score.
func (f *flatModel) walkRaw(m *Model, x []float32, nf int, acc []float64) {
	k := len(m.BaseScore)
	n := len(x) / nf
	for i := 0; i < n; i++ {
		copy(acc[i*k:(i+1)*k], m.BaseScore)
	}
	nodes := f.nodes
	for t, root := range f.roots {
		depth := f.depths[t]
		out := t % k
		if f.hasCat {
			for i := 0; i < n; i++ {
				acc[i*k+out] += f.values[f.leafRawCat(root, depth, x[i*nf:(i+1)*nf])]
			}
			continue
		}
		for i := 0; i < n; i++ {
			row := x[i*nf : (i+1)*nf]
			j := root
			for d := int32(0); d < depth; d++ {
				nd := &nodes[j]
				v := row[nd.feat]
				j = nd.left + (b2i(v > nd.thr) | (b2i(v != v) & int32(nd.missRight)))
			}
			acc[i*k+out] += f.values[j]
		}
	}
}

func (f *flatModel) leafRawCat(j, depth int32, row []float32) int32 {
	for d := int32(0); d < depth; d++ {
		nd := &f.nodes[j]
		v := row[nd.feat]
		if nd.isCat == 0 {
			j = nd.left + (b2i(v > nd.thr) | (b2i(v != v) & int32(nd.missRight)))
			continue
		}
		b := f.bin.binOf(int(nd.feat), v)
		if b == f.miss[nd.feat] {
			j = nd.left + int32(nd.missRight)
			continue
		}
		set := &f.catSets[f.catOf[j]]
		j = nd.left + 1 - int32(set[b>>6]>>(b&63)&1)
	}
	return j
}

// walkBinned is walkRaw on binned rows.
func (f *flatModel) walkBinned(m *Model, x []uint8, nf int, acc []float64) {
	k := len(m.BaseScore)
	n := len(x) / nf
	for i := 0; i < n; i++ {
		copy(acc[i*k:(i+1)*k], m.BaseScore)
	}
	nodes := f.nodes
	miss := f.miss
	for t, root := range f.roots {
		depth := f.depths[t]
		out := t % k
		for i := 0; i < n; i++ {
			row := x[i*nf : (i+1)*nf]
			j := root
			for d := int32(0); d < depth; d++ {
				nd := &nodes[j]
				b := row[nd.feat]
				isMiss := b2i(b == miss[nd.feat])
				var right int32
				if nd.isCat == 0 {
					right = b2i(b > nd.bin)
				} else {
					set := &f.catSets[f.catOf[j]]
					right = 1 - int32(set[b>>6]>>(b&63)&1)
				}
				j = nd.left + (right&^isMiss | isMiss&int32(nd.missRight))
			}
			acc[i*k+out] += f.values[j]
		}
	}
}
