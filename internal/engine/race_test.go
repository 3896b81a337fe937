//go:build race

package engine

// The race detector slows code several times: wall-clock budget checks are loosened.
const raceEnabled = true
