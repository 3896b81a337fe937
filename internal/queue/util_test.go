package queue_test

import (
	"strings"
	"testing"

	"github.com/drover-ml/drover/internal/testutil"
)

func testutil_start(t *testing.T, opts ...testutil.RedisOption) *testutil.Redis {
	return testutil.StartRedis(t, opts...)
}

func splitLines(s string) []string { return strings.Split(s, "\n") }
func contains(s, sub string) bool  { return strings.Contains(s, sub) }
