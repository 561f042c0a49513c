package tlscheck

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"errors"
	"net"
	"time"
)

// prober sends hand-built ClientHellos to one server and reads its answers without finishing any
// handshake, so that it can see suites Go's crypto/tls does not implement.
type prober struct {
	addr       string // host:port
	serverName string
	timeout    time.Duration
	dial       func(ctx context.Context, network, addr string) (net.Conn, error)
}

// hello sends one ClientHello and reads the answer.
func (p *prober) hello(ctx context.Context, s helloSpec, wantMore bool) (answer, error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	c, err := p.dial(ctx, "tcp", p.addr)
	if err != nil {
		return answer{}, err
	}
	defer c.Close()
	if d, ok := ctx.Deadline(); ok {
		c.SetDeadline(d)
	}
	s.serverName = p.serverName
	rand.Read(s.random[:])
	if _, err := c.Write(clientHello(s)); err != nil {
		return answer{}, err
	}
	a, err := readAnswer(c, wantMore)
	if err != nil && !a.Accepted {
		var ne net.Error
		if errors.Is(err, errNotTLS) || (errors.As(err, &ne) && ne.Timeout()) {
			return a, err
		}
		// A reset or a close without an alert is a refusal too.
		return answer{Alert: -1}, nil
	}
	return a, nil
}

// suite12 asks whether the server accepts one suite in TLS 1.2.
func (p *prober) suite12(ctx context.Context, code uint16) (answer, error) {
	a, err := p.hello(ctx, helloSpec{version: VersionTLS12, suites: []uint16{code}}, isDHE(code))
	if err == nil && a.Accepted && (a.Suite != code || a.Version != VersionTLS12) {
		a.Accepted = false // a server must not pick what was not offered; count it as refused
	}
	return a, err
}

// version asks whether the server accepts a protocol version at all.
func (p *prober) version(ctx context.Context, v uint16) (answer, error) {
	switch v {
	case VersionTLS13:
		return p.suite13(ctx, []uint16{0x1301, 0x1302, 0x1303})
	case VersionTLS12:
		a, err := p.hello(ctx, helloSpec{version: v, suites: modernSuites()}, true)
		if err == nil && a.Accepted && a.Version != v {
			a.Accepted = false
		}
		return a, err
	}
	a, err := p.hello(ctx, helloSpec{version: v, suites: legacySuites}, false)
	if err == nil && a.Accepted && a.Version != v {
		a.Accepted = false
	}
	return a, err
}

// suite13 asks whether the server accepts TLS 1.3 with the given suites.
func (p *prober) suite13(ctx context.Context, suites []uint16) (answer, error) {
	key, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return answer{}, err
	}
	a, err := p.hello(ctx, helloSpec{version: VersionTLS12, suites: suites, tls13: true, keyShare: key.PublicKey().Bytes()}, false)
	if err == nil && a.Accepted && a.Version != VersionTLS13 {
		a.Accepted = false
	}
	return a, err
}
