//go:build (linux || darwin || freebsd || netbsd) && !android

package xgb

import (
	"fmt"
	"unsafe"

	"github.com/ebitengine/purego"
)

// lib holds the C API functions of one loaded libxgboost.
type lib struct {
	path    string
	version string

	lastError func() string

	dmatrixCreateFromMat func(data unsafe.Pointer, nrow, ncol uint64, missing float32, out *uintptr) int32
	dmatrixSetFloatInfo  func(h uintptr, field string, data unsafe.Pointer, n uint64) int32
	dmatrixSetStrInfo    func(h uintptr, field string, values unsafe.Pointer, n uint64) int32
	dmatrixFree          func(h uintptr) int32

	boosterCreate       func(dmats unsafe.Pointer, n uint64, out *uintptr) int32
	boosterFree         func(h uintptr) int32
	boosterSetParam     func(h uintptr, name, value string) int32
	boosterUpdateOne    func(h uintptr, iter int32, dtrain uintptr) int32
	boosterPredict      func(h, dmat uintptr, optionMask int32, ntreeLimit uint32, training int32, outLen *uint64, out **float32) int32
	boosterSlice        func(h uintptr, begin, end, step int32, out *uintptr) int32
	boosterSaveToBuf    func(h uintptr, config string, outLen *uint64, out **byte) int32
	boosterLoadFromBuf  func(h uintptr, buf unsafe.Pointer, n uint64) int32
	boosterFeatureScore func(h uintptr, config string, nFeatures *uint64, features *unsafe.Pointer, dim *uint64, shape *unsafe.Pointer, scores **float32) int32
}

func open(path string) (*lib, error) {
	h, err := purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_LOCAL)
	if err != nil {
		return nil, err // dlerror names the path
	}
	l := &lib{path: path}
	bind := func(fptr any, name string) {
		if err != nil {
			return
		}
		var sym uintptr
		if sym, err = purego.Dlsym(h, name); err != nil {
			err = fmt.Errorf("%s: %s: %w", path, name, err)
			return
		}
		purego.RegisterFunc(fptr, sym)
	}
	var version func(major, minor, patch *int32)
	bind(&version, "XGBoostVersion")
	bind(&l.lastError, "XGBGetLastError")
	bind(&l.dmatrixCreateFromMat, "XGDMatrixCreateFromMat")
	bind(&l.dmatrixSetFloatInfo, "XGDMatrixSetFloatInfo")
	bind(&l.dmatrixSetStrInfo, "XGDMatrixSetStrFeatureInfo")
	bind(&l.dmatrixFree, "XGDMatrixFree")
	bind(&l.boosterCreate, "XGBoosterCreate")
	bind(&l.boosterFree, "XGBoosterFree")
	bind(&l.boosterSetParam, "XGBoosterSetParam")
	bind(&l.boosterUpdateOne, "XGBoosterUpdateOneIter")
	bind(&l.boosterPredict, "XGBoosterPredict")
	bind(&l.boosterSlice, "XGBoosterSlice")
	bind(&l.boosterSaveToBuf, "XGBoosterSaveModelToBuffer")
	bind(&l.boosterLoadFromBuf, "XGBoosterLoadModelFromBuffer")
	bind(&l.boosterFeatureScore, "XGBoosterFeatureScore")
	if err != nil {
		purego.Dlclose(h)
		return nil, err
	}
	var major, minor, patch int32
	version(&major, &minor, &patch)
	if major < 1 || major == 1 && minor < 6 {
		purego.Dlclose(h)
		return nil, fmt.Errorf("%s: version %d.%d.%d is older than 1.6", path, major, minor, patch)
	}
	l.version = fmt.Sprintf("%d.%d.%d", major, minor, patch)
	return l, nil
}
