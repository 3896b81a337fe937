package frame

import (
	"errors"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/drover-ml/drover/internal/engine/usererr"
	"github.com/drover-ml/drover/internal/testutil"
)

func codeOf(err error) string {
	var ue *usererr.Error
	if errors.As(err, &ue) {
		return ue.Code
	}
	return ""
}

func TestReadErrors(t *testing.T) {
	tests := []struct {
		name, in, code string
	}{
		{"empty", "", usererr.EmptyFile},
		{"blank lines", "\n\n", usererr.EmptyFile},
		{"header only", "a,b\n", usererr.HeaderOnly},
		{"ragged", "a,b\n1,2\n3\n", usererr.RaggedRows},
		{"too many fields", "a,b\n1,2,3\n", usererr.RaggedRows},
		{"invalid utf8", "a,b\n1,\xff\xfe\n", usererr.InvalidUTF8},
		{"invalid utf8 header", "a,\xff\n1,2\n", usererr.InvalidUTF8},
		{"duplicate", "a,b,a\n1,2,3\n", usererr.DuplicateColumn},
		{"nul", "a,b\n1,\x002\n", usererr.NotCSV},
		{"json", "{\"a\": 1, \"b\": [1,2]}\n", usererr.NotCSV},
		{"json lines", "{\n  \"a\": 1\n}\n", usererr.NotCSV},
		{"bare quote", "a,b\n1,x\"y\n", usererr.NotCSV},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read(strings.NewReader(tt.in), Options{})
			if got := codeOf(err); got != tt.code {
				t.Fatalf("Read: code %q (err %v), want %q", got, err, tt.code)
			}
			_, _, err = Inspect(strings.NewReader(tt.in))
			if got := codeOf(err); got != tt.code {
				t.Fatalf("Inspect: code %q (err %v), want %q", got, err, tt.code)
			}
		})
	}
}

func TestRaggedLineNumber(t *testing.T) {
	_, err := Read(strings.NewReader("a,b\n1,2\n3,4\n5\n"), Options{})
	if err == nil || !strings.Contains(err.Error(), "line 4") {
		t.Fatalf("err = %v, want it to name line 4", err)
	}
	_, err = Read(strings.NewReader("a,b\n1,2\n3,\xff\n"), Options{})
	if err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Fatalf("err = %v, want it to name line 3", err)
	}
}

func TestReadKinds(t *testing.T) {
	in := "\xef\xbb\xbfnum,cat,when,miss,inf\n" +
		"1.5,b,2024-01-06,,inf\n" +
		"NA,a,2024-02-29T13:00:00,?,2\n" +
		"-3,\"b, quoted\",,NA,-Inf\n" +
		"1e3,a,2023-12-31 08:30:00,,4\n"
	var logs []string
	f, err := Read(strings.NewReader(in), Options{Log: func(m string) { logs = append(logs, m) }})
	if err != nil {
		t.Fatal(err)
	}
	if f.Rows != 4 {
		t.Fatalf("rows = %d", f.Rows)
	}
	want := []string{"num", "cat", "when.year", "when.month", "when.day", "when.weekday", "when.hour", "miss", "inf"}
	if got := strings.Join(f.Names(), ","); got != strings.Join(want, ",") {
		t.Fatalf("names = %s", got)
	}
	num := f.Column("num")
	if num.Kind != Numeric || num.Values[0] != 1.5 || !math.IsNaN(float64(num.Values[1])) || num.Values[3] != 1000 {
		t.Fatalf("num = %+v", num)
	}
	cat := f.Column("cat")
	if cat.Kind != Categorical || strings.Join(cat.Levels, "|") != "a|b|b, quoted" || cat.Values[0] != 1 || cat.Values[2] != 2 {
		t.Fatalf("cat = %+v", cat)
	}
	if v := f.Column("when.weekday").Values[0]; v != 6 { // 2024-01-06 was a Saturday
		t.Fatalf("weekday = %v", v)
	}
	if v := f.Column("when.hour").Values[1]; v != 13 {
		t.Fatalf("hour = %v", v)
	}
	if v := f.Column("when.year").Values[2]; !math.IsNaN(float64(v)) {
		t.Fatalf("missing date year = %v", v)
	}
	if f.Column("miss").Missing() != 4 {
		t.Fatalf("miss column should be all missing")
	}
	inf := f.Column("inf")
	if inf.Kind != Numeric || inf.Missing() != 2 || len(logs) != 1 || !strings.Contains(logs[0], "infinite") {
		t.Fatalf("inf = %+v logs %q", inf, logs)
	}
}

func TestForcedKinds(t *testing.T) {
	in := "a,b\n1,01\nx,2\n"
	f, err := Read(strings.NewReader(in), Options{Kinds: map[string]Kind{"a": Numeric, "b": Categorical}, Only: map[string]bool{"a": true, "b": true}})
	if err != nil {
		t.Fatal(err)
	}
	if a := f.Column("a"); a.Kind != Numeric || a.Missing() != 1 {
		t.Fatalf("a = %+v", a)
	}
	if b := f.Column("b"); b.Kind != Categorical || strings.Join(b.Levels, ",") != "01,2" {
		t.Fatalf("b = %+v", b)
	}
}

func TestInspect(t *testing.T) {
	fh, err := os.Open(testutil.SharedData(t, "slid_wages.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	cols, rows, err := Inspect(fh)
	if err != nil {
		t.Fatal(err)
	}
	if rows != 4147 || len(cols) != 5 {
		t.Fatalf("rows %d cols %d", rows, len(cols))
	}
	for _, c := range cols {
		sum := c.Missing
		for _, n := range c.Histogram.Counts {
			sum += n
		}
		switch c.Name {
		case "wages":
			if c.Type != "numeric" || len(c.Histogram.Edges) != 11 || sum != rows {
				t.Fatalf("wages = %+v (sum %d)", c, sum)
			}
		case "sex":
			if c.Type != "categorical" || c.Distinct != 2 || sum != rows {
				t.Fatalf("sex = %+v", c)
			}
		}
	}
}

func TestInspectBounded(t *testing.T) {
	// 120k distinct categories and a numeric column larger than the sample.
	var sb strings.Builder
	sb.WriteString("id,x\n")
	for i := range 120_000 {
		sb.WriteString("k")
		sb.WriteString(strings.Repeat("z", i%3))
		sb.WriteString(itoa(i))
		sb.WriteString(",")
		sb.WriteString(itoa(i % 1000))
		sb.WriteString("\n")
	}
	cols, rows, err := Inspect(strings.NewReader(sb.String()))
	if err != nil {
		t.Fatal(err)
	}
	if rows != 120_000 || cols[0].Distinct != DistinctCap || cols[1].Distinct != 1000 {
		t.Fatalf("rows %d distinct %d %d", rows, cols[0].Distinct, cols[1].Distinct)
	}
	sum := 0
	for _, n := range cols[1].Histogram.Counts {
		sum += n
	}
	if sum != rows {
		t.Fatalf("histogram sums to %d", sum)
	}
}

func TestManyColumns(t *testing.T) {
	const n = 10_000
	var sb strings.Builder
	for i := range n {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString("c" + itoa(i))
	}
	sb.WriteByte('\n')
	for r := range 20 {
		for i := range n {
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(itoa((r * i) % 7))
		}
		sb.WriteByte('\n')
	}
	f, err := Read(strings.NewReader(sb.String()), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Columns) != n || f.Rows != 20 {
		t.Fatalf("got %d columns %d rows", len(f.Columns), f.Rows)
	}
	cols, _, err := Inspect(strings.NewReader(sb.String()))
	if err != nil || len(cols) != n {
		t.Fatalf("inspect: %v, %d cols", err, len(cols))
	}
}

func itoa(i int) string {
	const digits = "0123456789"
	if i == 0 {
		return "0"
	}
	var b []byte
	for i > 0 {
		b = append([]byte{digits[i%10]}, b...)
		i /= 10
	}
	return string(b)
}

func FuzzRead(f *testing.F) {
	for _, s := range []string{"a,b\n1,2\n", "a\n\"x\"\"y\"\n", "a,b\n1\n", "", "x,y\n2024-01-01,NA\n", "\xff,\x00\n"} {
		f.Add([]byte(s))
	}
	// Read and Inspect (the upload check) agree on what a file is: the same
	// rows, and no column Read lacks, when both accept it; every refusal of in-memory
	// input is a content error (*usererr.Error), never an internal one.
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := Read(strings.NewReader(string(data)), Options{})
		if err == nil {
			for _, c := range fr.Columns {
				if len(c.Values) != fr.Rows {
					t.Fatalf("column %q has %d values for %d rows", c.Name, len(c.Values), fr.Rows)
				}
			}
		} else if ue := (*usererr.Error)(nil); !errors.As(err, &ue) {
			t.Fatalf("Read refused %q with a non-user error: %v", data, err)
		}
		sums, rows, ierr := Inspect(strings.NewReader(string(data)))
		if ierr != nil {
			if ue := (*usererr.Error)(nil); !errors.As(ierr, &ue) {
				t.Fatalf("Inspect refused %q with a non-user error: %v", data, ierr)
			}
		}
		// (Read may add columns: a date column becomes year, month, ...)
		if err == nil && ierr == nil && (len(sums) > len(fr.Columns) || rows != fr.Rows) {
			t.Fatalf("Read: %d columns, %d rows; Inspect: %d columns, %d rows (%q)", len(fr.Columns), fr.Rows, len(sums), rows, data)
		}
	})
}
