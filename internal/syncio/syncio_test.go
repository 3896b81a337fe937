package syncio

import (
	"strings"
	"sync"
	"testing"
)

func TestBufferConcurrent(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				b.Write([]byte("ab\n"))
				_ = b.String()
			}
		})
	}
	wg.Wait()
	if got := b.String(); len(got) != 8*100*3 || strings.Count(got, "ab\n") != 800 {
		t.Fatalf("%d bytes, %d lines; want 2400 and 800", len(got), strings.Count(got, "ab\n"))
	}
}

func TestBufferMax(t *testing.T) {
	b := Buffer{Max: 5}
	for _, w := range []string{"abc", "defg", "h"} {
		if n, err := b.Write([]byte(w)); n != len(w) || err != nil {
			t.Fatalf("Write(%q) = %d, %v; want %d, nil", w, n, err, len(w))
		}
	}
	if got := b.String(); got != "abcde" {
		t.Fatalf("kept %q, want the first 5 bytes %q", got, "abcde")
	}
}
