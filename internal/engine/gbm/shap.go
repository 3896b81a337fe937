package gbm

import "runtime"

// SHAP contributions by TreeSHAP (Lundberg, Erion and Lee, "Consistent
// individualized feature attribution for tree ensembles", 2018): the exact
// Shapley values of each tree's output when a feature left out of a
// coalition is integrated over the training rows that reached each node
// (its hessian cover), in time polynomial in the depth rather than
// exponential in the features. The implementation here follows the
// algorithm as published (extend and unwind a path of
// (feature, zero fraction, one fraction, weight) elements).

// shapTree holds what TreeSHAP needs of one tree beyond its nodes.
type shapTree struct {
	cover    []float64 // per node: leaves' hessian sums, summed upward
	expected float64   // cover-weighted mean of the leaf values
}

// shapInfo is computed once per model.
type shapInfo struct {
	trees []shapTree
	bias  []float64 // per output: base score + Σ expected values
	depth int       // deepest tree
}

// minCover stands in for an empty leaf's cover, so that no node has zero
// cover (the fractions would be 0/0).
const minCover = 1e-12

func (m *Model) shap() *shapInfo {
	m.shapOnce.Do(func() { m.shapInfo = m.computeShap() })
	return m.shapInfo
}

func (m *Model) computeShap() *shapInfo {
	m.flatten() // validates the model
	K := m.Outputs()
	s := &shapInfo{trees: make([]shapTree, len(m.Trees)), bias: append([]float64(nil), m.BaseScore...)}
	for ti := range m.Trees {
		nodes := m.Trees[ti].Nodes
		st := &s.trees[ti]
		st.cover = make([]float64, len(nodes))
		st.expected = fillCover(nodes, st.cover, 0)
		s.bias[ti%K] += st.expected
		s.depth = max(s.depth, treeDepth(nodes, 0))
	}
	return s
}

// fillCover sets the cover of node i and its descendants and returns the
// expected value of the subtree.
func fillCover(nodes []Node, cover []float64, i int) float64 {
	n := &nodes[i]
	if n.IsLeaf() {
		cover[i] = max(n.Hess, minCover)
		return n.Value
	}
	l, r := int(n.Left), int(n.Right)
	el, er := fillCover(nodes, cover, l), fillCover(nodes, cover, r)
	cover[i] = cover[l] + cover[r]
	return (cover[l]*el + cover[r]*er) / cover[i]
}

// ContributionsWidth is the number of values per row and output that
// Contributions writes: one per feature, then the bias.
func (m *Model) ContributionsWidth() int { return m.NumFeatures + 1 }

// Contributions writes the SHAP contributions of every row of x to the
// model's raw score (the margin: log-odds for binary, one margin per class
// for multiclass, the value for regression): row i, output k, feature j at
// (i*Outputs()+k)*(NumFeatures+1)+j, with j = NumFeatures holding the bias
// (the base score plus the trees' expected values). A row's contributions
// and bias add up to its margin. threads bounds the goroutines (0: all
// cores).
func (m *Model) Contributions(x *Matrix, out []float64, threads int) {
	f := m.flatten()
	m.checkInput(x, nil)
	s := m.shap()
	K, W := m.Outputs(), m.ContributionsWidth()
	if len(out) < x.Rows*K*W {
		panic("gbm: Contributions: out too short")
	}
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	parallelRange(x.Rows, threads, 16, func(lo, hi int) {
		e := newExplainer(m, f, s)
		for i := lo; i < hi; i++ {
			e.row(x, i, out[i*K*W:(i+1)*K*W])
		}
	})
}

// pathElem is one feature on the path from the root: the fraction of
// "zero" (feature left out) and "one" (feature known) paths that flow
// through, and the permutation weight.
type pathElem struct {
	feat   int32
	zero   float64
	one    float64
	weight float64
}

type explainer struct {
	m     *Model
	f     *flatModel
	s     *shapInfo
	bins  []uint8
	paths [][]pathElem // scratch path per depth
	phi   []float64
	tree  int
}

func newExplainer(m *Model, f *flatModel, s *shapInfo) *explainer {
	e := &explainer{m: m, f: f, s: s, bins: make([]uint8, m.NumFeatures)}
	e.paths = make([][]pathElem, s.depth+2)
	for d := range e.paths {
		e.paths[d] = make([]pathElem, 0, d+2)
	}
	return e
}

// row explains row i of x into dst (Outputs() × width values).
func (e *explainer) row(x *Matrix, i int, dst []float64) {
	m := e.m
	for j := range e.bins {
		e.bins[j] = e.f.bin.binOf(j, x.Cols[j][i])
	}
	clear(dst)
	K, W := m.Outputs(), m.ContributionsWidth()
	for k := range K {
		dst[k*W+W-1] = e.s.bias[k]
	}
	for ti := range m.Trees {
		k := ti % K
		e.phi = dst[k*W : k*W+W-1]
		e.tree = ti
		e.recurse(0, 0, nil, 1, 1, -1)
	}
}

// goesLeft reports whether the row goes left at node n.
func (e *explainer) goesLeft(n *Node) bool {
	return n.goLeftBin(e.bins[n.Feature], e.f.miss[n.Feature])
}

// recurse walks node j at depth with the parent's path, extending it by
// feature feat with fractions zero and one.
func (e *explainer) recurse(j, depth int, parent []pathElem, zero, one float64, feat int32) {
	nodes := e.m.Trees[e.tree].Nodes
	cover := e.s.trees[e.tree].cover
	path := append(e.paths[depth][:0], parent...)
	path = extendPath(path, zero, one, feat)
	n := &nodes[j]
	if n.IsLeaf() {
		for i := 1; i < len(path); i++ {
			w := unwoundSum(path, i)
			p := &path[i]
			e.phi[p.feat] += w * (p.one - p.zero) * n.Value
		}
		return
	}
	hot, cold := int(n.Left), int(n.Right)
	if !e.goesLeft(n) {
		hot, cold = cold, hot
	}
	iz, io := 1.0, 1.0
	for k := 1; k < len(path); k++ {
		if path[k].feat == n.Feature {
			iz, io = path[k].zero, path[k].one
			path = unwindPath(path, k)
			break
		}
	}
	e.recurse(hot, depth+1, path, iz*cover[hot]/cover[j], io, n.Feature)
	e.recurse(cold, depth+1, path, iz*cover[cold]/cover[j], 0, n.Feature)
}

// extendPath appends a feature with fractions zero and one and updates the
// weights: the weight of i known features among l+1 grows by the
// orderings the new feature adds.
func extendPath(path []pathElem, zero, one float64, feat int32) []pathElem {
	l := len(path)
	w := 0.0
	if l == 0 {
		w = 1
	}
	path = append(path, pathElem{feat: feat, zero: zero, one: one, weight: w})
	for i := l - 1; i >= 0; i-- {
		path[i+1].weight += one * path[i].weight * float64(i+1) / float64(l+1)
		path[i].weight = zero * path[i].weight * float64(l-i) / float64(l+1)
	}
	return path
}

// unwindPath removes element k, undoing its extendPath, in place.
func unwindPath(path []pathElem, k int) []pathElem {
	l := len(path)
	one, zero := path[k].one, path[k].zero
	next := path[l-1].weight
	for j := l - 2; j >= 0; j-- {
		if one != 0 {
			t := path[j].weight
			path[j].weight = next * float64(l) / (float64(j+1) * one)
			next = t - path[j].weight*zero*float64(l-1-j)/float64(l)
		} else {
			path[j].weight = path[j].weight * float64(l) / (zero * float64(l-1-j))
		}
	}
	for j := k; j < l-1; j++ {
		path[j].feat, path[j].zero, path[j].one = path[j+1].feat, path[j+1].zero, path[j+1].one
	}
	return path[:l-1]
}

// unwoundSum is the total weight of the path with element k removed,
// without changing the path.
func unwoundSum(path []pathElem, k int) float64 {
	l := len(path)
	one, zero := path[k].one, path[k].zero
	next := path[l-1].weight
	total := 0.0
	for j := l - 2; j >= 0; j-- {
		if one != 0 {
			t := next * float64(l) / (float64(j+1) * one)
			total += t
			next = path[j].weight - t*zero*float64(l-1-j)/float64(l)
		} else {
			total += path[j].weight * float64(l) / (zero * float64(l-1-j))
		}
	}
	return total
}
