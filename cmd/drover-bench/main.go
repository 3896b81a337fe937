// Command drover-bench runs drover's benchmarks against their peers
// (`drover-bench queue`: the Redis queue against hibiken/asynq). It is a
// command of its own so that the drover binary links neither the benchmark
// nor its peers; internal/bench is the library behind it.
package main

import (
	"os"

	"github.com/drover-ml/drover/internal/bench"
)

func main() {
	os.Exit(bench.Main(os.Args[1:], os.Stdout, os.Stderr))
}
