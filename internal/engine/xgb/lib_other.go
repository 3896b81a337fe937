//go:build !((linux || darwin || freebsd || netbsd) && !android)

package xgb

import (
	"fmt"
	"runtime"
	"unsafe"
)

// lib is never loaded on this platform; the fields keep the callers
// compiling.
type lib struct {
	path, version string

	lastError            func() string
	dmatrixCreateFromMat func(data unsafe.Pointer, nrow, ncol uint64, missing float32, out *uintptr) int32
	dmatrixSetFloatInfo  func(h uintptr, field string, data unsafe.Pointer, n uint64) int32
	dmatrixSetStrInfo    func(h uintptr, field string, values unsafe.Pointer, n uint64) int32
	dmatrixFree          func(h uintptr) int32
	boosterCreate        func(dmats unsafe.Pointer, n uint64, out *uintptr) int32
	boosterFree          func(h uintptr) int32
	boosterSetParam      func(h uintptr, name, value string) int32
	boosterUpdateOne     func(h uintptr, iter int32, dtrain uintptr) int32
	boosterPredict       func(h, dmat uintptr, optionMask int32, ntreeLimit uint32, training int32, outLen *uint64, out **float32) int32
	boosterSlice         func(h uintptr, begin, end, step int32, out *uintptr) int32
	boosterSaveToBuf     func(h uintptr, config string, outLen *uint64, out **byte) int32
	boosterLoadFromBuf   func(h uintptr, buf unsafe.Pointer, n uint64) int32
	boosterFeatureScore  func(h uintptr, config string, nFeatures *uint64, features *unsafe.Pointer, dim *uint64, shape *unsafe.Pointer, scores **float32) int32
}

func open(path string) (*lib, error) {
	return nil, fmt.Errorf("%s: not supported on %s", path, runtime.GOOS)
}
