package enginetest

import (
	"bytes"
	"encoding/csv"
	"os"
	"strconv"
	"testing"
)

func TestLettersShape(t *testing.T) {
	a, b := Letters(20000, 1), Letters(20000, 1)
	if a.Rows() != 20000 || len(a.Cols) != 16 || len(a.Classes) != 26 {
		t.Fatalf("shape %d rows %d features %d classes", a.Rows(), len(a.Cols), len(a.Classes))
	}
	counts := make([]int, 26)
	for i, c := range a.Target {
		if c != b.Target[i] {
			t.Fatalf("row %d: same seed, different class", i)
		}
		counts[int(c)]++
	}
	for c, n := range counts {
		// 20000/26 ≈ 769; a class this far off would mean a broken draw.
		if n < 600 || n > 950 {
			t.Errorf("class %s has %d rows", a.Classes[c], n)
		}
	}
	for j, col := range a.Cols {
		for i, v := range col {
			if v < 0 || v > 15 || v != float32(int(v)) {
				t.Fatalf("feature %d row %d: %v not an integer in 0..15", j, i, v)
			}
		}
	}
	if c := Letters(20000, 2).Target; equal(c, a.Target) {
		t.Error("another seed gave the same classes")
	}
}

func TestHighCardinalityShape(t *testing.T) {
	tb := HighCardinality(50000, 5000, 7)
	seen := map[float32]int{}
	var pos int
	for i, c := range tb.Cols[0] {
		seen[c]++
		pos += int(tb.Target[i])
	}
	// With 50k draws from 5,000 levels falling off like 1/(rank+20), most
	// levels occur and many are rare.
	if len(seen) < 3500 {
		t.Errorf("%d distinct levels in 50,000 rows", len(seen))
	}
	rare := 0
	for _, n := range seen {
		if n <= 3 {
			rare++
		}
	}
	if rare < 500 {
		t.Errorf("only %d levels with ≤ 3 rows", rare)
	}
	if frac := float64(pos) / 50000; frac < 0.2 || frac > 0.6 {
		t.Errorf("positive rate %.3f", frac)
	}
	if len(tb.Levels[0]) != 5000 || tb.Levels[0][0] != "L0000" || tb.Levels[0][4999] != "L4999" {
		t.Errorf("levels %v … %v", tb.Levels[0][0], tb.Levels[0][len(tb.Levels[0])-1])
	}
}

func TestWriteCSV(t *testing.T) {
	tb := HighCardinality(100, 5000, 3)
	var buf bytes.Buffer
	if err := tb.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 101 || len(recs[0]) != 6 || recs[0][0] != "code" || recs[0][5] != "y" {
		t.Fatalf("header %v, %d records", recs[0], len(recs))
	}
	for i, rec := range recs[1:] {
		if rec[0] != tb.Levels[0][int(tb.Cols[0][i])] || rec[5] != tb.Classes[int(tb.Target[i])] {
			t.Fatalf("row %d: %v", i, rec)
		}
		if v, err := strconv.ParseFloat(rec[1], 32); err != nil || float32(v) != tb.Cols[1][i] {
			t.Fatalf("row %d: x1 %q is not %v", i, rec[1], tb.Cols[1][i])
		}
	}
}

func TestDigits(t *testing.T) {
	path := Digits(t)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1798 || len(recs[0]) != 65 || recs[0][64] != "digit" {
		t.Fatalf("%d records of %d fields, header ends %q", len(recs), len(recs[0]), recs[0][len(recs[0])-1])
	}
	classes := map[string]bool{}
	for _, r := range recs[1:] {
		classes[r[64]] = true
	}
	if len(classes) != 10 {
		t.Errorf("%d classes", len(classes))
	}
}

func equal(a, b []float32) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return len(a) == len(b)
}
