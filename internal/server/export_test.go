package server

import "time"

// SetUploadIdleTimeout shortens the upload idle timeout for a test.
func SetUploadIdleTimeout(d time.Duration) (restore func()) {
	old := UploadIdleTimeout
	UploadIdleTimeout = d
	return func() { UploadIdleTimeout = old }
}

// SetDiskSpace makes the server see a file system with free of total bytes.
func SetDiskSpace(free, total int64) (restore func()) {
	old := diskSpace
	diskSpace = func(string) (int64, int64, error) { return free, total, nil }
	return func() { diskSpace = old }
}
