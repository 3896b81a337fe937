package model

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/drover-ml/drover/internal/engine/frame"
)

// PredictCSV reads a CSV table from r, predicts every row and writes a CSV
// to w. Classification writes the predicted label in column "predict"
// followed by one probability column "p.<level>" per class; regression
// writes "predict" only. Numbers are written in the shortest form that
// reads back exactly.
func (m *Model) PredictCSV(ctx context.Context, r io.Reader, w io.Writer, log func(string)) (int, error) {
	f, err := frame.Read(r, m.ReadOptions(log))
	if err != nil {
		return 0, err
	}
	return f.Rows, m.PredictTo(ctx, f, w, false)
}

// PredictTo predicts every row of f and writes the predictions CSV to w
// (see PredictCSV); with explain, each feature's contribution follows
// (WriteCSVExplained). It is the one predict path: the CLI's and the
// server's (engine.PredictFileWith) and PredictCSV's.
func (m *Model) PredictTo(ctx context.Context, f *frame.Frame, w io.Writer, explain bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p, err := m.Predict(f)
	if err != nil {
		return err
	}
	var contrib []float64
	if explain {
		if contrib, err = m.Explain(f); err != nil {
			return err
		}
	}
	return m.WriteCSVExplained(w, p, contrib, f.Rows)
}

// Header is the header of the predictions CSV.
func (m *Model) Header() []string {
	h := []string{"predict"}
	if m.Task != "regression" {
		for _, l := range m.TargetLevels {
			h = append(h, "p."+l)
		}
	}
	return h
}

// WriteCSV writes predictions p of n rows (layout as Predict) as CSV.
func (m *Model) WriteCSV(w io.Writer, p []float64, n int) error {
	return m.WriteCSVExplained(w, p, nil, n)
}

// WriteCSVExplained is WriteCSV followed, when contrib is not nil, by the
// contribution columns of ContribHeader (contrib laid out as Explain's).
func (m *Model) WriteCSVExplained(w io.Writer, p, contrib []float64, n int) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	cw := csv.NewWriter(bw)
	header := m.Header()
	np := len(header)
	if contrib != nil {
		header = append(header, m.ContribHeader()...)
	}
	if err := cw.Write(header); err != nil {
		return fmt.Errorf("model: write predictions: %w", err)
	}
	k := m.NumClass()
	rec := make([]string, len(header))
	nc := len(header) - np
	for i := range n {
		if m.Task == "regression" {
			rec[0] = strconv.FormatFloat(p[i], 'g', -1, 64)
		} else {
			rec[0] = m.TargetLevels[m.Label(p, k, i)]
			for c := range k {
				rec[c+1] = strconv.FormatFloat(p[i*k+c], 'g', -1, 64)
			}
		}
		for c := range nc {
			rec[np+c] = strconv.FormatFloat(contrib[i*nc+c], 'g', -1, 64)
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("model: write predictions: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("model: write predictions: %w", err)
	}
	return bw.Flush()
}

func dedupe(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}

func quoteList(s []string, limit int) string {
	q := make([]string, 0, min(len(s), limit))
	for _, v := range s[:min(len(s), limit)] {
		q = append(q, strconv.Quote(v))
	}
	out := strings.Join(q, ", ")
	if len(s) > limit {
		out += fmt.Sprintf(" and %d more", len(s)-limit)
	}
	return out
}
