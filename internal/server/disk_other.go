//go:build !unix

package server

func statDisk(dir string) (free, total int64, err error) { return 0, 0, errNoStatfs }
