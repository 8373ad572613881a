package peers

import (
	"os/exec"
	"syscall"
)

// command prepares a peer process that the kernel kills if the test
// process dies first (a timeout, a crash), so no peer outlives its test.
func command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	return cmd
}
