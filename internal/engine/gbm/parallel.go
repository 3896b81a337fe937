package gbm

import "sync"

// parallelFor calls fn(i) for i in [0, n) on up to threads goroutines. Work
// is handed out in order through a shared counter; fn must not depend on
// which goroutine runs it.
func parallelFor(n, threads int, fn func(i int)) {
	if threads > n {
		threads = n
	}
	if threads <= 1 {
		for i := 0; i < n; i++ {
			fn(i)
		}
		return
	}
	var (
		mu   sync.Mutex
		next int
		wg   sync.WaitGroup
	)
	take := func() int {
		mu.Lock()
		i := next
		next++
		mu.Unlock()
		return i
	}
	work := func() {
		defer wg.Done()
		for i := take(); i < n; i = take() {
			fn(i)
		}
	}
	wg.Add(threads)
	for t := 1; t < threads; t++ {
		go work()
	}
	work()
	wg.Wait()
}

// parallelRange splits [0, n) into one contiguous chunk per goroutine (at
// most threads, each at least minChunk long) and calls fn(lo, hi) on each.
func parallelRange(n, threads, minChunk int, fn func(lo, hi int)) {
	chunks := threads
	if minChunk > 0 && n/minChunk < chunks {
		chunks = n / minChunk
	}
	if chunks <= 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	wg.Add(chunks - 1)
	for c := 1; c < chunks; c++ {
		lo, hi := c*n/chunks, (c+1)*n/chunks
		go func() {
			defer wg.Done()
			fn(lo, hi)
		}()
	}
	fn(0, n/chunks)
	wg.Wait()
}
