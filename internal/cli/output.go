package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"
)

// printJSON writes v as indented JSON.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// table writes aligned columns.
func table(w io.Writer, header []string, rows [][]string) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
}

// isTerminal reports whether w is an interactive terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progressBar draws a one-line bar on a terminal (and nothing elsewhere).
type progressBar struct {
	w     io.Writer
	on    bool
	label string
	last  time.Time
	width int
}

func newProgressBar(w io.Writer, label string, enabled bool) *progressBar {
	return &progressBar{w: w, on: enabled && isTerminal(w), label: label, width: 30}
}

// set draws the bar at fraction f (0..1) with a note after it.
func (p *progressBar) set(f float64, note string) {
	if !p.on {
		return
	}
	if time.Since(p.last) < 50*time.Millisecond && f < 1 {
		return
	}
	p.last = time.Now()
	f = max(0, min(1, f))
	n := int(f * float64(p.width))
	if len(note) > 50 {
		note = note[:47] + "..."
	}
	fmt.Fprintf(p.w, "\r%s [%s%s] %3.0f%% %-50s", p.label, strings.Repeat("=", n), strings.Repeat(" ", p.width-n), f*100, note)
}

// done ends the bar's line.
func (p *progressBar) done() {
	if p.on {
		fmt.Fprintln(p.w)
	}
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func fmtTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

func fmtScore(v float64) string { return fmt.Sprintf("%.5f", v) }
