// Package enginetest holds the test tables of the engine's packages: the
// digits table that scikit-learn ships (exported by export_digits.py) and
// generated tables with many classes and many levels. It imports no other
// engine package, so any of them (and bench commands) may use it.
package enginetest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
)

// Table is a generated table: feature columns, then the target.
type Table struct {
	Names []string    // feature names
	Cols  [][]float32 // feature columns; a categorical one holds level codes
	// Levels[j] are the levels of categorical feature j (code i is
	// Levels[j][i]); nil for a numeric feature.
	Levels     [][]string
	TargetName string
	// Target holds class indexes into Classes, or values when Classes is
	// nil (regression).
	Target  []float32
	Classes []string
}

// Rows returns the number of rows.
func (t *Table) Rows() int { return len(t.Target) }

// Categorical reports, per feature, whether it is categorical.
func (t *Table) Categorical() []bool {
	c := make([]bool, len(t.Cols))
	for j := range c {
		c[j] = t.Levels[j] != nil
	}
	return c
}

// WriteCSV writes the table with a header; categorical values and classes
// as their level text, numbers in shortest form.
func (t *Table) WriteCSV(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	for j, name := range t.Names {
		if j > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString(name)
	}
	bw.WriteByte(',')
	bw.WriteString(t.TargetName)
	bw.WriteByte('\n')
	var buf []byte
	for i := range t.Target {
		for j, col := range t.Cols {
			if j > 0 {
				bw.WriteByte(',')
			}
			if t.Levels[j] != nil {
				bw.WriteString(t.Levels[j][int(col[i])])
			} else {
				buf = strconv.AppendFloat(buf[:0], float64(col[i]), 'g', -1, 32)
				bw.Write(buf)
			}
		}
		bw.WriteByte(',')
		if t.Classes != nil {
			bw.WriteString(t.Classes[int(t.Target[i])])
		} else {
			buf = strconv.AppendFloat(buf[:0], float64(t.Target[i]), 'g', -1, 32)
			bw.Write(buf)
		}
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// WriteFile writes the table as CSV to path.
func (t *Table) WriteFile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := t.WriteCSV(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Python is the interpreter the table scripts run under: Debian's, which
// has python3-sklearn (not a pyenv shim on PATH).
const Python = "/usr/bin/python3"

// errNoSklearn is export_digits.py's exit status when scikit-learn is not
// importable.
const errNoSklearn = 3

// ExportDigits writes scikit-learn's digits table (1,797 rows, 64 pixel
// counts pixel0..pixel63, class column digit 0-9) to path. It returns
// ErrNoSklearn when python3 or scikit-learn is missing.
func ExportDigits(path string) error {
	if _, err := os.Stat(Python); err != nil {
		return fmt.Errorf("%w: %s not found", ErrNoSklearn, Python)
	}
	out, err := exec.Command(Python, scriptPath("export_digits.py"), path).CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == errNoSklearn {
		return fmt.Errorf("%w: %s", ErrNoSklearn, out)
	}
	if err != nil {
		return fmt.Errorf("enginetest: export_digits.py: %v: %s", err, out)
	}
	return nil
}

// ErrNoSklearn is returned when the digits table cannot be exported because
// python3 or scikit-learn is not installed.
var ErrNoSklearn = errors.New("enginetest: python3-sklearn is not installed")

// Digits exports the digits table into a temporary folder of the test and
// returns its path. Without python3-sklearn the test is skipped, or fails
// under CI=true.
func Digits(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "digits.csv")
	err := ExportDigits(path)
	if errors.Is(err, ErrNoSklearn) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%v (needed for the digits table)", err)
		}
		t.Skipf("%v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return path
}

func scriptPath(name string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), name)
}
