package frame

import (
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
)

// ReadNumericFile reads a CSV file whose columns are all numeric (see
// ReadNumeric).
func ReadNumericFile(path string) (*Frame, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("frame: %w", err)
	}
	defer f.Close()
	fr, err := ReadNumeric(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return fr, nil
}

// ReadNumeric reads CSV the way the benchmarks and the tests of large
// numeric tables need: each field is parsed as it is read, so no raw text
// is held. The conventions are Read's (header, missing values, ±Inf as
// missing, categories coded in the sorted order of their levels). A column
// whose first non-missing value is a number is Numeric, and a later value
// that is neither missing nor a number is an error naming its line and
// column; any other column is Categorical (a class label given by name).
// Dates are not recognised.
func ReadNumeric(r io.Reader) (*Frame, error) {
	rs, err := newRecords(r)
	if err != nil {
		return nil, err
	}
	fr := &Frame{Columns: make([]*Column, len(rs.header))}
	for i, name := range rs.header {
		fr.Columns[i] = &Column{Name: name, Kind: Numeric}
	}
	decided := make([]bool, len(rs.header))
	codes := make([]map[string]int32, len(rs.header)) // categorical columns: level → first-seen code
	for {
		rec, err := rs.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		for i, f := range rec {
			c := fr.Columns[i]
			if codes[i] != nil {
				c.Values = append(c.Values, code(codes[i], f))
				continue
			}
			v, _, ok := numericField(f)
			if !ok && !decided[i] {
				c.Kind, codes[i] = Categorical, map[string]int32{}
				c.Values = append(c.Values, code(codes[i], f))
				continue
			}
			if !ok {
				line, _ := rs.cr.FieldPos(i)
				return nil, fmt.Errorf("line %d, column %q: %q is not a number", line, c.Name, f)
			}
			decided[i] = decided[i] || !IsMissing(f)
			c.Values = append(c.Values, v)
		}
		fr.Rows++
	}
	if fr.Rows == 0 {
		return nil, errHeaderOnly()
	}
	for i, c := range fr.Columns {
		if codes[i] != nil {
			sortLevels(c, codes[i])
		}
	}
	return fr, nil
}

// code returns the first-seen code of field f in a categorical column, NaN
// when it is missing.
func code(codes map[string]int32, f string) float32 {
	if IsMissing(f) {
		return nan32
	}
	f = strings.TrimSpace(f)
	k, ok := codes[f]
	if !ok {
		k = int32(len(codes))
		codes[strings.Clone(f)] = k
	}
	return float32(k)
}

// sortLevels renumbers the first-seen codes of c in the sorted order of
// their levels, as Read codes categories.
func sortLevels(c *Column, codes map[string]int32) {
	c.Levels = make([]string, 0, len(codes))
	for l := range codes {
		c.Levels = append(c.Levels, l)
	}
	slices.Sort(c.Levels)
	renumber := make([]float32, len(codes))
	for i, l := range c.Levels {
		renumber[codes[l]] = float32(i)
	}
	for r, v := range c.Values {
		if v == v {
			c.Values[r] = renumber[int(v)]
		}
	}
}

// numericField parses a field of a numeric column: the value (NaN when
// missing or not finite in float32), whether it was infinite or out of
// range, and whether it was missing or a number at all.
func numericField(s string) (v float32, inf, ok bool) {
	if IsMissing(s) {
		return nan32, false, true
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	switch {
	case err != nil && !isRangeErr(err):
		return nan32, false, false
	case math.IsInf(f, 0) || math.Abs(f) > math.MaxFloat32:
		return nan32, true, true
	}
	return float32(f), false, true
}

// XY returns the values of every column but the last (the features) and
// those of the last (the label): the layout of the benchmark tables.
func (f *Frame) XY() (x [][]float32, y []float32, err error) {
	if len(f.Columns) < 2 {
		return nil, nil, fmt.Errorf("frame: want feature columns and a label last, have %d columns", len(f.Columns))
	}
	for _, c := range f.Columns[:len(f.Columns)-1] {
		x = append(x, c.Values)
	}
	return x, f.Columns[len(f.Columns)-1].Values, nil
}
