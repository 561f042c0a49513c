//go:build unix

package sender

import (
	"net"
	"syscall"
)

// peeker looks whether the peer of an idle connection has closed it (or sent bytes nobody asked
// for, which leaves the connection unfit for a request): one non-blocking peek, no wait. It is
// made once per connection, so that a look allocates nothing.
type peeker struct {
	rc     syscall.RawConn
	fn     func(fd uintptr) bool
	closed bool
	b      [1]byte
}

func newPeeker(c net.Conn) *peeker {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	p := &peeker{rc: rc}
	p.fn = p.look
	return p
}

func (p *peeker) look(fd uintptr) bool {
	_, _, err := syscall.Recvfrom(int(fd), p.b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	switch {
	case err == syscall.EAGAIN || err == syscall.EWOULDBLOCK || err == syscall.EINTR:
		p.closed = false
	default:
		p.closed = true // a reset, the peer's end of stream (n == 0), or unasked-for bytes (n > 0)
	}
	return true // never wait for the descriptor
}

// peerClosed reports whether the peer has closed the connection; false when p is nil.
func (p *peeker) peerClosed() bool {
	if p == nil {
		return false
	}
	p.closed = false
	p.rc.Read(p.fn)
	return p.closed
}
