package receiver

import (
	"bytes"
	"context"
	"crypto/tls"
	"github.com/thingsim/thingsim/internal/record"
	"net"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Go's HTTP server hands handlers the headers in canonical form (Things-Plug-Uuid) and in no
// order. A reference receiver must show what arrived, so the listener here keeps the plain-text
// bytes each connection reads, and the handler takes its request's head from them: names as
// spelled, in wire order.

// rawListener accepts connections, does TLS itself when configured, and wraps each connection so
// that its plain text is kept.
type rawListener struct {
	net.Listener
	tls *tls.Config
}

func (l rawListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if l.tls != nil {
		c = tls.Server(c, l.tls)
	}
	return &rawConn{Conn: c}, nil
}

// rawConn keeps what it reads until the handler has taken the request head from it. A head is
// taken only where the previous request's bytes end, so that a body cannot pass for the next
// request's head; after a body whose length the head does not give (chunked), the connection's
// requests show Go's canonical headers instead.
type rawConn struct {
	net.Conn
	mu     sync.Mutex
	buf    []byte
	skip   int64 // body bytes of the last request still to drop
	desync bool  // where a head starts is no longer known: keep nothing
}

func (c *rawConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 && !c.desynced() {
		c.mu.Lock()
		c.buf = append(c.buf, p[:n]...)
		c.mu.Unlock()
	}
	return n, err
}

func (c *rawConn) desynced() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.desync
}

// lose gives up the raw heads of this connection; called with c.mu held.
func (c *rawConn) lose() {
	c.desync, c.buf, c.skip = true, nil, 0
}

type connKey struct{}

// connContext stores the connection in the request context, for the handler.
func connContext(ctx context.Context, c net.Conn) context.Context {
	if rc, ok := c.(*rawConn); ok {
		return context.WithValue(ctx, connKey{}, rc)
	}
	return ctx
}

// rawHeaders returns r's headers as they arrived: names as spelled, in wire order. Without the
// raw bytes (HTTP/2, or a head it cannot find) it returns Go's canonical view, sorted.
func rawHeaders(r *http.Request) []record.Header {
	if rc, ok := r.Context().Value(connKey{}).(*rawConn); ok {
		if hs, ok := rc.takeHead(r); ok {
			return hs
		}
	}
	return canonicalHeaders(r)
}

// takeHead finds r's head among the kept bytes, parses its header lines and drops what was read
// before it and the body after it.
func (c *rawConn) takeHead(r *http.Request) ([]record.Header, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.skip > 0 {
		n := min(c.skip, int64(len(c.buf)))
		c.buf = c.buf[n:]
		c.skip -= n
	}
	if c.desync {
		return nil, false
	}
	// The head starts where the previous request ended, after the blank lines HTTP allows.
	start := len(c.buf) - len(bytes.TrimLeft(c.buf, "\r\n"))
	if !bytes.HasPrefix(c.buf[start:], []byte(r.Method+" "+r.RequestURI+" HTTP/")) || c.skip > 0 {
		c.lose()
		return nil, false
	}
	// The head ends at its first empty line, as Go reads lines: up to a "\n", a "\r" before it
	// dropped. (Searching for "\r\n\r\n" missed a head ending "\n\r\n", and took the body's
	// lines for headers.)
	end, next := -1, 0
	for off := start; ; {
		nl := bytes.IndexByte(c.buf[off:], '\n')
		if nl < 0 {
			break
		}
		if line := bytes.TrimSuffix(c.buf[off:off+nl], []byte("\r")); len(line) == 0 {
			end, next = off, off+nl+1
			break
		}
		off += nl + 1
	}
	if end < 0 {
		c.lose()
		return nil, false
	}
	head := string(c.buf[start:end])
	rest := c.buf[next:]
	c.buf = append(c.buf[:0], rest...)
	switch {
	case r.ContentLength > 0:
		c.skip = r.ContentLength
	case r.ContentLength < 0:
		// A chunked body: where it ends, and the next head starts, is not known here.
		defer c.lose()
	}
	var hs []record.Header
	lines := strings.Split(head, "\n")
	for _, l := range lines[1:] {
		l = strings.TrimSuffix(l, "\r")
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		hs = append(hs, record.Header{Name: name, Value: strings.TrimSpace(value)})
	}
	if !sameHeaders(hs, r) {
		return nil, false // not the head Go parsed: its view, not a guess
	}
	return hs, true
}

// sameHeaders reports whether the raw header lines hs are the headers Go parsed for r: each of
// its values, and no other (Host, which Go moves to r.Host, aside).
func sameHeaders(hs []record.Header, r *http.Request) bool {
	n := 0
	for _, h := range hs {
		switch k := http.CanonicalHeaderKey(h.Name); {
		case k == "Host", k == "Transfer-Encoding" && len(r.TransferEncoding) > 0:
			continue // Go moves them out of r.Header
		}
		if !slices.Contains(r.Header.Values(h.Name), h.Value) {
			return false
		}
		n++
	}
	total := 0
	for _, vs := range r.Header {
		total += len(vs)
	}
	return n == total
}

func canonicalHeaders(r *http.Request) []record.Header {
	hs := []record.Header{{Name: "Host", Value: r.Host}}
	names := make([]string, 0, len(r.Header))
	for name := range r.Header {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		for _, v := range r.Header[name] {
			hs = append(hs, record.Header{Name: name, Value: v})
		}
	}
	return hs
}
