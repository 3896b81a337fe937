package frame

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/parquet-go/parquet-go"
)

type pqRow struct {
	X    float64 `parquet:"x"`
	N    int64   `parquet:"n"`
	Name *string `parquet:"name,optional"`
	Day  string  `parquet:"day"`
}

func TestReadParquet(t *testing.T) {
	a, b := "alpha", "beta"
	rows := []pqRow{{1.5, 3, &a, "2024-01-06"}, {2.5, 4, nil, "2024-01-07"}, {-1, 5, &b, "2024-02-01"}}
	path := filepath.Join(t.TempDir(), "t.parquet")
	if err := parquet.WriteFile(path, rows); err != nil {
		t.Fatal(err)
	}
	f, err := ReadFile(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if f.Rows != 3 {
		t.Fatalf("rows %d", f.Rows)
	}
	if c := f.Column("x"); c == nil || c.Kind != Numeric || c.Values[1] != 2.5 {
		t.Fatalf("x = %+v", c)
	}
	if c := f.Column("name"); c == nil || c.Kind != Categorical || c.Missing() != 1 || len(c.Levels) != 2 {
		t.Fatalf("name = %+v", c)
	}
	if c := f.Column("day.weekday"); c == nil || c.Values[0] != 6 {
		t.Fatalf("day.weekday = %+v (names %v)", c, f.Names())
	}
	// Not Parquet despite the name.
	bad := filepath.Join(t.TempDir(), "bad.parquet")
	os.WriteFile(bad, []byte("a,b\n1,2\n"), 0o644)
	if _, err := ReadFile(bad, Options{}); codeOf(err) == "" {
		t.Fatalf("bad parquet: err %v", err)
	}
}
