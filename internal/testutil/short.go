package testutil

import (
	"os"
	"testing"
)

// SkipShort skips a test that needs an external service (Redis, MinIO,
// Chromium, real processes) under `go test -short` (`make unit`), except
// under CI=true where every test runs.
func SkipShort(t testing.TB, service string) {
	t.Helper()
	if testing.Short() && os.Getenv("CI") != "true" {
		t.Skipf("-short: skipping a test that needs %s", service)
	}
}
