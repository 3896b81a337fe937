package bench

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
)

// Targets of the issue.
const (
	TargetPickupP99MS     = 20.0
	TargetRecoverySeconds = 20.0
	// TargetBytesPerExp is what "about zero" Redis memory per finished
	// experiment means here: well under the size of one queued experiment.
	TargetBytesPerExp = 50.0
)

func checks(r *Report) []Check {
	var out []Check
	if p := r.Pickup; p != nil {
		out = append(out, Check{Scenario: ScenarioPickup, Target: fmt.Sprintf("p99 ≤ %.0f ms", TargetPickupP99MS),
			Drover: fmt.Sprintf("p99 %.1f ms", p.Drover.P99), Asynq: fmt.Sprintf("p99 %.1f ms", p.Asynq.P99),
			Met: p.Drover.N > 0 && p.Drover.P99 <= TargetPickupP99MS})
	}
	if t := r.Throughput; t != nil {
		out = append(out, Check{Scenario: ScenarioThroughput, Target: "≥ asynq's no-op drain",
			Drover: fmt.Sprintf("%.0f/s", t.Drover), Asynq: fmt.Sprintf("%.0f/s", t.Asynq), Met: t.Drover >= t.Asynq})
	}
	if c := r.Recovery; c != nil {
		a := "not run (--with-asynq-recovery)"
		if c.AsynqSeconds != nil {
			a = fmt.Sprintf("%.1f s", *c.AsynqSeconds)
		}
		out = append(out, Check{Scenario: ScenarioRecovery, Target: fmt.Sprintf("≤ %.0f s on defaults", TargetRecoverySeconds),
			Drover: fmt.Sprintf("%.1f s", c.DroverSeconds), Asynq: a, Met: c.DroverSeconds <= TargetRecoverySeconds})
	}
	if i := r.Idle; i != nil {
		out = append(out, Check{Scenario: ScenarioIdle, Target: fmt.Sprintf("commands/s, %d idle workers ≤ asynq", i.Workers),
			Drover: fmt.Sprintf("%.1f/s", i.Drover), Asynq: fmt.Sprintf("%.1f/s", i.Asynq), Met: i.Drover <= i.Asynq})
	}
	if m := r.Memory; m != nil {
		out = append(out, Check{Scenario: ScenarioMemory, Target: fmt.Sprintf("≈ 0 bytes/experiment (≤ %.0f), no key left", TargetBytesPerExp),
			Drover: fmt.Sprintf("%.1f B, %+d keys", m.DroverBytesPerExp, m.DroverKeysDelta),
			Asynq:  fmt.Sprintf("%.1f B, %+d keys", m.AsynqBytesPerExp, m.AsynqKeysDelta),
			Met:    math.Abs(m.DroverBytesPerExp) <= TargetBytesPerExp && m.DroverKeysDelta <= 0})
	}
	return out
}

// WriteTable prints the report as text tables.
func (r *Report) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "drover-bench queue: %s, %s (%d CPUs), redis %s, %s\n\n", r.Date, r.CPU, r.CPUs, r.RedisVersion, r.GoVersion)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tMEASURE\tDROVER\tASYNQ")
	if p := r.Pickup; p != nil {
		l := func(x Latency) string {
			return fmt.Sprintf("%.1f / %.1f / %.1f / %.1f (n=%d)", x.P50, x.P90, x.P99, x.Max, x.N)
		}
		fmt.Fprintf(tw, "pickup\tenqueue → child started, p50/p90/p99/max ms\t%s\t%s\n", l(p.Drover), l(p.Asynq))
		fmt.Fprintf(tw, "\t  of which enqueue → claimed in the worker, ms\t%s\t-\n", l(p.DroverClaimed))
		fmt.Fprintf(tw, "\t  of which claimed → child started, ms\t%s\t-\n", l(p.DroverStart))
		fmt.Fprintf(tw, "\tenqueue → child running (its first line), ms\t%s\t-\n", l(p.DroverChildRunning))
	}
	if t := r.Throughput; t != nil {
		fmt.Fprintf(tw, "throughput\t%d no-op experiments, %d×%d claimers, /s\t%.0f\t%.0f\n", t.N, t.Workers, t.Slots, t.Drover, t.Asynq)
		fmt.Fprintf(tw, "\tuntil every result was acked by the server, /s\t%.0f\t-\n", t.DroverAcked)
	}
	if c := r.Recovery; c != nil {
		a := "not run"
		if c.AsynqSeconds != nil {
			a = fmt.Sprintf("%.1f", *c.AsynqSeconds)
		}
		fmt.Fprintf(tw, "recovery\tkill -9 → running again elsewhere, s (lease %.0f s)\t%.1f\t%s\n", c.DroverLeaseSeconds, c.DroverSeconds, a)
	}
	if i := r.Idle; i != nil {
		fmt.Fprintf(tw, "idle\tRedis commands/s, %d idle workers, %.0f s\t%.1f\t%.1f\n", i.Workers, i.Seconds, i.Drover, i.Asynq)
		fmt.Fprintf(tw, "\ttop commands/s\t%s\t%s\n", top(i.DroverByCommand, 4), top(i.AsynqByCommand, 4))
	}
	if m := r.Memory; m != nil {
		fmt.Fprintf(tw, "memory\tused_memory bytes per finished experiment (n=%d)\t%.1f\t%.1f\n", m.N, m.DroverBytesPerExp, m.AsynqBytesPerExp)
		fmt.Fprintf(tw, "\tkeys left (delta / total)\t%+d / %d\t%+d / %d\n", m.DroverKeysDelta, m.DroverKeys, m.AsynqKeysDelta, m.AsynqKeys)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(r.Checks) > 0 {
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "TARGET\t\tDROVER\tASYNQ\tMET")
		for _, c := range r.Checks {
			met := "yes"
			if !c.Met {
				met = "NO"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.Scenario, c.Target, c.Drover, c.Asynq, met)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(w, "\n%.0f s in all\n", r.Seconds)
	return err
}

// top lists the n busiest commands as "name rate, ...".
func top(m map[string]float64, n int) string {
	type kv struct {
		k string
		v float64
	}
	var s []kv
	for k, v := range m {
		s = append(s, kv{k, v})
	}
	// Largest first, then by name.
	slices.SortFunc(s, func(a, b kv) int {
		if c := cmp.Compare(b.v, a.v); c != 0 {
			return c
		}
		return strings.Compare(a.k, b.k)
	})
	var parts []string
	for i := 0; i < len(s) && i < n; i++ {
		parts = append(parts, fmt.Sprintf("%s %.1f", strings.ToLower(s[i].k), s[i].v))
	}
	return strings.Join(parts, ", ")
}
