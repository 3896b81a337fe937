package xgb

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"unsafe"
)

// EnvLib names the environment variable that points at the XGBoost shared
// library; when set, it is the only path tried.
const EnvLib = "DROVER_XGBOOST_LIB"

// libNames are tried in order with the system's library search (dlopen),
// then as absolute paths in the usual install directories.
var libNames = []string{
	"libxgboost.so.0", // Debian/Ubuntu libxgboost0
	"libxgboost.so",
	"/usr/lib/x86_64-linux-gnu/libxgboost.so.0",
	"/usr/lib/aarch64-linux-gnu/libxgboost.so.0",
	"/usr/local/lib/libxgboost.so",
	"/usr/lib/libxgboost.so",
	"/usr/lib64/libxgboost.so",
	"libxgboost.dylib",
	"/opt/homebrew/lib/libxgboost.dylib",
	"/usr/local/lib/libxgboost.dylib",
}

// ErrNotFound is wrapped by every error of a host (or platform) without
// the library.
var ErrNotFound = errors.New("xgb: libxgboost not found")

var (
	loadOnce sync.Once
	loaded   *lib
	loadErr  error
)

// load opens the library once per process.
func load() (*lib, error) {
	loadOnce.Do(func() {
		// libgomp reads this when the library loads. Passive idle threads
		// sleep instead of spinning, which matters next to other work
		// (other attempts, Go's own threads) on the same cores.
		if _, set := os.LookupEnv("OMP_WAIT_POLICY"); !set {
			os.Setenv("OMP_WAIT_POLICY", "PASSIVE")
		}
		names := libNames
		if p := os.Getenv(EnvLib); p != "" {
			names = []string{p}
		}
		var errs []error
		for _, n := range names {
			l, err := open(n)
			if err == nil {
				loaded = l
				return
			}
			errs = append(errs, err)
		}
		loadErr = fmt.Errorf("%w (tried %s; set %s): %w", ErrNotFound, names, EnvLib, errors.Join(errs...))
	})
	return loaded, loadErr
}

// Available reports whether the XGBoost library can be loaded, and its
// version ("1.7.4"). It loads the library on the first call only.
func Available() (version string, ok bool) {
	l, err := load()
	if err != nil {
		return "", false
	}
	return l.version, true
}

// LoadError is why the library could not be loaded (nil when it was).
func LoadError() error {
	_, err := load()
	return err
}

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
