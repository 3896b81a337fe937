package testutil

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// SharedData returns the path of one of the public datasets the project's
// tests use: from $DROVER_SHARED_DATA, the shared/data folder beside the
// repository (where CI lays it), or the repository's examples/ folder. A
// dataset found nowhere skips the test, or fails it under CI=true.
func SharedData(t testing.TB, name string) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	dirs := []string{os.Getenv("DROVER_SHARED_DATA"), filepath.Join(root, "..", "shared", "data"), filepath.Join(root, "examples")}
	for _, d := range dirs {
		if d == "" {
			continue
		}
		p := filepath.Join(d, name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("testutil: dataset %s not found in $DROVER_SHARED_DATA, ../shared/data or examples/", name)
	}
	t.Skipf("testutil: dataset %s not found (set DROVER_SHARED_DATA)", name)
	return ""
}
