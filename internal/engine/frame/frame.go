// Package frame reads tabular data (CSV, Parquet) into a columnar frame and
// summarises columns for the UI.
//
// Conventions, shared by every reader in this package:
//   - The first row is the header; every column needs a distinct name.
//   - A field is missing when it is empty or, after trimming spaces, "NA" or "?".
//   - A column is numeric when every non-missing value parses as a float;
//     ±Inf values are treated as missing and reported through Options.Log.
//   - A column whose every non-missing value is an ISO date or date-time
//     (2006-01-02, 2006-01-02T15:04:05[.frac][Z|±07:00], 2006-01-02 15:04[:05])
//     is expanded into numeric parts NAME.year, .month, .day, .weekday
//     (0 = Sunday) and .hour.
//   - Anything else is categorical: dictionary-coded, levels sorted, the code
//     stored as a float32, NaN for missing.
package frame

import (
	"fmt"
	"math"
	"strings"
)

// Kind is the type of a column.
type Kind uint8

// Column kinds. Date is a source kind only: a date column becomes several
// Numeric columns in a Frame.
const (
	Numeric Kind = iota
	Categorical
	Date
)

func (k Kind) String() string {
	switch k {
	case Numeric:
		return "numeric"
	case Categorical:
		return "categorical"
	case Date:
		return "date"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// DateParts are the numeric columns a date column expands into, in order.
var DateParts = []string{"year", "month", "day", "weekday", "hour"}

// Column is one column of a Frame.
type Column struct {
	Name   string
	Kind   Kind      // Numeric or Categorical
	Values []float32 // the value, or the category code; NaN = missing
	Levels []string  // Categorical: the level of each code
	Source string    // date parts: the column they came from; "" otherwise
}

// Missing counts the NaN values of c.
func (c *Column) Missing() int {
	n := 0
	for _, v := range c.Values {
		if v != v {
			n++
		}
	}
	return n
}

// Frame is a table held column by column.
type Frame struct {
	Columns []*Column
	Rows    int
}

// Index returns the position of the named column, or -1.
func (f *Frame) Index(name string) int {
	for i, c := range f.Columns {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// Column returns the named column, or nil.
func (f *Frame) Column(name string) *Column {
	if i := f.Index(name); i >= 0 {
		return f.Columns[i]
	}
	return nil
}

// Names lists the column names in order.
func (f *Frame) Names() []string {
	out := make([]string, len(f.Columns))
	for i, c := range f.Columns {
		out[i] = c.Name
	}
	return out
}

// IsMissing reports whether a raw field counts as missing.
func IsMissing(s string) bool {
	s = strings.TrimSpace(s)
	return s == "" || s == "NA" || s == "?"
}

var nan32 = float32(math.NaN())

// NaN32 is the float32 missing value.
func NaN32() float32 { return nan32 }
