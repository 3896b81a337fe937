//go:build !linux

package runner

// waitExited returns at once where waitid with WNOWAIT is not used: Kill
// then stops signalling once Wait has returned, with a short window before.
func waitExited(pid int) {}
