package frame

import (
	"io"

	"github.com/drover-ml/drover/internal/engine/usererr"
)

func errHeaderOnly() error {
	return usererr.New(usererr.HeaderOnly, "the file has a header but no data rows")
}

func readParquet(f io.ReaderAt, opt Options) (*Frame, error) {
	return nil, usererr.New(usererr.NotCSV, "parquet input is not supported yet")
}
