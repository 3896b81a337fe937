package queue

import (
	"reflect"
	"strconv"
	"testing"

	"github.com/redis/go-redis/v9"
)

// FuzzDecode: whatever a stream entry holds (anyone who can write to Redis
// can add one), decode never panics, and an entry it accepts names an
// experiment, an attempt that reads back as the number it was written as,
// and for the results stream a known kind; encoding the accepted message
// again decodes to the same message.
func FuzzDecode(f *testing.F) {
	f.Add(true, "ex_1", "3", "w1", "completed", "user", "boom", `{"type":"log"}`, "1700000000000")
	f.Add(false, "ex_1", "0", "", "", "", "", "", "")
	f.Add(true, "", "1", "w", "started", "", "", "", "")
	f.Add(true, "ex", "-1", "w", "failed", "", "", "", "x")
	f.Add(true, "ex", "01", "w", "lost", "", "", "", "")
	f.Add(true, "ex", "99999999999999999999", "w", "cancelled", "", "", "", "")
	f.Add(false, "ex", " 1", "w", "nope", "", "", "\xff", "-5")
	f.Fuzz(func(t *testing.T, results bool, exp, att, worker, kind, fkind, reason, data, ts string) {
		stream := StreamEvents
		if results {
			stream = StreamResults
		}
		values := map[string]any{"exp": exp, "attempt": att, "worker": worker, "kind": kind,
			"fkind": fkind, "reason": reason, "data": data, "t": ts}
		m, err := decode(stream, redis.XMessage{ID: "1-0", Values: values})
		if err != nil {
			return
		}
		if m.Ref.Experiment == "" || m.Ref.Experiment != exp {
			t.Fatalf("accepted experiment %q from %q", m.Ref.Experiment, exp)
		}
		if m.Ref.Attempt < 0 || strconv.Itoa(m.Ref.Attempt) != att {
			t.Fatalf("attempt %q decoded as %d", att, m.Ref.Attempt)
		}
		if results {
			switch m.Kind {
			case KindStarted, KindRequeued, KindCompleted, KindFailed, KindLost, KindCancelled:
			default:
				t.Fatalf("results entry of unknown kind %q accepted", m.Kind)
			}
		} else if m.Kind != KindEvent {
			t.Fatalf("events entry decoded as kind %q", m.Kind)
		}
		// Round trip: what a writer would put for m decodes to m.
		again := map[string]any{"exp": m.Ref.Experiment, "attempt": strconv.Itoa(m.Ref.Attempt), "worker": m.Ref.Worker,
			"data": string(m.Data), "kind": kind, "fkind": m.FailureKind, "reason": m.Reason}
		if !m.Time.IsZero() {
			again["t"] = strconv.FormatInt(m.Time.UnixMilli(), 10)
		}
		m2, err := decode(stream, redis.XMessage{ID: "1-0", Values: again})
		if err != nil {
			t.Fatalf("re-encoded %+v does not decode: %v", m, err)
		}
		if !reflect.DeepEqual(m, m2) {
			t.Fatalf("round trip:\n%+v\n%+v", m, m2)
		}
	})
}
