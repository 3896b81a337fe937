package worker

import (
	"context"
	"os/exec"
	"strings"
	"time"
)

// detectGPUs counts this machine's GPUs: the configured count when
// worker_gpus >= 0, else what nvidia-smi lists (0 without it).
func detectGPUs(ctx context.Context, configured int) (n int, how string) {
	if configured >= 0 {
		return configured, "worker_gpus"
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "nvidia-smi", "--query-gpu=index", "--format=csv,noheader").Output()
	if err != nil {
		return 0, "nvidia-smi not available"
	}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if strings.TrimSpace(l) != "" {
			n++
		}
	}
	return n, "nvidia-smi"
}

// gpuPool hands out GPU indices to attempts; each attempt gets its own
// CUDA_VISIBLE_DEVICES. Callers hold the worker's lock.
type gpuPool struct {
	busy []bool
}

func newGPUPool(n int) *gpuPool { return &gpuPool{busy: make([]bool, n)} }

func (p *gpuPool) total() int { return len(p.busy) }

func (p *gpuPool) free() int {
	n := 0
	for _, b := range p.busy {
		if !b {
			n++
		}
	}
	return n
}

// take reserves n GPUs (lowest indices first).
func (p *gpuPool) take(n int) ([]int, bool) {
	if n == 0 {
		return nil, true
	}
	var got []int
	for i, b := range p.busy {
		if !b && len(got) < n {
			got = append(got, i)
		}
	}
	if len(got) < n {
		return nil, false
	}
	for _, i := range got {
		p.busy[i] = true
	}
	return got, true
}

func (p *gpuPool) give(idx []int) {
	for _, i := range idx {
		p.busy[i] = false
	}
}
