package minioserver

import "syscall"

// procAttr puts the child in its own process group and has the kernel kill
// it if drover dies without stopping it.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
