package server

import (
	"context"
	"log/slog"
	"time"
)

// The search index (store: experiments_fts) merges no segments inside
// creates; the server does that work here instead, every
// searchMergeEvery, in steps of searchMergePages pages with a pause
// between them, until a step finds nothing to merge. A step is one short
// write transaction, so a create waits for one step at most.
const (
	searchMergeEvery = time.Minute
	searchMergePages = 200
	searchMergePause = 20 * time.Millisecond
	// searchMergeSteps bounds one round (a fully merged index needs a
	// handful of steps; more means the index grows faster than a round).
	searchMergeSteps = 100
)

// mergeSearchIndex runs one round of merge steps.
func (s *Server) mergeSearchIndex(ctx context.Context) {
	steps := 0
	for steps < searchMergeSteps {
		worked, err := s.store.MergeSearchIndex(ctx, searchMergePages)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("search index merge", slog.Any("err", err))
			}
			return
		}
		if !worked {
			break
		}
		steps++
		select {
		case <-ctx.Done():
			return
		case <-time.After(searchMergePause):
		}
	}
	if steps > 0 {
		s.log.Debug("search index merged", slog.Int("steps", steps))
	}
}
