package gbm

import (
	"math"
	"math/rand/v2"
	"testing"
)

// refMargin is the plain walk of the model's trees, row by row, from raw
// values: the reference for every fast path.
func refMargin(m *Model, x *Matrix) []float64 {
	K := m.Outputs()
	bn := newBinner(m.Features)
	out := make([]float64, x.Rows*K)
	for i := 0; i < x.Rows; i++ {
		copy(out[i*K:(i+1)*K], m.BaseScore)
		for ti := range m.Trees {
			nodes := m.Trees[ti].Nodes
			j := 0
			for !nodes[j].IsLeaf() {
				n := &nodes[j]
				v := x.Cols[n.Feature][i]
				var left bool
				switch {
				case n.CatLeft != nil:
					left = n.goLeftBin(bn.binOf(int(n.Feature), v), uint8(m.Features[n.Feature].NumBins()))
				case v != v:
					left = n.DefaultLeft
				default:
					left = v <= n.Threshold
				}
				if left {
					j = int(n.Left)
				} else {
					j = int(n.Right)
				}
			}
			out[i*K+ti%K] += nodes[j].Value
		}
	}
	return out
}

// denseData is a numeric set with missing values (in training and, in other
// features, only at prediction), signed zeros and infinities.
func denseData(rows, nf int, seed uint64) (*Matrix, []float32, *Matrix) {
	x, y := synthBinary(rows, nf, seed)
	r := rand.New(rand.NewPCG(seed, 7))
	for i := 0; i < rows; i++ {
		if r.IntN(9) == 0 {
			x.Cols[1][i] = float32(math.NaN())
		}
		if r.IntN(5) == 0 {
			x.Cols[2][i] = float32(math.NaN())
			y[i] = 1
		}
	}
	// Test rows: odd count, NaN in a feature never missing in training.
	tx, _ := synthBinary(rows/2+5, nf, seed+1)
	special := []float32{float32(math.NaN()), float32(math.Copysign(0, -1)), 0, float32(math.Inf(1)), float32(math.Inf(-1)), math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32}
	for i := 0; i < tx.Rows; i++ {
		for j := 0; j < nf; j++ {
			if r.IntN(7) == 0 {
				tx.Cols[j][i] = special[r.IntN(len(special))]
			}
		}
	}
	return x, y, tx
}

func checkBits(t *testing.T, what string, want, got []float64) {
	t.Helper()
	for i := range want {
		if math.Float64bits(want[i]) != math.Float64bits(got[i]) {
			t.Fatalf("%s: value %d is %v, want %v", what, i, got[i], want[i])
		}
	}
}

func TestDensePredictMatchesReference(t *testing.T) {
	x, y, tx := denseData(3000, 9, 21)
	for _, tc := range []struct {
		name  string
		obj   string
		depth int
	}{
		{"binary-d1", ObjectiveBinary, 1},
		{"binary-d6", ObjectiveBinary, 6},
		{"squared-d3", ObjectiveSquared, 3},
		{"multiclass-d4", ObjectiveMulticlass, 4},
		{"binary-d12", ObjectiveBinary, 12},
		{"binary-d14", ObjectiveBinary, 14},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := DefaultParams()
			p.Objective, p.MaxDepth, p.NumRounds = tc.obj, tc.depth, 12
			p.MinChildWeight = 0.01
			yy := y
			if tc.obj == ObjectiveMulticlass {
				p.NumClass = 3
				yy = make([]float32, len(y))
				for i := range y {
					yy[i] = y[i] + float32(i%3/2)
				}
			}
			m := trainT(t, x, yy, p)
			// A one-leaf tree in the middle.
			m.Trees[m.Outputs()].Nodes = []Node{{Feature: -1, Value: 0.25}}
			if err := m.Validate(); err != nil {
				t.Fatal(err)
			}
			f := m.flatten()
			deepest := 0
			for _, d := range f.depths {
				deepest = max(deepest, int(d))
			}
			t.Logf("deepest tree %d, dense %v", deepest, f.dense != nil)
			if (f.dense != nil) != (deepest <= denseMaxDepth) {
				t.Fatalf("dense layout %v with trees of depth %d", f.dense != nil, deepest)
			}
			for _, in := range []*Matrix{tx, x.slice(0, 1), x.slice(5, 12), x.slice(0, 777)} {
				want := refMargin(m, in)
				got := make([]float64, len(want))
				m.PredictMargin(in, got)
				checkBits(t, "PredictMargin", want, got)
				for _, threads := range []int{1, 3} {
					got := make([]float64, len(want))
					m.predictMargin(nil, m.Bin(in), got, threads)
					checkBits(t, "binned margin", want, got)
					m.predictMargin(in, nil, got, threads)
					checkBits(t, "raw margin", want, got)
				}
			}
		})
	}
}

// TestWalkTileAsmMatchesGo compares the kernels that walkTile32 and
// walkTile8 use on this platform with the portable one.
func TestWalkTileAsmMatchesGo(t *testing.T) {
	x, y, tx := denseData(2000, 11, 22)
	p := DefaultParams()
	p.MaxDepth, p.NumRounds = 7, 40
	m := trainT(t, x, y, p)
	d := m.flatten().dense
	nf := m.NumFeatures
	bx := m.Bin(tx)
	for _, n := range []int{8, 24, 40} {
		ng := n / walkGroup
		k32 := make([]uint32, ng*2*nf*walkGroup)
		rawKeys(tx, 3, 3+n, k32)
		k8 := make([]uint8, ng*2*nf*walkGroup)
		binnedKeys(bx.bins[3*nf:(3+n)*nf], nf, m.flatten().miss, k8)
		for _, trees := range [][]treeRef{d.raw[0][:1], d.raw[0][:17], d.raw[0]} {
			a, b := make([]float64, n), make([]float64, n)
			for i := range a {
				a[i], b[i] = float64(i), float64(i)
			}
			walkTile32(trees, k32, ng, 2*nf*walkGroup, a)
			walkTileGo(trees, k32, ng, 2*nf*walkGroup, b)
			checkBits(t, "raw", b, a)
		}
		for _, trees := range [][]treeRef{d.binned[0][:1], d.binned[0][:17], d.binned[0]} {
			a, b := make([]float64, n), make([]float64, n)
			walkTile8(trees, k8, ng, 2*nf*walkGroup, a)
			walkTileGo(trees, k8, ng, 2*nf*walkGroup, b)
			checkBits(t, "binned", b, a)
		}
	}
}

func TestKeyPair(t *testing.T) {
	vals := []float32{float32(math.NaN()), float32(math.Copysign(0, -1)), 0, float32(math.Inf(1)), float32(math.Inf(-1)), 1, -1, 1.5, -1.5, math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32}
	for _, v := range vals {
		lo, hi := keyPair(v)
		for _, thr := range vals {
			if thr != thr {
				continue
			}
			tk := floatKey(thr, 0)
			want := v > thr
			if v != v {
				if lo <= tk || hi > tk {
					t.Errorf("NaN keys %#x %#x vs threshold %v (%#x)", lo, hi, thr, tk)
				}
				continue
			}
			if (lo > tk) != want || (hi > tk) != want {
				t.Errorf("%v > %v: keys %#x %#x, threshold key %#x", v, thr, lo, hi, tk)
			}
		}
	}
}

// TestRawKeyColumn compares the platform's key builder, and the portable
// Go one, with keyPair.
func TestRawKeyColumn(t *testing.T) {
	specials := []float32{float32(math.NaN()), float32(math.Copysign(0, -1)), 0, float32(math.Inf(1)), float32(math.Inf(-1)), 1, -1.5, math.MaxFloat32, -math.SmallestNonzeroFloat32, math.Float32frombits(0x7fc00001), math.Float32frombits(0xff800001)}
	r := rand.New(rand.NewPCG(3, 4))
	const ng, gsize, off, hiOff = 5, 40, 3, 16
	c := make([]float32, ng*walkGroup+3) // a tail that is not a group
	for i := range c {
		c[i] = specials[r.IntN(len(specials))]
	}
	for name, build := range map[string]func(c []float32, keys []uint32, gsize, off, hiOff int){
		"rawKeyColumn": rawKeyColumn, "rawKeyColumnGo": rawKeyColumnGo,
	} {
		keys := make([]uint32, ng*gsize)
		build(c, keys, gsize, off, hiOff)
		for i := 0; i < ng*walkGroup; i++ {
			lo, hi := keyPair(c[i])
			at := i/walkGroup*gsize + off + i%walkGroup
			if keys[at] != lo || keys[at+hiOff] != hi {
				t.Fatalf("%s: value %v: keys %#x %#x, want %#x %#x", name, c[i], keys[at], keys[at+hiOff], lo, hi)
			}
		}
	}
}
