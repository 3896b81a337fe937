package frame

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/drover-ml/drover/internal/engine/usererr"
)

// MaxLineBytes bounds one physical line so that a file without newlines
// (binary junk) cannot make the reader hold it all in memory.
const MaxLineBytes = 64 << 20

// records reads a CSV stream record by record, validating as it goes: a
// header is required, column names must be distinct, rows must have as many
// fields as the header, fields must be valid UTF-8 without NUL bytes.
type records struct {
	cr     *csv.Reader
	header []string
}

func newRecords(r io.Reader) (*records, error) {
	br := bufio.NewReaderSize(&lineLimit{r: r}, 64<<10)
	head, _ := br.Peek(4096)
	if bytes.IndexByte(head, 0) >= 0 {
		return nil, usererr.New(usererr.NotCSV, "not a CSV file: it contains NUL bytes (binary data?)")
	}
	if bytes.HasPrefix(head, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.LazyQuotes = false
	cr.FieldsPerRecord = 0
	rs := &records{cr: cr}
	h, err := cr.Read()
	if err == io.EOF {
		return nil, usererr.New(usererr.EmptyFile, "the file is empty")
	}
	if err != nil {
		return nil, rs.mapErr(err)
	}
	if len(h) == 0 || (len(h) == 1 && strings.TrimSpace(h[0]) == "") {
		return nil, usererr.New(usererr.NoHeader, "line 1: the header row is empty")
	}
	seen := make(map[string]int, len(h))
	for i, name := range h {
		if err := checkField(name, 1, i); err != nil {
			return nil, err
		}
		name = strings.TrimSpace(name)
		if name == "" {
			name = fmt.Sprintf("column_%d", i+1)
		}
		if j, ok := seen[name]; ok {
			return nil, usererr.New(usererr.DuplicateColumn, "duplicate column name %q (columns %d and %d)", name, j+1, i+1)
		}
		seen[name] = i
		h[i] = name
	}
	rs.header = h
	return rs, nil
}

// next returns the next record, io.EOF at the end, or a *usererr.Error.
func (rs *records) next() ([]string, error) {
	rec, err := rs.cr.Read()
	if err != nil {
		if err == io.EOF {
			return nil, io.EOF
		}
		return nil, rs.mapErr(err)
	}
	for i, f := range rec {
		if !utf8.ValidString(f) || strings.IndexByte(f, 0) >= 0 {
			line, _ := rs.cr.FieldPos(i)
			if err := checkField(f, line, i); err != nil {
				return nil, err
			}
		}
	}
	return rec, nil
}

func checkField(f string, line, col int) error {
	if strings.IndexByte(f, 0) >= 0 {
		return usererr.New(usererr.NotCSV, "line %d, field %d: NUL byte (binary data, not a CSV file?)", line, col+1)
	}
	if !utf8.ValidString(f) {
		return usererr.New(usererr.InvalidUTF8, "line %d, field %d: invalid UTF-8 (save the file as UTF-8)", line, col+1)
	}
	return nil
}

func (rs *records) mapErr(err error) error {
	var ue *usererr.Error
	if errors.As(err, &ue) {
		return ue
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		switch {
		case errors.Is(pe.Err, csv.ErrFieldCount):
			n := len(rs.header)
			return usererr.New(usererr.RaggedRows, "line %d: row has a different number of fields than the header (%d)", pe.Line, n)
		case errors.Is(pe.Err, csv.ErrBareQuote), errors.Is(pe.Err, csv.ErrQuote):
			return usererr.New(usererr.NotCSV, "line %d, column %d: malformed quoting (%v); not a valid CSV file", pe.Line, pe.Column, pe.Err)
		}
		var ue2 *usererr.Error
		if errors.As(pe.Err, &ue2) {
			return ue2
		}
	}
	return fmt.Errorf("frame: read csv: %w", err)
}

// lineLimit fails a read once a physical line grows past MaxLineBytes.
type lineLimit struct {
	r    io.Reader
	run  int
	line int
}

func (l *lineLimit) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	chunk := p[:n]
	if i := bytes.LastIndexByte(chunk, '\n'); i >= 0 {
		l.line += bytes.Count(chunk, []byte{'\n'})
		l.run = len(chunk) - i - 1
	} else {
		l.run += len(chunk)
	}
	if l.run > MaxLineBytes {
		return 0, usererr.New(usererr.NotCSV, "line %d is longer than %d MiB; not a CSV file?", l.line+1, MaxLineBytes>>20)
	}
	return n, err
}
