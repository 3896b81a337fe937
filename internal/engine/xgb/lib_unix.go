//go:build (linux || darwin || freebsd || netbsd) && !android

package xgb

import (
	"fmt"

	"github.com/ebitengine/purego"
)

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
