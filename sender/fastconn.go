package sender

import (
	"bytes"
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

// fastDialer dials fasthttp's connections itself, so that connecting, a proxy's CONNECT and the
// TLS handshake are all bounded by the attempt's deadline (fasthttp's own TLS handshake waits up to
// its write timeout, which the sender does not set), and so that every connection skips the
// informational answers fasthttp would take for the final one.
type fastDialer struct {
	base  func(timeout time.Duration) fasthttp.DialFunc // plain or through a proxy
	tls   *tls.Config                                   // nil for plain HTTP
	conns *connSet                                      // every open connection, for abort
	warm  *warmPool                                     // connections opened ahead of requests
}

// connSet holds a transport's open connections and those being set up, so that the end of a run
// can close them: fasthttp cannot stop a request in flight, a dial or a TLS handshake otherwise.
type connSet struct {
	mu      sync.Mutex
	conns   map[*interimFilter]struct{}
	dialing map[net.Conn]struct{} // TCP connections in their TLS handshake
	abort   chan struct{}         // closed when the watched run ends; nil before a run is watched
}

func (s *connSet) add(c *interimFilter) {
	s.mu.Lock()
	if s.conns == nil {
		s.conns = map[*interimFilter]struct{}{}
	}
	s.conns[c] = struct{}{}
	s.mu.Unlock()
}

func (s *connSet) remove(c *interimFilter) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// run starts watching a new run: the channel it returns is closed by closeAll when the run ends.
func (s *connSet) run() chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.abort = make(chan struct{})
	return s.abort
}

// aborted returns the channel closed when the current run ends (nil, never ready, before one).
func (s *connSet) aborted() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.abort
}

// setUp holds raw while its TLS handshake runs, or closes it and says false when the run of abort
// has already ended.
func (s *connSet) setUp(raw net.Conn, abort <-chan struct{}) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-abort:
		raw.Close()
		return false
	default:
	}
	if s.dialing == nil {
		s.dialing = map[net.Conn]struct{}{}
	}
	s.dialing[raw] = struct{}{}
	return true
}

func (s *connSet) doneSetUp(raw net.Conn) {
	s.mu.Lock()
	delete(s.dialing, raw)
	s.mu.Unlock()
}

// closeAll ends the run of abort: dials in progress give up, and the TCP connection under every
// open connection or handshake is closed, at once and without a TLS close_notify: a server told of
// the close first could still get an answer through, which would read as the interrupted
// request's.
func (s *connSet) closeAll(abort chan struct{}) {
	s.mu.Lock()
	close(abort)
	raws := make([]net.Conn, 0, len(s.conns)+len(s.dialing))
	for c := range s.conns {
		raws = append(raws, c.raw)
	}
	for raw := range s.dialing {
		raws = append(raws, raw)
	}
	s.mu.Unlock()
	for _, raw := range raws {
		raw.Close()
	}
}

// errRunEnded: a connection was being set up when the run ended.
var errRunEnded = errors.New("the run ended while the connection was set up")

// defaultDialTimeout bounds a dial fasthttp starts without a request's deadline (a connection it
// opens for a request waiting on a full pool).
const defaultDialTimeout = 30 * time.Second

func (d *fastDialer) dial(addr string, timeout time.Duration) (net.Conn, error) {
	if c := d.warm.take(); c != nil {
		return c, nil
	}
	return d.dialFresh(addr, timeout)
}

// dialFresh opens a connection, through its TLS handshake.
func (d *fastDialer) dialFresh(addr string, timeout time.Duration) (net.Conn, error) {
	if timeout <= 0 {
		timeout = defaultDialTimeout
	}
	deadline := time.Now().Add(timeout)
	abort := d.conns.aborted()
	raw, err := d.connect(addr, timeout, abort)
	if err != nil {
		return nil, err
	}
	if d.tls == nil {
		f := &interimFilter{Conn: raw, raw: raw, peek: newPeeker(raw), set: d.conns}
		d.conns.add(f)
		return f, nil
	}
	if !d.conns.setUp(raw, abort) {
		return nil, errRunEnded
	}
	defer d.conns.doneSetUp(raw)
	conn := tls.Client(raw, d.tls)
	conn.SetDeadline(deadline)
	if err := conn.Handshake(); err != nil {
		raw.Close()
		return nil, err
	}
	conn.SetDeadline(time.Time{})
	f := &tlsInterimFilter{interimFilter{Conn: conn, raw: raw, peek: newPeeker(raw), set: d.conns}}
	d.conns.add(&f.interimFilter)
	return f, nil
}

// connect opens the TCP connection (through a proxy, if any) within timeout, and gives up at once
// when the run ends: fasthttp's dialers take no context, so the dial goes on in the background and
// its connection, if it comes, is closed.
func (d *fastDialer) connect(addr string, timeout time.Duration, abort <-chan struct{}) (net.Conn, error) {
	if abort == nil {
		return d.base(timeout)(addr)
	}
	type dialed struct {
		conn net.Conn
		err  error
	}
	ch := make(chan dialed, 1)
	go func() {
		c, err := d.base(timeout)(addr)
		ch <- dialed{c, err}
	}()
	select {
	case r := <-ch:
		return r.conn, r.err
	case <-abort:
		go func() {
			if r := <-ch; r.conn != nil {
				r.conn.Close()
			}
		}()
		return nil, errRunEnded
	}
}

// maxHead is the longest response head the filter holds back while it looks for the head's end;
// past it, the bytes go to fasthttp as they are, which refuses them.
const maxHead = 64 << 10

// interimFilter drops informational answers (1xx other than 101) before fasthttp reads a response.
// fasthttp skips one 100 Continue and takes any other 1xx (102, 103, a second 100) for the final
// answer, leaving the real one to be read as the next request's: a refused message would be
// reported delivered. RFC 9110 section 15.2 asks a client to skip them. fasthttp's HostClient writes
// a whole request before it reads the answer and never pipelines, so a write marks the start of
// a response to come.
//
// It also looks, before a request goes out on a connection that has served one, whether the
// server has closed it meanwhile, as net/http does: such a request was never sent, and fasthttp
// may send it again on a new connection (errIdleClosed), instead of failing an attempt.
type interimFilter struct {
	net.Conn
	peek *peeker  // looks at the TCP connection under TLS
	raw  net.Conn // the TCP connection, under TLS or not
	set  *connSet // where the connection is known while open
	head bool     // a response head is due: a request was written since the last head
	used bool     // a response has come on this connection
	buf  []byte   // bytes read but not yet handed on
}

// errIdleClosed: the server closed an idle connection before a request was written on it.
var errIdleClosed = errors.New("the server closed the idle connection before the request was sent")

// Close closes the connection and forgets it.
func (c *interimFilter) Close() error {
	c.set.remove(c)
	return c.Conn.Close()
}

func (c *interimFilter) Write(p []byte) (int, error) {
	if !c.head && c.used && c.peek.peerClosed() {
		return 0, errIdleClosed
	}
	c.head = true
	return c.Conn.Write(p)
}

func (c *interimFilter) Read(p []byte) (int, error) {
	if c.head && len(c.buf) == 0 && len(p) >= len("HTTP/1.1 200") {
		// The usual case: the head starts in this read and is no interim answer; it goes to the
		// reader as it came, without a copy.
		n, err := c.Conn.Read(p)
		if n == 0 {
			return n, err
		}
		if code := statusCode(p[:n]); n >= len("HTTP/1.1 200") && (code < 100 || code > 199 || code == 101) {
			c.head, c.used = false, true
			return n, err
		}
		c.buf = append(c.buf, p[:n]...)
		if err != nil {
			c.head = false
		}
	}
	for c.head {
		end := headEnd(c.buf)
		if end < 0 {
			if len(c.buf) > maxHead {
				c.head = false
				break
			}
			if cap(c.buf)-len(c.buf) < 512 {
				c.buf = append(make([]byte, 0, 2*cap(c.buf)+4096), c.buf...)
			}
			n, err := c.Conn.Read(c.buf[len(c.buf):cap(c.buf)])
			c.buf = c.buf[:len(c.buf)+n]
			if err != nil {
				c.head = false
				if len(c.buf) == 0 {
					return 0, err
				}
				break // what came goes on; the error comes again on the next read
			}
			continue
		}
		if code := statusCode(c.buf); code >= 100 && code <= 199 && code != 101 {
			c.buf = c.buf[:copy(c.buf, c.buf[end:])]
			continue
		}
		c.head, c.used = false, true
	}
	if len(c.buf) > 0 {
		n := copy(p, c.buf)
		c.buf = c.buf[:copy(c.buf, c.buf[n:])]
		return n, nil
	}
	return c.Conn.Read(p)
}

// tlsInterimFilter is an interimFilter over TLS: its Handshake method tells fasthttp that the
// connection is TLS already.
type tlsInterimFilter struct{ interimFilter }

// Handshake has been done by the dialer.
func (*tlsInterimFilter) Handshake() error { return nil }

// headEnd returns the length of the response head at the start of b, -1 while it is incomplete.
func headEnd(b []byte) int {
	if i := bytes.Index(b, []byte("\r\n\r\n")); i >= 0 {
		return i + 4
	}
	if i := bytes.Index(b, []byte("\n\n")); i >= 0 {
		return i + 2
	}
	return -1
}

// statusCode reads the status code of the status line at the start of b, 0 when there is none.
func statusCode(b []byte) int {
	if !bytes.HasPrefix(b, []byte("HTTP/")) {
		return 0
	}
	sp := bytes.IndexByte(b, ' ')
	if sp < 0 || len(b) < sp+4 {
		return 0
	}
	code := 0
	for _, c := range b[sp+1 : sp+4] {
		if c < '0' || c > '9' {
			return 0
		}
		code = code*10 + int(c-'0')
	}
	return code
}
