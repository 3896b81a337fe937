//go:build !((linux || darwin || freebsd || netbsd) && !android)

package xgb

import (
	"fmt"
	"runtime"
)

func open(path string) (*lib, error) {
	return nil, fmt.Errorf("%s: not supported on %s", path, runtime.GOOS)
}
