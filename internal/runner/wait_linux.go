package runner

import "golang.org/x/sys/unix"

// waitExited blocks until the process pid has exited, without reaping it
// (waitid with WNOWAIT): its pid, and so its process group id, stays taken
// until Wait. It returns at once on an error (no such child).
func waitExited(pid int) {
	for {
		var info unix.Siginfo
		if err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil); err != unix.EINTR {
			return
		}
	}
}
