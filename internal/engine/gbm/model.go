package gbm

import (
	"fmt"
	"slices"
	"sync"
)

// Model is a trained ensemble. It is serialisable with encoding/json through
// its exported fields; a model read back predicts bit-identically.
type Model struct {
	Objective   string        `json:"objective"`
	NumClass    int           `json:"num_class,omitempty"` // multiclass only
	NumFeatures int           `json:"num_features"`
	HuberDelta  float64       `json:"huber_delta,omitempty"`
	BaseScore   []float64     `json:"base_score"` // margin before the first tree, per output
	Features    []FeatureBins `json:"features"`
	// Trees in boosting order: round r, output k at r*Outputs()+k. Leaf
	// values already include the learning rate.
	Trees []Tree `json:"trees"`
	// Rounds is the number of rounds kept: with early stopping, the best
	// round (counted from 1), after which the validation loss did not
	// improve; otherwise every round trained.
	Rounds int `json:"rounds"`
	// BestRound is the round (from 1) with the lowest validation loss and
	// BestValidLoss that loss; both are 0 without a validation set.
	BestRound     int     `json:"best_round,omitempty"`
	BestValidLoss float64 `json:"best_valid_loss,omitempty"`

	once sync.Once
	flat *flatModel

	shapOnce sync.Once
	shapInfo *shapInfo
}

// Tree is one regression tree. Nodes[0] is the root; the two children of a
// split are adjacent (Right = Left+1).
type Tree struct {
	Nodes []Node `json:"nodes"`
	Depth int    `json:"depth"` // longest root-to-leaf path
}

// Node is a split or a leaf (Feature < 0).
//
// A numeric split sends a row left when its value is ≤ Threshold (its bin ≤
// Bin); a categorical split sends it left when its category's bin is in the
// bit set CatLeft. A missing value (or an unseen category) goes left when
// DefaultLeft is set.
type Node struct {
	Feature     int32    `json:"f"`
	Bin         uint8    `json:"b,omitempty"`
	Threshold   float32  `json:"t,omitempty"`
	CatLeft     []uint64 `json:"c,omitempty"`
	DefaultLeft bool     `json:"d,omitempty"`
	Left        int32    `json:"l,omitempty"`
	Right       int32    `json:"r,omitempty"`
	Value       float64  `json:"v,omitempty"` // leaf output
	Gain        float64  `json:"g,omitempty"` // loss reduction of the split
	Hess        float64  `json:"h,omitempty"` // hessian sum (cover) of the node
}

// IsLeaf reports whether n is a leaf.
func (n *Node) IsLeaf() bool { return n.Feature < 0 }

// Outputs returns the number of values predicted per row: NumClass for
// multiclass, 1 otherwise.
func (m *Model) Outputs() int {
	if m.Objective == ObjectiveMulticlass {
		return m.NumClass
	}
	return 1
}

// FeatureImportance returns the total gain of the splits on each feature.
func (m *Model) FeatureImportance() []float64 {
	imp := make([]float64, m.NumFeatures)
	for t := range m.Trees {
		for _, n := range m.Trees[t].Nodes {
			if !n.IsLeaf() {
				imp[n.Feature] += n.Gain
			}
		}
	}
	return imp
}

// goLeftBin reports whether bin b of the node's feature goes left; miss is
// the feature's missing bin.
func (n *Node) goLeftBin(b, miss uint8) bool {
	if b == miss {
		return n.DefaultLeft
	}
	if n.CatLeft != nil {
		return n.CatLeft[b>>6]&(1<<(b&63)) != 0
	}
	return b <= n.Bin
}

// leafBinned returns the index of the leaf that a binned row reaches.
func (t *Tree) leafBinned(row []uint8, miss []uint8) int {
	i := 0
	for {
		n := &t.Nodes[i]
		if n.IsLeaf() {
			return i
		}
		if n.goLeftBin(row[n.Feature], miss[n.Feature]) {
			i = int(n.Left)
		} else {
			i = int(n.Right)
		}
	}
}

// Validate checks the structure of a model read from outside (for example
// from JSON); Predict panics on a model that fails it.
func (m *Model) Validate() error { return m.check() }

func (m *Model) check() error {
	switch m.Objective {
	case ObjectiveBinary, ObjectiveSquared, ObjectiveHuber:
	case ObjectiveMulticlass:
		if m.NumClass < 2 {
			return fmt.Errorf("gbm: multiclass model with %d classes", m.NumClass)
		}
	default:
		return fmt.Errorf("gbm: model has unknown objective %q", m.Objective)
	}
	for j := range m.Features {
		f := &m.Features[j]
		if f.NumBins() > MaxBinsLimit-1 {
			return fmt.Errorf("gbm: feature %d has %d bins", j, f.NumBins())
		}
		if !slices.IsSorted(f.Cuts) || !slices.IsSorted(f.Categories) {
			return fmt.Errorf("gbm: feature %d has unsorted bins", j)
		}
	}
	if len(m.Features) != m.NumFeatures {
		return fmt.Errorf("gbm: model has %d feature bins for %d features", len(m.Features), m.NumFeatures)
	}
	if len(m.BaseScore) != m.Outputs() {
		return fmt.Errorf("gbm: model has %d base scores for %d outputs", len(m.BaseScore), m.Outputs())
	}
	if len(m.Trees)%m.Outputs() != 0 {
		return fmt.Errorf("gbm: model has %d trees, not a multiple of %d outputs", len(m.Trees), m.Outputs())
	}
	for ti := range m.Trees {
		nodes := m.Trees[ti].Nodes
		if len(nodes) == 0 {
			return fmt.Errorf("gbm: tree %d is empty", ti)
		}
		for i, n := range nodes {
			if n.IsLeaf() {
				continue
			}
			if int(n.Feature) >= m.NumFeatures || n.Left <= int32(i) || n.Right != n.Left+1 || int(n.Right) >= len(nodes) {
				return fmt.Errorf("gbm: tree %d node %d is malformed", ti, i)
			}
			f := &m.Features[n.Feature]
			if f.Categorical != (n.CatLeft != nil) {
				return fmt.Errorf("gbm: tree %d node %d: split kind does not match feature %d", ti, i, n.Feature)
			}
			if n.CatLeft != nil && len(n.CatLeft) != 4 {
				return fmt.Errorf("gbm: tree %d node %d: categorical set of %d words", ti, i, len(n.CatLeft))
			}
			if !f.Categorical && (int(n.Bin) >= len(f.Cuts) || n.Threshold != f.Cuts[n.Bin]) {
				return fmt.Errorf("gbm: tree %d node %d: threshold does not match bin %d of feature %d", ti, i, n.Bin, n.Feature)
			}
		}
	}
	return nil
}
