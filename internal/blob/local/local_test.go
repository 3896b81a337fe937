package local_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drover-ml/drover/internal/blob"
	"github.com/drover-ml/drover/internal/blob/blobtest"
	"github.com/drover-ml/drover/internal/blob/local"
)

func TestStore(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store {
		s, err := local.New(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestNoTempFilesLeft(t *testing.T) {
	dir := t.TempDir()
	s, err := local.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	// A put that fails half way must not leave its temporary file behind.
	_ = s.Put(t.Context(), "a/b", strings.NewReader("abc"), 10)
	if err := s.Put(t.Context(), "a/c", strings.NewReader("abc"), 3); err != nil {
		t.Fatal(err)
	}
	var names []string
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if !d.IsDir() {
			names = append(names, d.Name())
		}
		return nil
	})
	if len(names) != 1 || names[0] != "c" {
		t.Fatalf("files in store dir: %q, want only c", names)
	}
}
