package gbm

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"time"
)

// trainer holds the state of one Train call.
type trainer struct {
	ctx     context.Context
	p       Params
	threads int
	err     error

	n, nf   int
	feats   []FeatureBins
	maxBins int32
	// used is each feature's histogram slots in use (its bins and the
	// missing bin); the slots after them stay zero.
	used  []int
	bins  []uint8 // row-major n × nf, for histograms
	cbins []uint8 // column-major nf × n, for partitions

	nout   int
	margin []float64 // nout × n, output-major (output k, row i at k*n+i)
	ghAll  []gpair   // nout × n, output-major
	gh     []gpair   // gradients of the tree being built
	ghq    []int64   // gh quantised and packed (see quantise)

	gscale, hscale float64   // quantisation steps of the tree being built
	gmax, hmax     []float64 // per output, over all rows: see gradients
	seedBase       uint64
	treeCount      uint64

	rows, scratch  []uint32
	scratch2       []uint32
	leaves         []leafSpan
	pool           [][]int64
	fsel           []int32 // features sampled for the current tree, sorted
	fselContiguous bool    // fsel is a run of consecutive features
	threadHists    [][]int64
	splitScratch   []split
	rng            *rand.Rand

	tree         Tree
	outK         int
	updateByLeaf bool // margins updated at the leaves (no row subsampling)

	// workers build the trees of one round side by side (multiclass with
	// more than one thread); see buildRound.
	workers []*trainer
}

// lossBlock is the row block of deterministic loss sums.
const lossBlock = 8192

// Train fits a model on train and y. When valid is not nil, the loss on
// (valid, yValid) is tracked after every round and, with
// EarlyStoppingRounds > 0, training stops once it has not improved for that
// many rounds; the model keeps the best round. progress, if not nil, is
// called after every round with the number of rounds done (from 1), the
// training loss and the validation loss (NaN without a validation set).
// Losses are log loss (binary, multiclass), RMSE (squared) or mean Huber
// loss. Train returns ctx.Err() soon after ctx is done.
func Train(ctx context.Context, train *Matrix, y []float32, valid *Matrix, yValid []float32, p Params, progress func(round int, trainLoss, validLoss float64)) (*Model, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if err := train.check("training"); err != nil {
		return nil, err
	}
	if train.Rows == 0 {
		return nil, fmt.Errorf("gbm: training matrix has no rows")
	}
	if len(y) != train.Rows {
		return nil, fmt.Errorf("gbm: %d labels for %d training rows", len(y), train.Rows)
	}
	if valid != nil {
		if err := valid.check("validation"); err != nil {
			return nil, err
		}
		if len(valid.Cols) != len(train.Cols) {
			return nil, fmt.Errorf("gbm: validation matrix has %d features, training has %d", len(valid.Cols), len(train.Cols))
		}
		if len(yValid) != valid.Rows {
			return nil, fmt.Errorf("gbm: %d validation labels for %d rows", len(yValid), valid.Rows)
		}
		if valid.Rows == 0 {
			valid = nil
		}
	}
	obj := newObjective(p, y)
	if err := obj.checkLabels(y); err != nil {
		return nil, fmt.Errorf("gbm: training labels: %w", err)
	}
	if valid != nil {
		if err := obj.checkLabels(yValid); err != nil {
			return nil, fmt.Errorf("gbm: validation labels: %w", err)
		}
	}
	t, err := newTrainer(ctx, train, p, nil)
	if err != nil {
		return nil, err
	}
	return t.run(obj, y, valid, yValid, progress, nil)
}

// Continue trains on top of init, a model that Train or Continue fitted
// on the same train, y, valid and yValid with the same p, up to
// p.NumRounds rounds in all (init's included). The result is the model an
// uninterrupted Train with p would have made: the random draws of init's
// rounds are replayed and its trees rebuild the margins, and with early
// stopping the rounds init dropped after its best are grown again. It is
// how the search continues a candidate cut at its time cap. The features'
// bins are init's; with other data Continue still boosts from init's
// margins, but the sameness is lost.
func Continue(ctx context.Context, init *Model, train *Matrix, y []float32, valid *Matrix, yValid []float32, p Params, progress func(round int, trainLoss, validLoss float64)) (*Model, error) {
	if init == nil {
		return Train(ctx, train, y, valid, yValid, p, progress)
	}
	if err := init.check(); err != nil {
		return nil, fmt.Errorf("gbm: continue: %w", err)
	}
	switch {
	case init.Objective != p.Objective:
		return nil, fmt.Errorf("gbm: continue: model objective %s, parameters %s", init.Objective, p.Objective)
	case init.NumFeatures != len(train.Cols):
		return nil, fmt.Errorf("gbm: continue: model has %d features, training matrix %d", init.NumFeatures, len(train.Cols))
	case p.Objective == ObjectiveMulticlass && init.NumClass != p.NumClass:
		return nil, fmt.Errorf("gbm: continue: model has %d classes, parameters %d", init.NumClass, p.NumClass)
	case len(init.Trees)%init.Outputs() != 0:
		return nil, fmt.Errorf("gbm: continue: %d trees is not a whole number of rounds", len(init.Trees))
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if err := train.check("training"); err != nil {
		return nil, err
	}
	if train.Rows == 0 || len(y) != train.Rows {
		return nil, fmt.Errorf("gbm: %d labels for %d training rows", len(y), train.Rows)
	}
	if valid != nil {
		if err := valid.check("validation"); err != nil {
			return nil, err
		}
		if len(valid.Cols) != len(train.Cols) || len(yValid) != valid.Rows {
			return nil, fmt.Errorf("gbm: validation matrix does not match the training matrix")
		}
		if valid.Rows == 0 {
			valid = nil
		}
	}
	obj := newObjective(p, y)
	if err := obj.checkLabels(y); err != nil {
		return nil, fmt.Errorf("gbm: training labels: %w", err)
	}
	if valid != nil {
		if err := obj.checkLabels(yValid); err != nil {
			return nil, fmt.Errorf("gbm: validation labels: %w", err)
		}
	}
	t, err := newTrainer(ctx, train, p, init.Features)
	if err != nil {
		return nil, err
	}
	return t.run(obj, y, valid, yValid, progress, init)
}

// newTrainer bins m: at feats' cuts when given (a model to continue),
// else at cuts computed from m.
func newTrainer(ctx context.Context, m *Matrix, p Params, feats []FeatureBins) (*trainer, error) {
	t := &trainer{ctx: ctx, p: p, threads: p.threads(), n: m.Rows, nf: len(m.Cols)}
	if feats == nil {
		var err error
		feats, err = computeBins(m, p.MaxBins, t.threads)
		if err != nil {
			return nil, err
		}
	}
	t.feats = feats
	t.used = make([]int, len(feats))
	for j := range feats {
		t.maxBins = max(t.maxBins, int32(feats[j].NumBins()+1))
		t.used[j] = feats[j].NumBins() + 1
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	t.bins = newBinner(feats).binMatrix(m, t.threads)
	t.cbins = make([]uint8, t.n*t.nf)
	parallelFor(t.nf, t.threads, func(j int) {
		col := t.cbins[j*t.n : (j+1)*t.n]
		for i := range col {
			col[i] = t.bins[i*t.nf+j]
		}
	})
	t.ghq = make([]int64, t.n)
	t.seedBase = splitmix64(uint64(p.Seed))
	t.rows = make([]uint32, t.n)
	t.scratch = make([]uint32, t.n)
	if t.threads > 1 && t.n >= 2*partitionParallelMin {
		t.scratch2 = make([]uint32, t.n)
	}
	t.splitScratch = make([]split, t.nf)
	t.rng = rand.New(rand.NewPCG(uint64(p.Seed), 0x9e3779b97f4a7c15))
	return t, nil
}

// run boosts up to p.NumRounds rounds, after init's when not nil.
func (t *trainer) run(obj objective, y []float32, valid *Matrix, yValid []float32, progress func(int, float64, float64), init *Model) (*Model, error) {
	p := t.p
	K := obj.outputs()
	t.nout = K
	m := &Model{
		Objective:   p.Objective,
		NumFeatures: t.nf,
		BaseScore:   obj.baseScore(y),
		Features:    t.feats,
	}
	if p.Objective == ObjectiveMulticlass {
		m.NumClass = p.NumClass
	}
	if h, ok := obj.(*huber); ok {
		m.HuberDelta = h.metricDelta
	}
	t.margin = make([]float64, t.n*K)
	fillBase(t.margin, m.BaseScore)
	t.ghAll = make([]gpair, t.n*K)
	t.updateByLeaf = p.Subsample >= 1

	var vbins []uint8
	var vmargin []float64
	miss := make([]uint8, t.nf)
	for j := range t.feats {
		miss[j] = uint8(t.feats[j].NumBins())
	}
	if valid != nil {
		vbins = newBinner(t.feats).binMatrix(valid, t.threads)
		vmargin = make([]float64, valid.Rows*K)
		fillBase(vmargin, m.BaseScore)
	}

	bestLoss, bestRound := math.Inf(1), 0
	first := 1
	if init != nil {
		// init's rounds: its base score, its trees added to the margins in
		// boosting order, and the random draws of every round replayed, so
		// the next round is the one an uninterrupted fit would grow.
		m.BaseScore = append([]float64(nil), init.BaseScore...)
		fillBase(t.margin, m.BaseScore)
		if vmargin != nil {
			fillBase(vmargin, m.BaseScore)
		}
		done := len(init.Trees) / K
		for r := range done {
			t.sampleRows()
			for k := range K {
				t.sampleFeatures()
				tree := &init.Trees[r*K+k]
				addTree(tree, t.bins, t.nf, miss, t.margin[k*t.n:(k+1)*t.n], t.threads)
				if vbins != nil {
					addTree(tree, vbins, t.nf, miss, vmargin[k*valid.Rows:(k+1)*valid.Rows], t.threads)
				}
			}
		}
		t.treeCount = uint64(done * K)
		m.Trees = append(make([]Tree, 0, len(init.Trees)), init.Trees...)
		if valid != nil && done > 0 {
			bestLoss, bestRound = t.loss(obj, vmargin, yValid), done
		}
		first = done + 1
		if err := t.ctx.Err(); err != nil {
			return nil, err
		}
	}
	for round := first; round <= p.NumRounds; round++ {
		if err := t.ctx.Err(); err != nil {
			return nil, err
		}
		if h, ok := obj.(*huber); ok {
			h.startRound(t.margin, y)
		}
		t.gradients(obj, y)
		nrows := t.sampleRows()
		trees, err := t.buildRound(nrows, miss, vbins, vmargin)
		if err != nil {
			return nil, err
		}
		m.Trees = append(m.Trees, trees...)
		validLoss := math.NaN()
		if valid != nil {
			validLoss = t.loss(obj, vmargin, yValid)
			if validLoss < bestLoss {
				bestLoss, bestRound = validLoss, round
			}
		}
		if progress != nil {
			progress(round, t.loss(obj, t.margin, y), validLoss)
		}
		if valid != nil && p.EarlyStoppingRounds > 0 && round-bestRound >= p.EarlyStoppingRounds {
			break
		}
		if !p.Deadline.IsZero() && time.Now().After(p.Deadline) {
			break
		}
	}
	m.Rounds = len(m.Trees) / K
	if valid != nil {
		if p.EarlyStoppingRounds > 0 {
			m.Rounds = bestRound
			m.Trees = m.Trees[:bestRound*K]
		}
		m.BestRound, m.BestValidLoss = bestRound, bestLoss
	}
	return m, nil
}

// gradients computes the gradients of every output and, when every tree
// sees every row, their largest |g| and h per output (quantise needs them;
// scanning each chunk right after writing it is cheaper than another pass).
func (t *trainer) gradients(obj objective, y []float32) {
	K := t.nout
	if t.gmax == nil {
		t.gmax, t.hmax = make([]float64, K), make([]float64, K)
	}
	clear(t.gmax)
	clear(t.hmax)
	var mu sync.Mutex
	parallelRange(t.n, t.threads, 4096, func(lo, hi int) {
		obj.gradients(t.margin, y, t.ghAll, lo, hi)
		if !t.updateByLeaf {
			return
		}
		for k := range K {
			gm, hm := gradMax(t.ghAll[k*t.n+lo : k*t.n+hi])
			mu.Lock()
			t.gmax[k], t.hmax[k] = max(t.gmax[k], gm), max(t.hmax[k], hm)
			mu.Unlock()
		}
	})
}

// gradMax returns the largest |g| and h of gh.
func gradMax(gh []gpair) (gm, hm float64) {
	for _, p := range gh {
		gm = max(gm, math.Abs(float64(p.g)))
		hm = max(hm, float64(p.h))
	}
	return gm, hm
}

// sampleRows fills t.rows with the rows of this round and returns how many.
func (t *trainer) sampleRows() int {
	if t.p.Subsample >= 1 {
		for i := range t.rows {
			t.rows[i] = uint32(i)
		}
		return t.n
	}
	n := 0
	for i := 0; i < t.n; i++ {
		if t.rng.Float64() < t.p.Subsample {
			t.rows[n] = uint32(i)
			n++
		}
	}
	return n
}

// fillBase sets output-major margins to the base scores.
func fillBase(margin []float64, base []float64) {
	n := len(margin) / len(base)
	for k, b := range base {
		for i := range margin[k*n : (k+1)*n] {
			margin[k*n+i] = b
		}
	}
}

// buildRound grows the nout trees of one round on the rows
// t.rows[:nrows], updates the training margins (and the validation
// margins vmargin of the binned rows vbins, when not nil) and returns the
// trees in output order.
//
// With several outputs and threads, the trees are grown side by side, one
// per worker, each worker on its share of the threads: the trees of a
// round are independent given the gradients, and small nodes parallelise
// poorly inside one tree. Every random draw (the features of each tree,
// the rounding seeds) is made in the same order as one tree at a time, and
// each tree is grown by one worker, so the model does not depend on the
// number of threads or on scheduling.
func (t *trainer) buildRound(nrows int, miss, vbins []uint8, vmargin []float64) ([]Tree, error) {
	K := t.nout
	trees := make([]Tree, K)
	nv := len(vbins) / max(t.nf, 1)
	finish := func(w *trainer, k int, tree *Tree) {
		if !w.updateByLeaf {
			addTree(tree, w.bins, w.nf, miss, w.margin[k*w.n:(k+1)*w.n], w.threads)
		}
		if vbins != nil {
			addTree(tree, vbins, w.nf, miss, vmargin[k*nv:(k+1)*nv], w.threads)
		}
	}
	workers := min(t.threads, K)
	if workers <= 1 {
		for k := 0; k < K; k++ {
			t.sampleFeatures()
			t.gh = t.ghAll[k*t.n : (k+1)*t.n]
			tree, err := t.buildTree(k, nrows)
			if err != nil {
				return nil, err
			}
			finish(t, k, &tree)
			trees[k] = tree
		}
		return trees, nil
	}
	if t.workers == nil {
		for w := 0; w < workers; w++ {
			t.workers = append(t.workers, t.newWorker(t.threads/workers, w == 0))
		}
	}
	fsels := make([][]int32, K)
	for k := range fsels {
		t.sampleFeatures()
		fsels[k] = append([]int32(nil), t.fsel...)
	}
	first := t.treeCount
	t.treeCount += uint64(K)
	pool := make(chan *trainer, workers)
	for _, w := range t.workers {
		pool <- w
	}
	errs := make([]error, K)
	parallelFor(K, workers, func(k int) {
		w := <-pool
		defer func() { pool <- w }()
		w.setFeatures(fsels[k])
		copy(w.rows[:nrows], t.rows[:nrows])
		w.treeCount = first + uint64(k)
		w.gh = t.ghAll[k*t.n : (k+1)*t.n]
		tree, err := w.buildTree(k, nrows)
		if err != nil {
			w.err = nil
			errs[k] = err
			return
		}
		finish(w, k, &tree)
		trees[k] = tree
	})
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return trees, nil
}

// newWorker returns a trainer that shares t's data, margins and gradients
// and has its own buffers for growing a tree on threads threads. The first
// worker takes over t's buffers, which t itself does not use while workers
// grow the trees (t keeps its rows: they hold the round's sample).
func (t *trainer) newWorker(threads int, first bool) *trainer {
	w := &trainer{
		ctx: t.ctx, p: t.p, threads: threads, n: t.n, nf: t.nf,
		feats: t.feats, maxBins: t.maxBins, used: t.used, bins: t.bins, cbins: t.cbins,
		nout: t.nout, margin: t.margin, ghAll: t.ghAll, seedBase: t.seedBase,
		gmax: t.gmax, hmax: t.hmax,
		updateByLeaf: t.updateByLeaf,
		rows:         make([]uint32, t.n),
		splitScratch: make([]split, t.nf),
	}
	if first {
		w.ghq, w.scratch, w.scratch2 = t.ghq, t.scratch, t.scratch2
		t.ghq, t.scratch, t.scratch2 = nil, nil, nil
	} else {
		w.ghq, w.scratch = make([]int64, t.n), make([]uint32, t.n)
	}
	if threads > 1 && t.n >= 2*partitionParallelMin {
		if w.scratch2 == nil {
			w.scratch2 = make([]uint32, t.n)
		}
	} else {
		w.scratch2 = nil
	}
	return w
}

// addTree adds the tree's output to margin (one output's margins, one per
// binned row).
func addTree(tree *Tree, bins []uint8, nf int, miss []uint8, margin []float64, threads int) {
	n := len(bins) / nf
	parallelRange(n, threads, 4096, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			leaf := tree.leafBinned(bins[i*nf:(i+1)*nf], miss)
			margin[i] += tree.Nodes[leaf].Value
		}
	})
}

// loss returns the reported loss of margins against y, summed in fixed
// blocks so that it does not depend on the number of threads.
func (t *trainer) loss(obj objective, margin []float64, y []float32) float64 {
	nb := (len(y) + lossBlock - 1) / lossBlock
	sums := make([]float64, nb)
	parallelFor(nb, t.threads, func(b int) {
		lo := b * lossBlock
		sums[b] = obj.lossSum(margin, y, lo, min(lo+lossBlock, len(y)))
	})
	var s float64
	for _, v := range sums {
		s += v
	}
	return obj.finishLoss(s, len(y))
}
