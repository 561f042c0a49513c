package sender

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/thingsim/thingsim/internal/bounded"
)

// Transport performs one delivery attempt: it writes the request and reads the response's status.
// Implementations never follow redirects and stop when ctx is done (its deadline is the attempt's
// timeout).
type Transport interface {
	RoundTrip(ctx context.Context, r *Request) (Response, error)
}

// Response is what an attempt got back.
type Response struct {
	Status   int
	Proto    string
	Location string // of a redirect
	Body     []byte // the first bytes of the response body, for diagnostics
}

// PlatformCipherSuites are the suites of the platform's list that Go's crypto/tls implements, for
// TLS 1.2; TLS 1.3 suites are not configurable in Go and are all acceptable.
var PlatformCipherSuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, // 0xc02b
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, // 0xc02c
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,   // 0xc02f
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,   // 0xc030
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305,  // 0xcca9
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305,    // 0xcca8
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, // 0xc023
	tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,   // 0xc027
}

// TLSConfig returns the platform's client TLS policy: TLS 1.2 or newer, for TLS 1.2 only the
// listed suites, certificates verified against the system roots plus extra (which may be nil).
// There is no way to skip verification: a staging CA goes in extra.
func TLSConfig(extra *x509.CertPool) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		CipherSuites: PlatformCipherSuites,
		RootCAs:      extra,
	}
}

// LoadCAFile returns the system roots plus the PEM certificates of path.
func LoadCAFile(path string) (*x509.CertPool, error) {
	b, err := bounded.ReadFile(path, bounded.Certificates)
	if err != nil {
		return nil, fmt.Errorf("CA file: %w", bounded.NamedError(err, path))
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("CA file %s: no PEM certificate in it", path)
	}
	return pool, nil
}

// HTTPOptions configures the net/http transport.
type HTTPOptions struct {
	// RootCAs verifies servers; nil means the system roots.
	RootCAs *x509.CertPool
	// HTTP2 offers HTTP/2; the platform's template is HTTP/1.1, the default.
	HTTP2 bool
	// Proxy picks the proxy of a request; nil means HTTPS_PROXY, HTTP_PROXY and NO_PROXY from the
	// environment.
	Proxy func(*http.Request) (*url.URL, error)
	// MaxConnsPerHost bounds the connections kept to the endpoint; 0 means 64.
	MaxConnsPerHost int
}

// HTTPTransport is a Transport on net/http.
type HTTPTransport struct {
	rt *http.Transport
}

// NewHTTPTransport returns a transport with the platform's TLS policy.
func NewHTTPTransport(o HTTPOptions) *HTTPTransport {
	proxy := o.Proxy
	if proxy == nil {
		proxy = http.ProxyFromEnvironment
	}
	conns := o.MaxConnsPerHost
	if conns == 0 {
		conns = 64
	}
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	rt := &http.Transport{
		Proxy: proxy,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := dialer.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return newHangupConn(c), nil
		},
		TLSClientConfig:     TLSConfig(o.RootCAs),
		TLSHandshakeTimeout: 0, // the attempt's deadline bounds the handshake
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     90 * time.Second,
		ForceAttemptHTTP2:   o.HTTP2,
		DisableCompression:  true, // no Accept-Encoding: the platform sends none
	}
	if !o.HTTP2 {
		// A non-nil empty map keeps net/http from negotiating HTTP/2.
		rt.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	}
	return &HTTPTransport{rt: rt}
}

// maxDiagnostic is how much of a response body is kept; the rest is drained and dropped.
const (
	maxDiagnostic = 512
	maxDrain      = 1 << 20
)

// RoundTrip sends r once. Header names go out spelled as r has them, not canonicalised.
func (t *HTTPTransport) RoundTrip(ctx context.Context, r *Request) (Response, error) {
	hr, err := http.NewRequestWithContext(ctx, r.Method, r.URL.String(), bytes.NewReader(r.Body))
	if err != nil {
		return Response{}, err
	}
	hr.Header = make(http.Header, len(r.Header))
	for _, h := range r.Header {
		// Assigning to the map keeps the spelling: Things-Plug-UUID, not Things-Plug-Uuid.
		hr.Header[h.Name] = append(hr.Header[h.Name], h.Value)
	}
	if _, ok := hr.Header["User-Agent"]; !ok {
		hr.Header["User-Agent"] = []string{""} // no Go-http-client default
	}
	resp, err := t.rt.RoundTrip(hr)
	// net/http gives up a POST when it finds, after taking an idle connection, that the server
	// had closed it; the request was never written, so it goes again on another connection, as
	// many times as there can be idle ones.
	for retries := t.rt.MaxIdleConnsPerHost; err != nil && isClosedIdle(err) && retries > 0 && ctx.Err() == nil; retries-- {
		hr.Body = io.NopCloser(bytes.NewReader(r.Body))
		resp, err = t.rt.RoundTrip(hr)
	}
	if err != nil {
		return Response{}, err
	}
	defer resp.Body.Close()
	out := Response{Status: resp.StatusCode, Proto: resp.Proto, Location: resp.Header.Get("Location")}
	var head [maxDiagnostic]byte
	n, _ := io.ReadFull(resp.Body, head[:])
	out.Body = append([]byte(nil), head[:n]...)
	// Drain the rest so that the connection can be reused. The status decides the outcome; a body
	// cut off after it does not change it.
	io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain))
	return out, nil
}

// CloseIdle closes idle connections.
func (t *HTTPTransport) CloseIdle() { t.rt.CloseIdleConnections() }

// isClosedIdle reports net/http's error for a request it did not write because the server had
// closed the idle connection it took (errServerClosedIdle, which net/http does not export).
func isClosedIdle(err error) bool {
	return err.Error() == "http: server closed idle connection"
}
