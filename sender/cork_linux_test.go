package sender

import (
	"net"
	"syscall"
)

// cork holds what is written to c until it is closed, so that an answer and the close that follows
// it leave together: a client cannot read the answer before the connection's end has come too.
func cork(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		if rc, err := tc.SyscallConn(); err == nil {
			rc.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_CORK, 1) })
		}
	}
}
