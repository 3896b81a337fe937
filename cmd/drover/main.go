// Command drover runs AutoML experiments on tabular data, on one machine or many.
package main

import (
	"os"

	"github.com/drover-ml/drover/internal/cli"
)

func main() {
	os.Exit(cli.Execute(os.Args[1:]))
}
