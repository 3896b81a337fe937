package server

import (
	"cmp"
	"context"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/drover-ml/drover/api"
	"github.com/drover-ml/drover/internal/protocol"
	"github.com/drover-ml/drover/internal/store"
)

// queueViewTTL is how old a queue view may grow before a read refreshes
// it in the background. Working out the places reads the whole queue
// (10,000 queued: a Redis snapshot of every pending experiment, hundreds of
// ms of CPU on a busy machine, docs/performance.md), which a list, a detail
// or System Info must not pay on every request, nor every second while a
// page polls. Changes made through the server refresh it before the next
// read anyway (invalidate); the TTL only bounds how late a change the
// server does not see (a worker coming online) shows in wait reasons.
const queueViewTTL = 5 * time.Second

// queueView is the queue as users see it at one moment: the place and
// wait reason of every queued experiment, and the alerts they raise.
type queueView struct {
	gen    uint64    // the change generation it was computed at
	at     time.Time // when its computation started
	pos    map[string]Position
	alerts []api.Alert
}

// queueCache keeps the last queue view. Changes made through this server
// (an experiment queued, started, finished, cancelled or reprioritised; a
// worker drained) invalidate it, and the next read waits for a view that
// includes them, so a client reads its own change. Changes the server does
// not see (a worker coming online) show within queueViewTTL: a read of an
// older view answers with it and starts a refresh. Concurrent reads share
// one computation.
type queueCache struct {
	mu      sync.Mutex
	gen     uint64
	view    *queueView
	running chan struct{} // closed when the computation in progress ends
	wg      sync.WaitGroup
}

// invalidate records that the queue changed through this server.
func (c *queueCache) invalidate() {
	c.mu.Lock()
	c.gen++
	c.mu.Unlock()
}

// queueView returns a view that includes every change made before the
// call; nil only when ctx ends before the first one is ready.
func (s *Server) queueView(ctx context.Context) *queueView {
	c := &s.queue
	c.mu.Lock()
	need := c.gen
	for {
		if v := c.view; v != nil && v.gen >= need {
			if time.Since(v.at) >= queueViewTTL && c.running == nil {
				s.startQueueView()
			}
			c.mu.Unlock()
			return v
		}
		if c.running == nil {
			s.startQueueView()
		}
		wait := c.running
		c.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			c.mu.Lock()
			v := c.view
			c.mu.Unlock()
			return v
		}
		c.mu.Lock()
	}
}

// startQueueView starts a computation; c.mu is held.
func (s *Server) startQueueView() {
	c := &s.queue
	done := make(chan struct{})
	c.running = done
	gen, at := c.gen, time.Now()
	ctx := s.life
	if ctx == nil {
		ctx = context.Background()
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		v := s.computeQueueView(ctx)
		v.gen, v.at = gen, at
		c.mu.Lock()
		c.view, c.running = v, nil
		close(done)
		c.mu.Unlock()
	}()
}

// computeQueueView reads the queued experiments and asks the dispatcher
// where each stands. A dispatcher that cannot say (Redis down) yields a
// view without places or alerts rather than an error: lists and System
// Info must still answer.
func (s *Server) computeQueueView(ctx context.Context) *queueView {
	v := &queueView{pos: map[string]Position{}, alerts: []api.Alert{}}
	if _, ok := s.disp.(*redisDispatcher); ok {
		// Redis knows the queue and its order: no read of the store's
		// 10,000 queued rows (and their specs) each time.
		pos, err := s.disp.Positions(ctx, nil)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("queue view: queue positions unavailable", slog.Any("err", err))
			}
			return v
		}
		ids := slices.Collect(maps.Keys(pos))
		slices.SortFunc(ids, func(a, b string) int {
			return cmp.Or(strings.Compare(pos[a].Queue, pos[b].Queue), cmp.Compare(pos[a].Index, pos[b].Index), strings.Compare(a, b))
		})
		queued := make([]*store.Experiment, len(ids))
		for i, id := range ids {
			queued[i] = &store.Experiment{ID: id}
		}
		v.pos, v.alerts = pos, groupAlerts(queued, pos)
		return v
	}
	queued, err := s.store.ListExperiments(ctx, protocol.StatusQueued)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("queue view: queued experiments unavailable", slog.Any("err", err))
		}
		return v
	}
	if len(queued) == 0 {
		return v
	}
	pos, err := s.disp.Positions(ctx, queued)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("queue view: queue positions unavailable", slog.Any("err", err))
		}
		return v
	}
	v.pos, v.alerts = pos, groupAlerts(queued, pos)
	return v
}
