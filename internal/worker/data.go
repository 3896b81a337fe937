package worker

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/drover-ml/drover/api"
	"github.com/drover-ml/drover/internal/queue"
)

// sharedDisk is the singlenode data path: the worker runs on the server's
// machine and reads the dataset and writes outputs on the server's disk.
type sharedDisk struct{}

func (sharedDisk) Dataset(ctx context.Context, a *api.Assignment, ref queue.Ref, events func(api.Event)) (string, func(), error) {
	if a.DataPath == "" {
		return "", nil, fmt.Errorf("singlenode assignment without a data path (is the server in multinode mode?)")
	}
	if _, err := os.Stat(a.DataPath); err != nil {
		return "", nil, fmt.Errorf("dataset %s: %w (singlenode workers must share the server's disk)", a.DatasetSHA256, err)
	}
	return a.DataPath, func() {}, nil
}

func (sharedDisk) OutputDir(a *api.Assignment, ref queue.Ref) string {
	return filepath.Join(a.ArtifactDir, "attempt-"+strconv.Itoa(ref.Attempt))
}

// Publish has nothing to do: the outputs are already where the server reads them.
func (sharedDisk) Publish(ctx context.Context, a *api.Assignment, ref queue.Ref) error { return nil }

func (sharedDisk) Close() {}
