// Package loops gives drover's long-lived components one start/stop shape.
// A component (a dispatcher, the reaper, a worker's loops) embeds a Group:
// its Start(ctx) error calls Group.Start and launches its goroutines with
// Go or Every; its Stop() calls Group.Stop, which cancels them and waits for
// every one. Stop is idempotent and safe before Start.
package loops

import (
	"context"
	"errors"
	"sync"
	"time"
)

// ErrStarted is returned by a second Start.
var ErrStarted = errors.New("loops: already started")

// ErrStopped is returned by Start after Stop.
var ErrStopped = errors.New("loops: stopped")

// Group owns a set of goroutines that run until Stop. The zero value is ready.
type Group struct {
	mu      sync.Mutex
	ctx     context.Context
	cancel  context.CancelCauseFunc
	started bool
	stopped bool // Stop was called
	waited  bool // a Stop has seen every goroutine end
	wg      sync.WaitGroup
}

// Start makes the group's context, a child of parent, and returns it. The
// group's goroutines see it end at Stop, or when parent ends.
func (g *Group) Start(parent context.Context) (context.Context, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case g.stopped:
		return nil, ErrStopped
	case g.started:
		return nil, ErrStarted
	}
	g.ctx, g.cancel = context.WithCancelCause(parent)
	g.started = true
	return g.ctx, nil
}

// Go runs fn(ctx) in a goroutine the group waits for; ctx is the group's.
// It reports whether fn was started: not before Start, nor once Stop has
// returned. The group's own goroutines may call it while Stop waits (fn then
// gets the ended context and Stop waits for it too); other callers must not
// race with Stop.
func (g *Group) Go(fn func(ctx context.Context)) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.started || g.waited {
		return false
	}
	g.wg.Add(1)
	ctx := g.ctx
	go func() {
		defer g.wg.Done()
		fn(ctx)
	}()
	return true
}

// Every runs fn(ctx) every interval until the group stops.
func (g *Group) Every(interval time.Duration, fn func(ctx context.Context)) bool {
	return g.Go(func(ctx context.Context) {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				fn(ctx)
			}
		}
	})
}

// Done is closed when the group's context ends (Stop, or parent's end); nil
// before Start.
func (g *Group) Done() <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ctx == nil {
		return nil
	}
	return g.ctx.Done()
}

// Stop cancels the group's context with cause (nil means
// context.Canceled) and waits for every goroutine started with Go. Only the
// first call's cause counts; later calls wait too.
func (g *Group) Stop(cause error) {
	g.mu.Lock()
	g.stopped = true
	if g.cancel != nil {
		g.cancel(cause)
	}
	g.mu.Unlock()
	g.wg.Wait()
	g.mu.Lock()
	g.waited = true
	g.mu.Unlock()
}
