package runner

// SetSignalGroup replaces how Kill signals a process group until restore.
func SetSignalGroup(f func(pid int)) (restore func()) {
	old := signalGroup
	signalGroup = f
	return func() { signalGroup = old }
}
