//go:build unix && !linux

package sender

import "syscall"

// hungUp reports whether the peer of the connection under fd has ended its side or reset it, as
// far as a peek without waiting can see: an end of stream behind unread bytes is not seen here.
func hungUp(fd uintptr) bool {
	var b [1]byte
	n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	switch {
	case err == syscall.EAGAIN || err == syscall.EWOULDBLOCK || err == syscall.EINTR:
		return false
	case err != nil:
		return true // a reset
	}
	return n == 0
}
