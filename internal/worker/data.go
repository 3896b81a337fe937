package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"

	"github.com/drover-ml/drover/internal/protocol"
	"github.com/drover-ml/drover/internal/queue"
)

// sharedDisk is the singlenode data path: the worker runs on the server's
// machine and reads the dataset and writes outputs on the server's disk.
type sharedDisk struct{}

func (sharedDisk) Dataset(ctx context.Context, a *protocol.Assignment, ref queue.Ref, events func(protocol.Event)) (string, func(), error) {
	if a.DataPath == "" {
		return "", nil, fmt.Errorf("singlenode assignment without a data path (is the server in multinode mode?)")
	}
	if _, err := os.Stat(a.DataPath); err != nil {
		return "", nil, fmt.Errorf("dataset %s: %w (singlenode workers must share the server's disk)", a.DatasetSHA256, err)
	}
	return a.DataPath, func() {}, nil
}

func (sharedDisk) OutputDir(a *protocol.Assignment, ref queue.Ref) string {
	return filepath.Join(a.ArtifactDir, "attempt-"+strconv.Itoa(ref.Attempt))
}

// Publish has nothing to do: the outputs are already where the server reads them.
func (sharedDisk) Publish(ctx context.Context, a *protocol.Assignment, ref queue.Ref) error {
	return nil
}

func (sharedDisk) Close() {}

// prefetcher is a Data that can fetch a dataset ahead of its experiment.
type prefetcher interface {
	Prefetch(sha string)
}

// prefetchNext warms the cache with the dataset of the experiment this
// worker will most likely claim next, once all its processors are busy, so
// that experiment starts without waiting for its data.
func (w *Worker) prefetchNext(ctx context.Context) {
	pf, ok := w.data.(prefetcher)
	if !ok {
		return
	}
	if free, _ := w.freeCapacity(); free > 0 {
		return // the claim loop takes the next experiment at once anyway
	}
	payload, err := w.q.Peek(ctx, w.ID())
	if err != nil || len(payload) == 0 {
		return
	}
	var a protocol.Assignment
	if json.Unmarshal(payload, &a) != nil || a.DatasetSHA256 == "" {
		return
	}
	w.log.Debug("prefetching the next dataset", slog.String("experiment", a.ExperimentID), slog.String("dataset", a.DatasetSHA256))
	pf.Prefetch(a.DatasetSHA256)
}
