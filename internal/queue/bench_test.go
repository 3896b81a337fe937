package queue_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/drover-ml/drover/internal/queue"
	"github.com/drover-ml/drover/internal/testutil"
)

func benchQueue(b *testing.B) *queue.Queue {
	b.Helper()
	r := testutil.StartRedis(b)
	r.Client(0)
	q, err := queue.Open(context.Background(), queue.Options{Addr: r.Addr(), Prefix: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { q.Close() })
	return q
}

// BenchmarkClaimComplete: b.N no-op experiments are queued, then 8 workers of
// 2 slots claim and complete them as fast as they can (Redis on loopback).
func BenchmarkClaimComplete(b *testing.B) {
	q := benchQueue(b)
	ctx := context.Background()
	const workers, slots = 8, 2
	ids := make([]string, workers)
	for i := range ids {
		id, err := q.Register(ctx, queue.WorkerInfo{Name: fmt.Sprint("w", i), Slots: slots})
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = id
	}
	payload := []byte(`{"spec":{"dataset_id":"d","target":"y"}}`)
	for i := range b.N {
		if _, err := q.Enqueue(ctx, queue.Job{ID: fmt.Sprint("e", i), Payload: payload}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for _, w := range ids {
		for range slots {
			wg.Go(func() {
				for {
					l, err := q.Claim(ctx, w, 1, 0)
					if errors.Is(err, queue.ErrNoWork) || errors.Is(err, queue.ErrNoSlot) {
						return
					}
					if err != nil {
						b.Error(err)
						return
					}
					if err := q.Complete(ctx, l.Ref, []byte(`{"status":"succeeded"}`)); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "experiments/s")
}

// BenchmarkWakeLatency: a worker with a free slot is blocked in BLPOP; the
// time from Enqueue to the worker holding the lease.
func BenchmarkWakeLatency(b *testing.B) {
	q := benchQueue(b)
	ctx := context.Background()
	w, err := q.Register(ctx, queue.WorkerInfo{Name: "w", Slots: 1})
	if err != nil {
		b.Fatal(err)
	}
	lat := make([]time.Duration, 0, b.N)
	claimed := make(chan time.Time)
	ready := make(chan struct{})
	go func() {
		defer close(claimed)
		for {
			l, err := q.Claim(ctx, w, 1, 0)
			if err == nil {
				claimed <- time.Now()
				if l.Experiment == "stop" {
					return
				}
				if err := q.Complete(ctx, l.Ref, nil); err != nil {
					b.Error(err)
					return
				}
				continue
			}
			if !errors.Is(err, queue.ErrNoWork) {
				b.Error(err)
				return
			}
			ready <- struct{}{}
			if _, err := q.WaitForWork(ctx, w, 10*time.Second); err != nil {
				b.Error(err)
				return
			}
		}
	}()
	b.ResetTimer()
	for i := range b.N {
		<-ready
		time.Sleep(200 * time.Microsecond) // let the BLPOP reach Redis
		t0 := time.Now()
		if _, err := q.Enqueue(ctx, queue.Job{ID: fmt.Sprint("e", i)}); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, (<-claimed).Sub(t0))
	}
	b.StopTimer()
	<-ready
	q.Enqueue(ctx, queue.Job{ID: "stop"})
	<-claimed
	for range claimed {
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}
