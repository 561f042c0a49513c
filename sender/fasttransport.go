package sender

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpproxy"
)

// FastTransport is a Transport on fasthttp, for load: it reuses requests, responses and
// connections and allocates little per message. Headers go out exactly in the request's order and
// spelling, after Host and before Content-Length, as the platform's template shows them. It speaks
// HTTP/1.1 only; proxies come from HTTPS_PROXY, HTTP_PROXY and NO_PROXY.
type FastTransport struct {
	opts    HTTPOptions
	mu      sync.Mutex
	clients map[clientKey]*fasthttp.HostClient
	// last is the client used last: a run sends every message to one host, and finds its client
	// here without the lock and the map.
	last    atomic.Pointer[keyedClient]
	dialers map[clientKey]*fastDialer
	conns   connSet
	// watched is the Done channel of the context whose end closes every connection: one run's
	// context, watched once, not once a request.
	watched <-chan struct{}
}

type clientKey struct{ scheme, host string }

type keyedClient struct {
	key clientKey
	c   *fasthttp.HostClient
}

// NewFastTransport returns a fasthttp transport with the platform's TLS policy. opts.Proxy picks
// the proxy as for HTTPTransport; nil means the environment's.
func NewFastTransport(o HTTPOptions) *FastTransport {
	if o.MaxConnsPerHost == 0 {
		o.MaxConnsPerHost = 64
	}
	return &FastTransport{opts: o, clients: map[clientKey]*fasthttp.HostClient{}}
}

func (t *FastTransport) client(r *Request) *fasthttp.HostClient {
	key := clientKey{r.URL.Scheme, r.URL.Host}
	if last := t.last.Load(); last != nil && last.key == key {
		return last.c
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if c, ok := t.clients[key]; ok {
		t.last.Store(&keyedClient{key, c})
		return c
	}
	host, port := r.URL.Hostname(), r.URL.Port()
	tls := r.URL.Scheme == "https"
	if port == "" {
		port = "80"
		if tls {
			port = "443"
		}
	}
	c := &fasthttp.HostClient{
		Addr:      net.JoinHostPort(host, port),
		IsTLS:     tls,
		TLSConfig: TLSConfig(t.opts.RootCAs),
		MaxConns:  t.opts.MaxConnsPerHost,
		// The sender retries, as the platform does; fasthttp only sends again a request that never
		// went out because the server had closed the idle connection it took.
		// Each idle connection may have been closed, so one more than there can be.
		MaxIdemponentCallAttempts: max(t.opts.MaxConnsPerHost, fasthttp.DefaultMaxConnsPerHost) + 1,
		RetryIfErr: func(_ *fasthttp.Request, _ int, err error) (bool, bool) {
			return false, errors.Is(err, errIdleClosed)
		},
		NoDefaultUserAgentHeader:      true,
		DisableHeaderNamesNormalizing: true,
		DisablePathNormalizing:        true,
		MaxResponseBodySize:           maxDrain,
		MaxIdleConnDuration:           90 * time.Second,
		// The connection used last is used next: at a rate below what one connection carries,
		// one or two stay busy and warm, and the others time out, instead of every connection
		// being woken in turn.
		ConnPoolStrategy: fasthttp.LIFO,
	}
	d := &fastDialer{base: fasthttpproxy.FasthttpProxyHTTPDialerTimeout, conns: &t.conns, warm: &warmPool{}}
	if t.opts.Proxy != nil {
		d.base = func(timeout time.Duration) fasthttp.DialFunc {
			return func(addr string) (net.Conn, error) { return fasthttp.DialTimeout(addr, timeout) }
		}
		if pu, err := t.opts.Proxy(&http.Request{URL: r.URL}); err == nil && pu != nil {
			d.base = func(timeout time.Duration) fasthttp.DialFunc {
				return fasthttpproxy.FasthttpHTTPDialerTimeout(pu.Host, timeout)
			}
		}
	}
	if tls {
		c.TLSConfig.ServerName = host
		d.tls = c.TLSConfig
	}
	c.DialTimeout = d.dial
	t.clients[key] = c
	if t.dialers == nil {
		t.dialers = map[clientKey]*fastDialer{}
	}
	t.dialers[key] = d
	t.last.Store(&keyedClient{key, c})
	return c
}

// RoundTrip sends r once, within ctx's deadline. ctx is checked before the request starts; the
// request itself is bounded by the deadline alone.
func (t *FastTransport) RoundTrip(ctx context.Context, r *Request) (Response, error) {
	if err := ctx.Err(); err != nil {
		return Response{}, err
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(DefaultTimeouts[len(DefaultTimeouts)-1])
	}
	return t.roundTrip(deadline, r)
}

// RoundTripDeadline sends r once by the deadline; the sender calls it without making a context per
// attempt, with the context of its run. fasthttp cannot be interrupted mid-request, so the end of
// that context closes every connection of the transport, which ends the requests on them.
func (t *FastTransport) RoundTripDeadline(ctx context.Context, deadline time.Time, r *Request) (Response, error) {
	if err := ctx.Err(); err != nil {
		return Response{}, err
	}
	t.watch(ctx)
	resp, err := t.roundTrip(deadline, r)
	if err != nil && ctx.Err() != nil {
		return Response{}, ctx.Err()
	}
	return resp, err
}

// watch closes every connection when ctx ends; a context is watched once, however many requests
// it carries.
func (t *FastTransport) watch(ctx context.Context) {
	done := ctx.Done()
	if done == nil {
		return
	}
	t.mu.Lock()
	if t.watched == done {
		t.mu.Unlock()
		return
	}
	t.watched = done
	t.mu.Unlock()
	abort := t.conns.run()
	context.AfterFunc(ctx, func() { t.conns.closeAll(abort) })
}

func (t *FastTransport) roundTrip(deadline time.Time, r *Request) (Response, error) {
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	// Special headers off: every header is written as given, in order; Host and Content-Length too.
	req.Header.DisableSpecialHeader()
	req.Header.DisableNormalizing()
	req.Header.SetMethod(r.Method)
	req.SetRequestURI(r.uri())
	req.Header.Add("Host", r.URL.Host)
	for _, h := range r.Header {
		req.Header.Add(h.Name, h.Value)
	}
	var n [20]byte
	req.Header.AddBytesV("Content-Length", strconv.AppendInt(n[:0], int64(len(r.Body)), 10))
	req.SetBodyRaw(r.Body)

	err := t.client(r).DoDeadline(req, resp, deadline)
	if err != nil {
		if errors.Is(err, fasthttp.ErrTimeout) || errors.Is(err, fasthttp.ErrDialTimeout) || errors.Is(err, fasthttp.ErrTLSHandshakeTimeout) {
			return Response{}, fmt.Errorf("%w: %v", context.DeadlineExceeded, err)
		}
		if errors.Is(err, fasthttp.ErrBodyTooLarge) && resp.StatusCode() != 0 {
			return Response{Status: resp.StatusCode(), Proto: "HTTP/1.1"}, nil
		}
		if errors.Is(err, fasthttp.ErrConnectionClosed) {
			// The words and the kind net/http gives the same fault.
			return Response{}, fmt.Errorf("the connection closed before an answer: %w", io.EOF)
		}
		return Response{}, err
	}
	out := Response{Status: resp.StatusCode(), Proto: "HTTP/1.1"}
	if loc := resp.Header.Peek("Location"); len(loc) > 0 {
		out.Location = string(loc)
	}
	if b := resp.Body(); len(b) > 0 {
		out.Body = append([]byte(nil), b[:min(len(b), maxDiagnostic)]...)
	}
	return out, nil
}

// CloseIdle closes idle connections.
func (t *FastTransport) CloseIdle() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, c := range t.clients {
		c.CloseIdleConnections()
	}
}
