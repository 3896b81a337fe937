package runner_test

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/drover-ml/drover/internal/protocol"
)

func writeJob(t *testing.T, path string, job protocol.Job) {
	t.Helper()
	b, err := json.Marshal(job)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
