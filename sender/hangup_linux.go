//go:build linux

package sender

import "golang.org/x/sys/unix"

// hungUp reports whether the peer of the connection under fd has ended its side (its FIN came,
// even behind bytes not yet read, such as a TLS close_notify) or reset it: one poll that does not
// wait.
func hungUp(fd uintptr) bool {
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLRDHUP}}
	n, err := unix.Poll(fds, 0)
	return err == nil && n > 0 && fds[0].Revents&(unix.POLLRDHUP|unix.POLLHUP|unix.POLLERR) != 0
}
