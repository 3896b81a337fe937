// Command tables writes the engine's test tables as CSV, for benchmarks and
// for comparisons with scikit-learn and XGBoost:
//
//	go run ./bench/tables -table letters -out /tmp/letters.csv        # 20,000 × 16, 26 classes
//	go run ./bench/tables -table highcard -out /tmp/highcard.csv      # 50,000 rows, 5,000-level categorical
//	go run ./bench/tables -table digits -out /tmp/digits.csv          # scikit-learn's digits (needs python3-sklearn)
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/drover-ml/drover/internal/engine/enginetest"
)

func main() {
	table := flag.String("table", "letters", "letters, highcard or digits")
	out := flag.String("out", "", "output CSV path (required)")
	rows := flag.Int("rows", 0, "rows (default 20,000 for letters, 50,000 for highcard)")
	levels := flag.Int("levels", 5000, "levels of the highcard categorical")
	seed := flag.Uint64("seed", 1, "generator seed")
	flag.Parse()
	if *out == "" || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: tables -table letters|highcard|digits -out FILE.csv [-rows N] [-levels N] [-seed N]")
		os.Exit(2)
	}
	var err error
	switch *table {
	case "letters":
		err = enginetest.Letters(orDefault(*rows, 20000), *seed).WriteFile(*out)
	case "highcard":
		err = enginetest.HighCardinality(orDefault(*rows, 50000), *levels, *seed).WriteFile(*out)
	case "digits":
		err = enginetest.ExportDigits(*out)
	default:
		err = fmt.Errorf("unknown table %q (letters, highcard or digits)", *table)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tables:", err)
		os.Exit(1)
	}
}

func orDefault(v, d int) int {
	if v > 0 {
		return v
	}
	return d
}
