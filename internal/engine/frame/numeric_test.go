package frame

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// ReadNumeric gives the frame Read gives on a file of numbers and class
// names: the same missing values, infinities as missing, the same float32s,
// the same category codes and levels.
func TestReadNumericMatchesRead(t *testing.T) {
	const csv = "a,b,label,late\n1.5,NA,0,\n,2e3,1,NA\n-inf,?,1,q\n3,1e40,0,p\n 7 ,-0.25,1,q\n"
	want, err := Read(strings.NewReader(csv), Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := ReadNumeric(strings.NewReader(csv))
	if err != nil {
		t.Fatal(err)
	}
	if got.Rows != want.Rows || !slices.Equal(got.Names(), want.Names()) {
		t.Fatalf("rows %d names %v, want %d %v", got.Rows, got.Names(), want.Rows, want.Names())
	}
	for i, c := range got.Columns {
		w := want.Columns[i]
		if c.Kind != w.Kind || !slices.Equal(c.Levels, w.Levels) {
			t.Fatalf("column %s: kind %v levels %v, Read gives %v %v", c.Name, c.Kind, c.Levels, w.Kind, w.Levels)
		}
		for r := range c.Values {
			if math.Float32bits(c.Values[r]) != math.Float32bits(w.Values[r]) {
				t.Errorf("column %s row %d: %v, Read gives %v", c.Name, r, c.Values[r], w.Values[r])
			}
		}
	}
	if !math.IsNaN(float64(got.Columns[0].Values[2])) || !math.IsNaN(float64(got.Columns[1].Values[3])) {
		t.Errorf("-inf and 1e40 are not missing: %v %v", got.Columns[0].Values, got.Columns[1].Values)
	}
	if late := got.Columns[3]; late.Kind != Categorical || !slices.Equal(late.Levels, []string{"p", "q"}) {
		t.Errorf("column late: %v %v, want categorical [p q]", late.Kind, late.Levels)
	}
	if _, err := ReadNumeric(strings.NewReader("name,x\nb,1\na,2\n")); err != nil {
		t.Errorf("a text column first: %v", err)
	}
}

func TestReadNumericErrors(t *testing.T) {
	for _, tc := range []struct{ csv, want string }{
		{"a,b\n1,2\n3,x\n", `line 3, column "b": "x" is not a number`},
		{"a,b\n", "no data rows"},
		{"a,b\n1,2\n3\n", "different number of fields"},
		{"", "empty"},
	} {
		_, err := ReadNumeric(strings.NewReader(tc.csv))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want it to say %q", tc.csv, err, tc.want)
		}
	}
	path := filepath.Join(t.TempDir(), "x.csv")
	if err := os.WriteFile(path, []byte("a\n1\nz\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadNumericFile(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("ReadNumericFile: error %v does not name the file", err)
	}
}
