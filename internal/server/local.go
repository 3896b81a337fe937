package server

import (
	"context"
	"errors"
	"fmt"
	"github.com/drover-ml/drover/internal/protocol"
	"github.com/drover-ml/drover/internal/store"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/drover-ml/drover/api"
	"github.com/drover-ml/drover/internal/loops"
	"github.com/drover-ml/drover/internal/queue"
	"github.com/drover-ml/drover/internal/runner"
)

// localDispatcher runs experiments in child processes of the server itself
// (worker_mode = "multiprocessing"), at most LocalProcessors at once, oldest
// first.
type localDispatcher struct {
	s     *Server
	slots int
	log   *slog.Logger

	wake    chan struct{}
	mu      sync.Mutex
	running map[string]*localRun
	// g owns the dispatch loop and one goroutine per running attempt.
	g loops.Group
}

type localRun struct {
	owner   string
	attempt int
	proc    *runner.Process
	started time.Time
	// cancelledBy is the user who cancelled it (set under the dispatcher's
	// lock before the kill), for the result's actor.
	cancelledBy string
	// recorded is closed once the attempt's end is in the store.
	recorded chan struct{}
}

func newLocalDispatcher(s *Server) *localDispatcher {
	return &localDispatcher{
		s:       s,
		slots:   s.cfg.LocalProcessors(),
		log:     s.log.With(slog.String("component", "local-runner")),
		wake:    make(chan struct{}, 1),
		running: map[string]*localRun{},
	}
}

// errServerStopping ends the local dispatcher's context; running children
// are killed with it as the reason (runner.Start watches that context).
var errServerStopping = errors.New("server stopping")

func (d *localDispatcher) Start(ctx context.Context) error {
	if err := d.s.recoverRunning(ctx); err != nil {
		return fmt.Errorf("server: recover experiments: %w", err)
	}
	if _, err := d.g.Start(ctx); err != nil {
		return fmt.Errorf("server: local dispatcher: %w", err)
	}
	d.g.Go(d.loop)
	d.poke()
	return nil
}

// Stop kills the running children and waits until each attempt's goroutine
// has seen its child end; idempotent.
func (d *localDispatcher) Stop() { d.g.Stop(errServerStopping) }

func (d *localDispatcher) poke() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

func (d *localDispatcher) Submit(ctx context.Context, e *store.Experiment) error {
	d.poke()
	return nil
}

func (d *localDispatcher) loop(ctx context.Context) {
	// A slow tick as a safety net; starts are driven by pokes.
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	for {
		d.fill(ctx)
		select {
		case <-ctx.Done():
			return
		case <-d.wake:
		case <-t.C:
		}
	}
}

// fill starts queued experiments while processors are free, chosen by the
// queue's rule (queue.Pick: priority class, running quotas, fifo or fair),
// the same the Redis claim script applies.
func (d *localDispatcher) fill(ctx context.Context) {
	d.mu.Lock()
	free := d.slots - len(d.running)
	running := d.runningByUser()
	d.mu.Unlock()
	if free <= 0 || ctx.Err() != nil {
		return
	}
	queued, err := d.s.store.ListExperiments(ctx, protocol.StatusQueued)
	if err != nil {
		d.log.Error("list queued experiments", slog.Any("err", err))
		return
	}
	cands := candidates(queued)
	lim := d.s.limits()
	for free > 0 {
		i := queue.Pick(cands, running, lim, d.s.cfg.SchedulingPolicy)
		if i < 0 {
			return
		}
		e := queued[i]
		queued = append(queued[:i:i], queued[i+1:]...)
		cands = append(cands[:i:i], cands[i+1:]...)
		if e.Spec.Command != "" && !d.s.cfg.AllowCommandExperiments {
			// Queued under an earlier configuration: it never runs.
			d.s.refuseQueuedCommand(ctx, e.ID)
			continue
		}
		if err := d.start(ctx, e); err != nil {
			d.log.Error("start experiment", slog.String("experiment", e.ID), slog.Any("err", err))
			continue
		}
		running[ownerOf(e)]++
		free--
	}
}

// runningByUser counts running experiments per owner; d.mu held.
func (d *localDispatcher) runningByUser() map[string]int {
	out := map[string]int{}
	for _, r := range d.running {
		out[r.owner]++
	}
	return out
}

func (d *localDispatcher) start(ctx context.Context, e *store.Experiment) error {
	s := d.s
	attempt := e.Attempt + 1
	dataPath := ""
	if e.Spec.DatasetID != "" {
		ds, err := s.store.GetDataset(ctx, e.Spec.DatasetID)
		if err != nil {
			return err
		}
		dataPath = s.datasetPath(ds.SHA256)
	}
	job := protocol.Job{
		ExperimentID: e.ID, Attempt: attempt, Spec: e.Spec, DataPath: dataPath,
		OutputDir: s.attemptDir(e.ID, attempt),
		Threads:   s.cfg.ThreadsPerExperiment(d.slots),
	}
	if err := os.MkdirAll(job.OutputDir, 0o755); err != nil {
		return err
	}
	// Hold the lock from "running" in the store until the child is in
	// d.running, so that Cancel, Workers and Positions never see one
	// without the other.
	d.mu.Lock()
	if err := s.markRunning(ctx, e.ID, attempt, "local", "local", time.Now()); err != nil {
		d.mu.Unlock()
		return err
	}
	pickup := time.Now()
	proc, err := runner.Start(ctx, job, runner.Options{
		OnEvent:    func(ev protocol.Event) { s.progress(context.WithoutCancel(ctx), e.ID, attempt, ev) },
		StderrPath: filepath.Join(job.OutputDir, runner.LogName),
	})
	if err != nil {
		d.mu.Unlock()
		s.finish(ctx, e.ID, attempt, protocol.Event{Type: protocol.EventResult, Status: protocol.StatusFailed, FailureKind: protocol.FailureInfra,
			Error: &protocol.Error{Code: "start_failed", Message: err.Error()}}, attempt <= s.cfg.MaxRetries)
		return err
	}
	s.metrics.pickup.Observe(time.Since(pickup).Seconds())
	r := &localRun{owner: ownerOf(e), attempt: attempt, proc: proc, started: time.Now(), recorded: make(chan struct{})}
	d.running[e.ID] = r
	d.mu.Unlock()
	// Called from the dispatch loop, a goroutine of d.g: Go always starts it.
	d.g.Go(func(ctx context.Context) {
		defer close(r.recorded)
		out := proc.Wait()
		d.mu.Lock()
		delete(d.running, e.ID)
		by := r.cancelledBy
		d.mu.Unlock()
		if ctx.Err() != nil {
			// The server is stopping: the attempt is left "running" and is
			// re-queued by recoverRunning at the next start.
			return
		}
		res := protocol.Event{Type: protocol.EventResult, Status: out.Status, FailureKind: out.FailureKind, Error: out.Error, Summary: out.Summary}
		res.Actor = by // "" unless a user cancelled it
		retry := out.Status == protocol.StatusFailed && out.FailureKind == protocol.FailureInfra && attempt <= s.cfg.MaxRetries
		s.finish(context.WithoutCancel(ctx), e.ID, attempt, res, retry)
		d.poke()
	})
	return nil
}

func (d *localDispatcher) Cancel(ctx context.Context, e *store.Experiment) error {
	who := whoCtx(ctx).Name
	d.mu.Lock()
	r := d.running[e.ID]
	if r != nil {
		r.cancelledBy = who
	}
	d.mu.Unlock()
	if r != nil {
		r.proc.Kill("cancelled by " + who)
		select {
		case <-r.recorded:
		case <-ctx.Done():
		}
		return nil
	}
	return d.s.cancelQueued(ctx, e.ID, who)
}

func (d *localDispatcher) Finish(ctx context.Context, e *store.Experiment) (bool, error) {
	d.mu.Lock()
	r := d.running[e.ID]
	d.mu.Unlock()
	if r == nil || r.attempt != e.Attempt {
		return false, nil
	}
	r.proc.Finish()
	return true, nil
}

func (d *localDispatcher) Workers(ctx context.Context) ([]api.Worker, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	host, _ := os.Hostname()
	w := api.Worker{ID: "local", Name: "local", Host: host, Processors: d.slots, Health: "healthy", State: "active", Running: []string{}}
	for id := range d.running {
		w.Running = append(w.Running, id)
	}
	now := time.Now().UTC()
	w.LastSeen = &now
	return []api.Worker{w}, nil
}

func (d *localDispatcher) Positions(ctx context.Context, queued []*store.Experiment) (map[string]Position, error) {
	d.mu.Lock()
	busy := len(d.running)
	running := d.runningByUser()
	d.mu.Unlock()
	// class first, then age: the order of the Redis queue's positions
	order := slices.Clone(queued)
	slices.SortStableFunc(order, func(a, b *store.Experiment) int {
		ra, _ := queue.PriorityRank(a.Spec.Priority)
		rb, _ := queue.PriorityRank(b.Spec.Priority)
		return ra - rb
	})
	lim := d.s.limits()
	out := make(map[string]Position, len(queued))
	perClass := map[string]int{}
	for i, e := range order {
		prio := e.Spec.Priority
		if prio == "" {
			prio = queue.PriorityNormal
		}
		rank, _ := queue.PriorityRank(prio)
		p := Position{Queue: "cpu", Index: i + 1, Reason: "starting", Priority: prio, Kind: queue.WaitClaiming}
		for r := 0; r < rank; r++ {
			p.Higher += perClass[queue.PriorityName(r)]
		}
		perClass[prio]++
		if why := queue.QuotaReason(ownerOf(e), running, lim); why != "" {
			p.Reason, p.Kind = why, queue.WaitQuota
		} else if busy >= d.slots {
			p.Reason, p.Kind = fmt.Sprintf("all %d processors busy", d.slots), queue.WaitBusy
		}
		out[e.ID] = p
	}
	return out, nil
}
