package sender

import (
	"context"
	"net"
	"net/url"
	"sync"
	"time"
)

// Warmer is a Transport that can open connections to the destination before a run's clock
// starts, so that a fixed rate's first messages do not wait for TLS handshakes: the ramp stays out
// of the schedule's way and of the percentiles, as wrk2 opens its connections first.
type Warmer interface {
	// Warm opens up to n connections to u's host and keeps them for the requests to come; it
	// sends nothing on them.
	Warm(ctx context.Context, u string, n int) error
}

// Warm opens up to n connections to the destination for the requests to come, when the transport
// can; it sends no request. It returns how many it opened.
func (s *Sender) Warm(ctx context.Context, n int) int {
	w, ok := s.cfg.Transport.(Warmer)
	if !ok || n <= 0 {
		return 0
	}
	if w.Warm(ctx, s.cfg.Destination.URL, n) != nil {
		return 0
	}
	return n
}

// warmPool holds connections opened ahead of their requests.
type warmPool struct {
	mu    sync.Mutex
	conns []net.Conn
}

// take returns a kept connection the server has not closed meanwhile, or nil.
func (p *warmPool) take() net.Conn {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(p.conns) > 0 {
		c := p.conns[len(p.conns)-1]
		p.conns = p.conns[:len(p.conns)-1]
		if f := filterOf(c); f != nil && f.peek.peerClosed() {
			c.Close()
			continue
		}
		return c
	}
	return nil
}

func (p *warmPool) put(c net.Conn) {
	p.mu.Lock()
	p.conns = append(p.conns, c)
	p.mu.Unlock()
}

// filterOf returns the interimFilter under a connection the fast dialer made.
func filterOf(c net.Conn) *interimFilter {
	switch f := c.(type) {
	case *interimFilter:
		return f
	case *tlsInterimFilter:
		return &f.interimFilter
	}
	return nil
}

// Warm opens up to n connections, n at once, each within 10 s or the context's end.
func (t *FastTransport) Warm(ctx context.Context, u string, n int) error {
	parsed, err := url.Parse(u)
	if err != nil {
		return err
	}
	c := t.client(&Request{URL: parsed})
	t.mu.Lock()
	d := t.dialers[clientKey{parsed.Scheme, parsed.Host}]
	t.mu.Unlock()
	if d == nil {
		return nil
	}
	var wg sync.WaitGroup
	var firstErr error
	var mu sync.Mutex
	for range n {
		wg.Go(func() {
			timeout := 10 * time.Second
			if dl, ok := ctx.Deadline(); ok {
				timeout = time.Until(dl)
			}
			conn, err := d.dialFresh(c.Addr, timeout)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				return
			}
			d.warm.put(conn)
		})
	}
	wg.Wait()
	return firstErr
}
