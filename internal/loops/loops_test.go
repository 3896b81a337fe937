package loops_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/drover-ml/drover/internal/loops"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestStartGoStop(t *testing.T) {
	var g loops.Group
	g.Stop(nil) // before Start: nothing to do
	var g2 loops.Group
	ctx, err := g2.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g2.Start(context.Background()); !errors.Is(err, loops.ErrStarted) {
		t.Fatalf("second Start: %v", err)
	}
	var ended atomic.Int32
	for range 3 {
		g2.Go(func(ctx context.Context) { <-ctx.Done(); ended.Add(1) })
	}
	var ticks atomic.Int32
	g2.Every(time.Millisecond, func(context.Context) { ticks.Add(1) })
	stop := errors.New("stopping")
	g2.Stop(stop)
	if n := ended.Load(); n != 3 {
		t.Fatalf("%d goroutines ended by Stop, want 3", n)
	}
	if got := context.Cause(ctx); !errors.Is(got, stop) {
		t.Fatalf("cause %v, want %v", got, stop)
	}
	g2.Stop(nil) // idempotent
	if g2.Go(func(context.Context) { t.Error("Go after Stop ran") }) {
		t.Fatal("Go after Stop started a goroutine")
	}
	if _, err := g2.Start(context.Background()); !errors.Is(err, loops.ErrStopped) {
		t.Fatalf("Start after Stop: %v", err)
	}
	select {
	case <-g2.Done():
	default:
		t.Fatal("Done not closed after Stop")
	}
}

func TestParentEndsGroup(t *testing.T) {
	parent, cancel := context.WithCancel(context.Background())
	var g loops.Group
	if _, err := g.Start(parent); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	g.Go(func(ctx context.Context) { <-ctx.Done(); close(done) })
	cancel()
	<-done
	g.Stop(nil)
}

// A goroutine of the group may start another while Stop waits; Stop waits
// for that one too.
func TestGoFromInsideWhileStopping(t *testing.T) {
	var g loops.Group
	if _, err := g.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	var late atomic.Bool
	g.Go(func(ctx context.Context) {
		<-ctx.Done()
		if !g.Go(func(context.Context) { late.Store(true) }) {
			t.Error("Go from the group's goroutine refused while stopping")
		}
	})
	g.Stop(nil)
	if !late.Load() {
		t.Fatal("Stop returned before the goroutine started while stopping")
	}
}
