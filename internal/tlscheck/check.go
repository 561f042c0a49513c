// Package tlscheck tells whether the platform's TLS policy would accept an endpoint: a
// certificate that a CA in the default Java trust store signed (never self-signed), TLS 1.2 or
// newer, and at least one cipher suite of the platform's list of 41. Cipher suites are probed one
// by one with hand-built ClientHellos, so that suites Go's crypto/tls lacks (DHE, CAMELLIA, CCM)
// are seen too.
package tlscheck

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/thingsim/thingsim/internal/reach"
)

// Reason kinds.
const (
	KindProtocolVersion = "protocol_version"
	KindCipherSuites    = "cipher_suites"
	KindSelfSigned      = "self_signed"
	KindUntrustedRoot   = "untrusted_root"
	KindUntrusted       = "untrusted" // trusted only through roots the platform does not have
	KindExpired         = "expired"
	KindHostname        = "hostname"
	KindPort            = "port"
	KindUnreachable     = "unreachable"
	KindWeakDH          = "weak_dh"
	KindHost            = "host"
	KindJavaSuites      = "java_suites"
	KindExpiry          = "expiry"
	KindTrustStore      = "trust_store"
)

// Kinds lists every kind of reason and warning, for the documentation.
var Kinds = []string{KindProtocolVersion, KindCipherSuites, KindSelfSigned, KindUntrustedRoot, KindUntrusted, KindExpired,
	KindHostname, KindPort, KindUnreachable, KindWeakDH, KindHost, KindJavaSuites, KindExpiry, KindTrustStore}

// Finding is a reason the platform would refuse the endpoint, or a warning; Fix says what to
// change, where there is a usual fix.
type Finding struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
	Fix     string `json:"fix,omitempty"`
}

// SuiteResult says whether the server accepts one listed suite.
type SuiteResult struct {
	Code     string `json:"code"`
	Name     string `json:"name"`
	Accepted bool   `json:"accepted"`
	Java     bool   `json:"java"`
	DHBits   int    `json:"dh_bits,omitempty"`
}

// Negotiated is what thingsim's own sender negotiates, or why it cannot.
type Negotiated struct {
	Version string `json:"version,omitempty"`
	Suite   string `json:"suite,omitempty"`
	Error   string `json:"error,omitempty"`
}

// CertInfo describes one certificate of the served chain.
type CertInfo struct {
	Subject   string `json:"subject"`
	Issuer    string `json:"issuer"`
	NotAfter  string `json:"not_after"`
	DaysLeft  int    `json:"days_left"`
	Key       string `json:"key"`
	Signature string `json:"signature"`
}

// CertReport describes the served chain and who trusts it.
type CertReport struct {
	Chain         []CertInfo `json:"chain"`
	HostnameMatch bool       `json:"hostname_match"`
	SelfSigned    bool       `json:"self_signed"`
	// Trust names each store judged and whether it trusts the chain.
	Trust []TrustResult `json:"trust"`
}

// TrustResult is one store's judgement of the chain.
type TrustResult struct {
	Store   string `json:"store"`
	Trusted bool   `json:"trusted"`
	Error   string `json:"error,omitempty"`
}

// Report is the whole answer.
type Report struct {
	URL            string          `json:"url"`
	Verdict        string          `json:"verdict"` // accept, refuse or undecided
	Reasons        []Finding       `json:"reasons"`
	Warnings       []Finding       `json:"warnings"`
	Protocols      map[string]bool `json:"protocols"`
	Suites         []SuiteResult   `json:"suites"`
	AcceptedSuites []string        `json:"accepted_suites"`
	TLS13Suites    []string        `json:"tls13_suites"`
	Negotiated     *Negotiated     `json:"negotiated,omitempty"`
	Certificate    *CertReport     `json:"certificate,omitempty"`
}

// Accepted reports whether the platform would accept the endpoint.
func (r *Report) Accepted() bool { return r.Verdict == "accept" }

// Undecided reports a server that meets the documented policy but that a stock Java client cannot
// connect to: whether the platform would accept it depends on a JVM thingsim cannot see.
func (r *Report) Undecided() bool { return r.Verdict == "undecided" }

// Config configures a check.
type Config struct {
	URL string
	// Relax makes a port other than 443 a warning, for local and staging servers.
	Relax bool
	// Java is the trust store that decides; nil means the default Java trust store found on this
	// machine, or, when there is none, the system roots with a warning.
	Java *TrustStore
	// ExtraRoots are trusted too, as send's --ca-file; never for a self-signed leaf.
	ExtraRoots []*x509.Certificate
	// Connect, when set, is the host:port to connect to instead of the URL's, the URL's host still
	// the name asked for (as curl's --connect-to): a server checked before DNS points at it.
	Connect string
	// Timeout bounds each probe; default 5s.
	Timeout time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Fixes as nginx takes them.
const (
	fixProtocols = "nginx: ssl_protocols TLSv1.2 TLSv1.3;"
	fixCiphers   = "nginx: ssl_protocols TLSv1.2 TLSv1.3; ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384;"
	fixChain     = "nginx: ssl_certificate must hold the whole chain, the server's certificate then the intermediates (fullchain.pem)"
	fixCA        = "use a certificate from a CA in the Java trust store (Let's Encrypt's ISRG Root X1 is one)"
)

var versionNames = []struct {
	v    uint16
	name string
}{{VersionTLS10, "TLS1.0"}, {VersionTLS11, "TLS1.1"}, {VersionTLS12, "TLS1.2"}, {VersionTLS13, "TLS1.3"}}

// ErrUsage marks a URL that cannot be checked at all.
var ErrUsage = errors.New("usage")

// Check probes the endpoint of cfg.URL and judges it as the platform would.
func Check(ctx context.Context, cfg Config) (*Report, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("%w: %q is not a URL with a host", ErrUsage, cfg.URL)
	}
	if u.Scheme != "https" {
		return nil, fmt.Errorf("%w: %q is not an https URL: there is no TLS to check", ErrUsage, cfg.URL)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "443"
	}
	r := &Report{URL: cfg.URL, Protocols: map[string]bool{}, Reasons: []Finding{}, Warnings: []Finding{},
		AcceptedSuites: []string{}, TLS13Suites: []string{}}
	if port != "443" {
		f := Finding{Kind: KindPort, Message: fmt.Sprintf("port %s: the platform supports only the default port 443", port), Fix: "serve HTTPS on port 443"}
		if cfg.Relax {
			r.warn(f)
		} else {
			r.refuse(f)
		}
	}
	if why := reach.Unreachable(host); why != "" {
		r.warn(Finding{Kind: KindHost, Message: fmt.Sprintf("the host %s is %s: the platform cannot reach it (checked from here all the same)", host, why)})
	}
	dialer := &net.Dialer{}
	addr := net.JoinHostPort(host, port)
	if cfg.Connect != "" {
		addr = cfg.Connect
	}
	p := &prober{addr: addr, serverName: host, timeout: cfg.Timeout, dial: dialer.DialContext}

	// Is anything there, and does it speak TLS?
	c, err := dialer.DialContext(ctx, "tcp", p.addr)
	if err != nil {
		r.refuse(Finding{Kind: KindUnreachable, Message: fmt.Sprintf("cannot connect to %s: %v", p.addr, unwrapOp(err))})
		return r.finish(), nil
	}
	c.Close()

	var chainDER [][]byte
	for _, v := range versionNames {
		a, err := p.version(ctx, v.v)
		if errors.Is(err, errNotTLS) {
			r.refuse(Finding{Kind: KindUnreachable, Message: fmt.Sprintf("%s does not answer a TLS ClientHello with TLS (plain HTTP on a TLS port?)", p.addr)})
			return r.finish(), nil
		}
		if err != nil {
			r.refuse(Finding{Kind: KindUnreachable, Message: fmt.Sprintf("probing %s at %s: %v", v.name, p.addr, unwrapOp(err))})
			return r.finish(), nil
		}
		r.Protocols[v.name] = a.Accepted
		if a.Accepted && v.v == VersionTLS12 {
			chainDER = a.Certificates
		}
	}
	if r.Protocols["TLS1.0"] || r.Protocols["TLS1.1"] {
		var old []string
		for _, v := range versionNames[:2] {
			if r.Protocols[v.name] {
				old = append(old, strings.Replace(v.name, "TLS", "TLS ", 1))
			}
		}
		r.warn(Finding{Kind: KindProtocolVersion, Message: fmt.Sprintf("the server also accepts %s, which the platform's policy calls unsafe", strings.Join(old, " and ")), Fix: fixProtocols})
	}
	if !r.Protocols["TLS1.2"] && !r.Protocols["TLS1.3"] {
		r.refuse(Finding{Kind: KindProtocolVersion, Message: "the server accepts neither TLS 1.2 nor TLS 1.3; the platform needs TLS 1.2 or newer", Fix: fixProtocols})
	}

	// Every listed suite, one by one.
	var javaAccepted, otherAccepted []string
	weakDH, strongOther := 0, false
	for _, s := range PlatformSuites {
		res := SuiteResult{Code: s.CodeString(), Name: s.Name, Java: s.Java}
		if r.Protocols["TLS1.2"] {
			a, err := p.suite12(ctx, s.Code)
			if err == nil && a.Accepted {
				res.Accepted, res.DHBits = true, a.DHBits
				r.AcceptedSuites = append(r.AcceptedSuites, res.Code)
				if s.Java {
					javaAccepted = append(javaAccepted, s.Name)
				} else {
					otherAccepted = append(otherAccepted, s.Name)
				}
				// A Java client negotiates among the suites it implements: a weak group is
				// harmless only beside another suite that Java would pick.
				if isDHE(s.Code) && a.DHBits > 0 && a.DHBits < 2048 {
					weakDH = a.DHBits
				} else if s.Java {
					strongOther = true
				}
				if chainDER == nil {
					chainDER = a.Certificates
				}
			}
		}
		r.Suites = append(r.Suites, res)
	}
	for _, code := range []uint16{0x1301, 0x1302, 0x1303} {
		if !r.Protocols["TLS1.3"] {
			break
		}
		if a, err := p.suite13(ctx, []uint16{code}); err == nil && a.Accepted {
			r.TLS13Suites = append(r.TLS13Suites, suiteName(code))
		}
	}
	switch {
	case len(r.AcceptedSuites) == 0 && r.Protocols["TLS1.3"] && !r.Protocols["TLS1.2"]:
		r.refuse(Finding{Kind: KindCipherSuites, Message: "the server speaks only TLS 1.3, whose suites are not on the platform's list (all TLS 1.2 suites): " +
			"the documented policy is not met, though a stock Java client would connect all the same", Fix: "also accept TLS 1.2 with a listed suite; " + fixCiphers})
	case len(r.AcceptedSuites) == 0 && r.Protocols["TLS1.2"]:
		r.refuse(Finding{Kind: KindCipherSuites, Message: "the server accepts none of the 41 cipher suites on the platform's list", Fix: fixCiphers})
	case len(javaAccepted) == 0 && len(otherAccepted) > 0:
		r.refuse(Finding{Kind: KindJavaSuites, Message: fmt.Sprintf("the listed suites the server accepts (%s) are not implemented by a stock Java client: the documented list is met, but a Java client cannot connect, so whether the platform can is undecided",
			strings.Join(otherAccepted, ", ")), Fix: fixCiphers})
	}
	if weakDH > 0 {
		f := Finding{Kind: KindWeakDH, Message: fmt.Sprintf("a DHE suite uses a %d-bit group; 2048 bits is the least considered safe", weakDH), Fix: "nginx: ssl_dhparam with a group of 2048 bits or more, or ECDHE suites only"}
		if strongOther {
			r.warn(f)
		} else {
			r.refuse(f)
		}
	}

	r.Negotiated = negotiate(ctx, p, host, cfg)
	if chainDER == nil {
		chainDER = fetchChain(ctx, p, host)
	}
	r.Certificate = judgeChain(r, chainDER, host, cfg)
	return r.finish(), nil
}

func (r *Report) refuse(f Finding) { r.Reasons = append(r.Reasons, f) }
func (r *Report) warn(f Finding)   { r.Warnings = append(r.Warnings, f) }

func (r *Report) finish() *Report {
	r.Verdict = "accept"
	for _, f := range r.Reasons {
		if f.Kind != KindJavaSuites {
			r.Verdict = "refuse"
			return r
		}
		r.Verdict = "undecided"
	}
	return r
}

// negotiate runs the handshake thingsim's sender runs, with the system roots and the extra ones.
func negotiate(ctx context.Context, p *prober, host string, cfg Config) *Negotiated {
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	for _, c := range cfg.ExtraRoots {
		pool.AddCert(c)
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool, ServerName: host}
	tc.CipherSuites = goPlatformSuites()
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	d := tls.Dialer{Config: tc}
	c, err := d.DialContext(ctx, "tcp", p.addr)
	if err != nil {
		return &Negotiated{Error: err.Error()}
	}
	defer c.Close()
	st := c.(*tls.Conn).ConnectionState()
	return &Negotiated{Version: tls.VersionName(st.Version), Suite: tls.CipherSuiteName(st.CipherSuite)}
}

// goPlatformSuites are the listed suites Go implements, as send offers them.
func goPlatformSuites() []uint16 {
	var out []uint16
	for _, s := range tls.CipherSuites() {
		for _, ps := range PlatformSuites {
			if s.ID == ps.Code {
				out = append(out, s.ID)
			}
		}
	}
	for _, s := range tls.InsecureCipherSuites() {
		for _, ps := range PlatformSuites {
			if s.ID == ps.Code {
				out = append(out, s.ID)
			}
		}
	}
	return out
}

// fetchChain gets the served chain with Go's TLS when the raw probes saw none (TLS 1.3 only).
func fetchChain(ctx context.Context, p *prober, host string) [][]byte {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	d := tls.Dialer{Config: &tls.Config{InsecureSkipVerify: true, ServerName: host, MinVersion: tls.VersionTLS10}} // reading the chain only; judged below
	c, err := d.DialContext(ctx, "tcp", p.addr)
	if err != nil {
		return nil
	}
	defer c.Close()
	var out [][]byte
	for _, cert := range c.(*tls.Conn).ConnectionState().PeerCertificates {
		out = append(out, cert.Raw)
	}
	return out
}

func unwrapOp(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return err
}
