package frame

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Options tune Read.
type Options struct {
	// Kinds forces the kind of named source columns (Numeric, Categorical
	// or Date) instead of inferring it. Values that do not fit a forced
	// kind become missing, and Log says how many.
	Kinds map[string]Kind
	// Only, when not nil, keeps just the named source columns.
	Only map[string]bool
	// Log receives one line per noteworthy decision (infinities, values
	// that did not fit a forced kind). It may be nil.
	Log func(msg string)
}

func (o *Options) logf(format string, args ...any) {
	if o.Log != nil {
		o.Log(fmt.Sprintf(format, args...))
	}
}

// ReadFile reads a CSV file, or a Parquet file when the name ends in
// ".parquet" or the content starts with the Parquet magic bytes.
func ReadFile(path string, opt Options) (*Frame, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("frame: %w", err)
	}
	defer f.Close()
	if isParquet(f, path) {
		st, err := f.Stat()
		if err != nil {
			return nil, fmt.Errorf("frame: %w", err)
		}
		return readParquet(f, st.Size(), opt)
	}
	return Read(f, opt)
}

func isParquet(f *os.File, path string) bool {
	if strings.EqualFold(filepath.Ext(path), ".parquet") {
		return true
	}
	var magic [4]byte
	n, _ := f.ReadAt(magic[:], 0)
	return n == 4 && string(magic[:]) == "PAR1"
}

// Read parses CSV from r into a Frame. Errors about the content are
// *usererr.Error values with stable codes.
func Read(r io.Reader, opt Options) (*Frame, error) {
	rs, err := newRecords(r)
	if err != nil {
		return nil, err
	}
	ncol := len(rs.header)
	raw := make([][]string, ncol)
	rows := 0
	for {
		rec, err := rs.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		for i, f := range rec {
			if opt.Only == nil || opt.Only[rs.header[i]] {
				raw[i] = append(raw[i], f)
			}
		}
		rows++
	}
	return fromRaw(rs.header, raw, rows, opt)
}

// fromRaw types and codes raw string columns.
func fromRaw(header []string, raw [][]string, rows int, opt Options) (*Frame, error) {
	if rows == 0 {
		return nil, errHeaderOnly()
	}
	fr := &Frame{Rows: rows}
	for i, name := range header {
		if opt.Only != nil && !opt.Only[name] {
			continue
		}
		kind, forced := opt.Kinds[name]
		if !forced {
			kind = infer(raw[i])
		}
		fr.Columns = append(fr.Columns, build(name, kind, raw[i], &opt)...)
		raw[i] = nil
	}
	return fr, nil
}

// infer picks the kind of a column from its raw values.
func infer(vals []string) Kind {
	numeric, date := true, true
	for _, s := range vals {
		if IsMissing(s) {
			continue
		}
		s = strings.TrimSpace(s)
		if numeric {
			if _, err := strconv.ParseFloat(s, 64); err != nil {
				numeric = false
			}
		}
		if date && !numeric {
			if _, ok := parseDate(s); !ok {
				date = false
			}
		}
		if !numeric && !date {
			return Categorical
		}
	}
	if numeric {
		return Numeric
	}
	return Date
}

// build turns raw values into one column (or several for a date).
func build(name string, kind Kind, vals []string, opt *Options) []*Column {
	switch kind {
	case Numeric:
		return []*Column{buildNumeric(name, vals, opt)}
	case Date:
		return buildDate(name, vals, opt)
	default:
		return []*Column{buildCategorical(name, vals)}
	}
}

func buildNumeric(name string, vals []string, opt *Options) *Column {
	out := make([]float32, len(vals))
	inf, bad := 0, 0
	for i, s := range vals {
		v, isInf, ok := numericField(s)
		out[i] = v
		switch {
		case !ok:
			bad++
		case isInf:
			inf++
		}
	}
	if inf > 0 {
		opt.logf("column %q: %d infinite or out-of-range values treated as missing", name, inf)
	}
	if bad > 0 {
		opt.logf("column %q: %d non-numeric values treated as missing", name, bad)
	}
	return &Column{Name: name, Kind: Numeric, Values: out}
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

func buildCategorical(name string, vals []string) *Column {
	codes := make(map[string]int32)
	for _, s := range vals {
		if IsMissing(s) {
			continue
		}
		s = strings.TrimSpace(s)
		if _, ok := codes[s]; !ok {
			codes[s] = 0
		}
	}
	levels := make([]string, 0, len(codes))
	for s := range codes {
		levels = append(levels, strings.Clone(s))
	}
	slices.Sort(levels)
	for i, s := range levels {
		codes[s] = int32(i)
	}
	out := make([]float32, len(vals))
	for i, s := range vals {
		if IsMissing(s) {
			out[i] = nan32
			continue
		}
		out[i] = float32(codes[strings.TrimSpace(s)])
	}
	return &Column{Name: name, Kind: Categorical, Values: out, Levels: levels}
}

func buildDate(name string, vals []string, opt *Options) []*Column {
	cols := make([]*Column, len(DateParts))
	for p, part := range DateParts {
		cols[p] = &Column{Name: name + "." + part, Kind: Numeric, Values: make([]float32, len(vals)), Source: name}
	}
	bad := 0
	for i, s := range vals {
		t, ok := time.Time{}, false
		if !IsMissing(s) {
			t, ok = parseDate(strings.TrimSpace(s))
			if !ok {
				bad++
			}
		}
		if !ok {
			for p := range cols {
				cols[p].Values[i] = nan32
			}
			continue
		}
		cols[0].Values[i] = float32(t.Year())
		cols[1].Values[i] = float32(t.Month())
		cols[2].Values[i] = float32(t.Day())
		cols[3].Values[i] = float32(t.Weekday())
		cols[4].Values[i] = float32(t.Hour())
	}
	if bad > 0 {
		opt.logf("column %q: %d values that are not dates treated as missing", name, bad)
	}
	return cols
}

var dateLayouts = []string{
	"2006-01-02",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04",
	"2006-01-02 15:04",
	time.RFC3339Nano,
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999",
}

// parseDate accepts the ISO dates and date-times listed in the package doc.
func parseDate(s string) (time.Time, bool) {
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return time.Time{}, false
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
