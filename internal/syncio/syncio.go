// Package syncio holds the buffer that a child process's output goroutines
// and its readers share: the one copy of what the tests, the test services
// and the benchmark each had.
package syncio

import (
	"bytes"
	"sync"
)

// Buffer is a bytes.Buffer safe for concurrent Write and String. With Max
// > 0 it keeps only the first Max bytes written and drops the rest (Write
// still reports every byte taken, so a writing process never blocks or
// fails on it). The zero value is an empty buffer without a limit.
type Buffer struct {
	Max int

	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p, up to Max bytes in all when Max > 0.
func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	keep := p
	if s.Max > 0 {
		keep = p[:max(0, min(len(p), s.Max-s.b.Len()))]
	}
	s.b.Write(keep)
	return len(p), nil
}

// String returns what was written so far.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
