package sender

import (
	"errors"
	"net"
	"syscall"
)

// hangupConn is a TCP connection of the net/http engine that looks, before each write, whether
// the peer has already closed it. net/http learns that an idle connection was closed from a
// goroutine that reads it; on a busy machine the next request can take the connection before that
// goroutine has run, and a POST written on it fails, although the server never read it (net/http
// retries only idempotent requests then). A write refused here writes nothing, so net/http sends
// the request again on another connection, inside the same attempt, as fasthttp's engine does with
// errIdleClosed.
type hangupConn struct {
	net.Conn
	rc   syscall.RawConn
	hung bool
	look func(fd uintptr)
}

// errPeerClosed: the peer had closed the connection before a write.
var errPeerClosed = errors.New("the server had closed the connection before the request was sent")

func newHangupConn(c net.Conn) net.Conn {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return c
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return c
	}
	h := &hangupConn{Conn: c, rc: rc}
	h.look = func(fd uintptr) { h.hung = hungUp(fd) }
	return h
}

func (c *hangupConn) Write(p []byte) (int, error) {
	c.hung = false
	// Control, not Read: net/http's reading goroutine holds the read side while it waits.
	if c.rc.Control(c.look) == nil && c.hung {
		return 0, errPeerClosed
	}
	return c.Conn.Write(p)
}
