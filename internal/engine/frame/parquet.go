package frame

import (
	"errors"
	"io"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"

	"github.com/drover-ml/drover/internal/engine/usererr"
)

func errHeaderOnly() error {
	return usererr.New(usererr.HeaderOnly, "the file has a header but no data rows")
}

// readParquet reads a flat Parquet file (no nested or repeated columns).
// Values go through the same typing as CSV fields: numbers and booleans
// (as 0/1) become numeric, strings are inferred (numbers, dates,
// categories), nulls are missing.
func readParquet(r io.ReaderAt, size int64, opt Options) (*Frame, error) {
	pf, err := parquet.OpenFile(r, size)
	if err != nil {
		return nil, usererr.New(usererr.NotCSV, "not a valid Parquet file: %v", err)
	}
	paths := pf.Schema().Columns()
	header := make([]string, len(paths))
	seen := map[string]bool{}
	for i, p := range paths {
		if len(p) != 1 {
			return nil, usererr.New(usererr.NotCSV, "Parquet column %q is nested; only flat tables are supported", p)
		}
		if seen[p[0]] {
			return nil, usererr.New(usererr.DuplicateColumn, "duplicate column name %q", p[0])
		}
		seen[p[0]] = true
		header[i] = p[0]
	}
	if len(header) == 0 {
		return nil, usererr.New(usererr.NoHeader, "the Parquet file has no columns")
	}
	raw := make([][]string, len(header))
	rd := parquet.NewReader(r)
	defer rd.Close()
	buf := make([]parquet.Row, 256)
	rows := 0
	for {
		n, err := rd.ReadRows(buf)
		for _, row := range buf[:n] {
			rows++
			for j := range raw {
				raw[j] = append(raw[j], "")
			}
			for _, v := range row {
				c := v.Column()
				if c < 0 || c >= len(raw) || v.IsNull() {
					continue
				}
				s, err := valueString(v)
				if err != nil {
					return nil, usererr.New(usererr.InvalidUTF8, "row %d, column %q: %v", rows, header[c], err)
				}
				raw[c][rows-1] = s
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, usererr.New(usererr.NotCSV, "reading Parquet rows: %v", err)
		}
		if n == 0 {
			break
		}
	}
	if opt.Only != nil {
		for j, name := range header {
			if !opt.Only[name] {
				raw[j] = nil
			}
		}
	}
	return fromRaw(header, raw, rows, opt)
}

func valueString(v parquet.Value) (string, error) {
	switch v.Kind() {
	case parquet.Boolean:
		if v.Boolean() {
			return "1", nil
		}
		return "0", nil
	case parquet.Int32:
		return strconv.FormatInt(int64(v.Int32()), 10), nil
	case parquet.Int64:
		return strconv.FormatInt(v.Int64(), 10), nil
	case parquet.Float:
		return formatFloat(float64(v.Float()), 32), nil
	case parquet.Double:
		return formatFloat(v.Double(), 64), nil
	case parquet.ByteArray, parquet.FixedLenByteArray:
		b := v.ByteArray()
		if !utf8.Valid(b) {
			return "", errors.New("invalid UTF-8")
		}
		return string(b), nil
	}
	return v.String(), nil
}

func formatFloat(f float64, bits int) string {
	if math.IsNaN(f) {
		return ""
	}
	return strconv.FormatFloat(f, 'g', -1, bits)
}
