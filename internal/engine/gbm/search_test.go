package gbm

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestSearchCuts(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 2000; trial++ {
		n := r.IntN(300)
		cuts := make([]float32, n)
		for i := range cuts {
			cuts[i] = float32(i) + 0.5
		}
		v := float32(r.IntN(n+3)) - 1 + float32(r.IntN(3))*0.25
		want := 0
		for _, c := range cuts {
			if c < v {
				want++
			}
		}
		if got := searchCuts(cuts, v); got != want {
			t.Fatalf("n=%d v=%v: got %d want %d", n, v, got, want)
		}
	}
}

func TestFastExp(t *testing.T) {
	for x := -60.0; x <= 60; x += 0.0137 {
		want := math.Exp(x)
		if got := fastExp(x); math.Abs(got-want) > 1e-9*want {
			t.Fatalf("fastExp(%v) = %v, want %v", x, got, want)
		}
	}
	if fastExp(-1000) <= 0 || math.IsInf(fastExp(1000), 0) {
		t.Fatal("fastExp does not clamp")
	}
}
