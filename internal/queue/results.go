package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Stream names a message's origin.
const (
	StreamResults = "results"
	StreamEvents  = "events"
)

// Kinds of messages. Results-stream kinds describe the lifecycle of an
// experiment in the queue; the last four are final (the experiment has left
// Redis).
const (
	KindStarted   = "started"   // claimed: Ref is the new attempt
	KindRequeued  = "requeued"  // back in the queue (Reason: failed, released, lease_expired, worker_gone, worker_stopped)
	KindCompleted = "completed" // Complete: Data is the worker's result
	KindFailed    = "failed"    // Fail, final: FailureKind and Data from the worker
	KindLost      = "lost"      // lease expired or worker gone and no retry left: failed, kind infra
	KindCancelled = "cancelled" // Cancel
	KindEvent     = "event"     // events stream: Data is the worker's event
)

// Message is one entry of the results or events stream.
type Message struct {
	Stream      string // StreamResults or StreamEvents
	ID          string // stream entry id, for Ack
	Kind        string
	Ref         Ref
	FailureKind string // "infra", "user", "cancelled", ... when failed, lost, requeued or cancelled
	Reason      string
	Data        []byte
	Time        time.Time // Redis time it was written
}

// Final reports whether the message ends the experiment's life in the queue.
func (m Message) Final() bool {
	switch m.Kind {
	case KindCompleted, KindFailed, KindLost, KindCancelled:
		return true
	}
	return false
}

func (q *Queue) ensureGroups(ctx context.Context) error {
	for _, s := range []string{q.keys.results(), q.keys.events()} {
		err := q.rdb.XGroupCreateMkStream(ctx, s, group, "0").Err()
		if err != nil && !strings.Contains(err.Error(), "BUSYGROUP") {
			return fmt.Errorf("queue: create consumer group on %s: %w", s, err)
		}
	}
	return nil
}

// Reader reads results and events with the server's consumer group, in one
// blocking XREADGROUP over both streams. It first re-reads what this consumer
// received before and did not Ack (a restarted server loses nothing), then
// new entries. Use one Reader per consumer name, from one goroutine.
type Reader struct {
	q        *Queue
	consumer string
	backlog  bool              // still re-reading this consumer's unacked entries
	adopted  bool              // took over other consumers' unacked entries
	after    map[string]string // backlog position per stream key
}

// NewReader returns a Reader for the named consumer. Its first Read takes
// over every unacked entry of the group (from any consumer name, e.g. a
// server that restarted on another host) and re-reads them.
func (q *Queue) NewReader(consumer string) *Reader {
	return &Reader{q: q, consumer: consumer, backlog: true,
		after: map[string]string{q.keys.results(): "0", q.keys.events(): "0"}}
}

// Read returns up to count messages (per stream), blocking up to block
// (redis_result_queue_polling_interval) when there are none; it returns an
// empty slice when the wait ends with nothing. Malformed entries are logged,
// acknowledged and deleted, never returned.
func (r *Reader) Read(ctx context.Context, count int, block time.Duration) ([]Message, error) {
	if count <= 0 {
		count = 100
	}
	rk, ek := r.q.keys.results(), r.q.keys.events()
	if r.backlog && !r.adopted {
		if err := r.adopt(ctx); err != nil {
			return nil, err
		}
		r.adopted = true
	}
	if r.backlog {
		streams, err := r.q.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
			Group: group, Consumer: r.consumer, Count: int64(count), Block: -1,
			Streams: []string{rk, ek, r.after[rk], r.after[ek]},
		}).Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			return nil, r.fail(ctx, err)
		}
		msgs, seen := r.parse(ctx, streams, true)
		if seen > 0 {
			return msgs, nil
		}
		r.backlog = false
	}
	if block <= 0 {
		block = -1 // no BLOCK argument: return at once
	}
	streams, err := r.q.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group: group, Consumer: r.consumer, Count: int64(count), Block: block,
		Streams: []string{rk, ek, ">", ">"},
	}).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, r.fail(ctx, err)
	}
	msgs, _ := r.parse(ctx, streams, false)
	return msgs, nil
}

// adopt moves every delivered-but-unacked entry of the group, whoever the
// consumer, to this one (XAUTOCLAIM), so that nothing stays stuck under the
// name of a server that will not come back. drover runs one server.
func (r *Reader) adopt(ctx context.Context) error {
	for _, key := range []string{r.q.keys.results(), r.q.keys.events()} {
		start := "0-0"
		for {
			_, next, err := r.q.rdb.XAutoClaimJustID(ctx, &redis.XAutoClaimArgs{
				Stream: key, Group: group, Consumer: r.consumer, Start: start, Count: 1000,
			}).Result()
			if err != nil {
				return r.fail(ctx, err)
			}
			if next == "0-0" || next == "" {
				break
			}
			start = next
		}
	}
	return nil
}

// fail recreates the consumer group when Redis lost it (restart without
// persistence), so the next Read works again.
func (r *Reader) fail(ctx context.Context, err error) error {
	if strings.Contains(err.Error(), "NOGROUP") {
		if gerr := r.q.ensureGroups(ctx); gerr == nil {
			r.backlog = true
			r.after = map[string]string{r.q.keys.results(): "0", r.q.keys.events(): "0"}
		}
	}
	return fmt.Errorf("queue: read results: %w", err)
}

// parse converts stream entries; seen counts every entry including malformed
// ones (for the backlog's end test).
func (r *Reader) parse(ctx context.Context, streams []redis.XStream, backlog bool) (msgs []Message, seen int) {
	var bad []Message
	for _, st := range streams {
		name := StreamResults
		if st.Stream == r.q.keys.events() {
			name = StreamEvents
		}
		for _, x := range st.Messages {
			seen++
			if backlog {
				r.after[st.Stream] = x.ID
			}
			m, err := decode(name, x)
			if err != nil {
				r.q.log.Warn("malformed stream entry dropped", slog.String("stream", st.Stream),
					slog.String("id", x.ID), slog.Any("error", err))
				bad = append(bad, Message{Stream: name, ID: x.ID})
				continue
			}
			msgs = append(msgs, m)
		}
	}
	if len(bad) > 0 {
		if err := r.q.Ack(ctx, bad...); err != nil {
			r.q.log.Warn("ack of malformed entries failed", slog.Any("error", err))
		}
		r.q.rdb.HIncrBy(ctx, r.q.keys.stats(), "malformed", int64(len(bad)))
	}
	return msgs, seen
}

func decode(stream string, x redis.XMessage) (Message, error) {
	get := func(k string) (string, bool) {
		v, ok := x.Values[k]
		if !ok {
			return "", false
		}
		s, ok := v.(string)
		return s, ok
	}
	if x.Values == nil {
		return Message{}, errors.New("entry was deleted")
	}
	id, ok := get("exp")
	if !ok || id == "" {
		return Message{}, errors.New("no experiment id")
	}
	att, ok := get("attempt")
	if !ok {
		return Message{}, errors.New("no attempt")
	}
	n := atoi64(att)
	if n < 0 || fmt.Sprint(n) != att {
		return Message{}, fmt.Errorf("bad attempt %q", att)
	}
	m := Message{Stream: stream, ID: x.ID, Kind: KindEvent}
	m.Ref.Experiment, m.Ref.Attempt = id, int(n)
	m.Ref.Worker, _ = get("worker")
	if data, ok := get("data"); ok && data != "" {
		m.Data = []byte(data)
	}
	if t, ok := get("t"); ok {
		m.Time = ms(atoi64(t))
	}
	if stream == StreamResults {
		m.Kind, _ = get("kind")
		switch m.Kind {
		case KindStarted, KindRequeued, KindCompleted, KindFailed, KindLost, KindCancelled:
		default:
			return Message{}, fmt.Errorf("unknown kind %q", m.Kind)
		}
		m.FailureKind, _ = get("fkind")
		m.Reason, _ = get("reason")
	}
	return m, nil
}

// Ack acknowledges messages and deletes them from their streams (XACK +
// XDEL), so that handled results and events leave Redis.
func (q *Queue) Ack(ctx context.Context, msgs ...Message) error {
	if len(msgs) == 0 {
		return nil
	}
	ids := map[string][]string{}
	for _, m := range msgs {
		k := q.keys.results()
		if m.Stream == StreamEvents {
			k = q.keys.events()
		}
		ids[k] = append(ids[k], m.ID)
	}
	pipe := q.rdb.TxPipeline()
	for k, l := range ids {
		pipe.XAck(ctx, k, group, l...)
		pipe.XDel(ctx, k, l...)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("queue: ack: %w", err)
	}
	return nil
}
