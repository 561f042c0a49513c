package tlscheck

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"strings"
	"time"
)

// judgeChain describes the chain and decides trust, expiry and host name.
func judgeChain(r *Report, der [][]byte, host string, cfg Config) *CertReport {
	if len(der) == 0 {
		r.refuse(Finding{Kind: KindUntrustedRoot, Message: "the server sent no certificate that could be read"})
		return nil
	}
	var chain []*x509.Certificate
	for _, d := range der {
		c, err := x509.ParseCertificate(d)
		if err != nil {
			r.refuse(Finding{Kind: KindUntrustedRoot, Message: fmt.Sprintf("a served certificate cannot be read: %v", err)})
			return nil
		}
		chain = append(chain, c)
	}
	now := cfg.Now()
	cr := &CertReport{}
	for _, c := range chain {
		cr.Chain = append(cr.Chain, CertInfo{Subject: c.Subject.String(), Issuer: c.Issuer.String(), NotAfter: c.NotAfter.UTC().Format(time.RFC3339),
			DaysLeft: int(c.NotAfter.Sub(now).Hours() / 24), Key: keyDescription(c), Signature: c.SignatureAlgorithm.String()})
	}
	leaf := chain[0]
	cr.HostnameMatch = leaf.VerifyHostname(host) == nil
	if !cr.HostnameMatch {
		r.refuse(Finding{Kind: KindHostname, Message: fmt.Sprintf("the certificate does not name %s (it names %s)", host, strings.Join(certNames(leaf), ", ")),
			Fix: fmt.Sprintf("use a certificate whose subjectAltName holds %s", host)})
	}
	switch left := leaf.NotAfter.Sub(now); {
	case now.Before(leaf.NotBefore):
		r.refuse(Finding{Kind: KindExpired, Message: fmt.Sprintf("the certificate is not valid before %s", leaf.NotBefore.UTC().Format(time.RFC3339))})
	case left < 0:
		r.refuse(Finding{Kind: KindExpired, Message: fmt.Sprintf("the certificate expired on %s", leaf.NotAfter.UTC().Format(time.RFC3339)), Fix: "renew the certificate"})
	case left < 30*24*time.Hour:
		r.warn(Finding{Kind: KindExpiry, Message: fmt.Sprintf("the certificate expires in %d days (%s)", int(left.Hours()/24), leaf.NotAfter.UTC().Format("2006-01-02")), Fix: "renew the certificate"})
	}
	cr.SelfSigned = isSelfSigned(leaf)
	if cr.SelfSigned {
		r.refuse(Finding{Kind: KindSelfSigned, Message: fmt.Sprintf("the certificate is self-signed (%s): the platform never trusts one", leaf.Subject), Fix: fixCA})
	}

	java := cfg.Java
	if java == nil {
		if path := FindJavaTrustStore(); path != "" {
			if ts, err := LoadTrustStore(path, "changeit"); err == nil {
				java = ts
			} else {
				r.warn(Finding{Kind: KindTrustStore, Message: err.Error()})
			}
		}
	}
	inters := x509.NewCertPool()
	for _, c := range chain[1:] {
		inters.AddCert(c)
	}
	// Verify as of the check's clock, and judge expiry above: a trust verdict should not repeat it.
	at := leaf.NotAfter.Add(-time.Minute)
	if now.Before(at) && now.After(leaf.NotBefore) {
		at = now
	}
	verify := func(name string, roots *x509.CertPool) TrustResult {
		_, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inters, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
		tr := TrustResult{Store: name, Trusted: err == nil}
		if err != nil {
			tr.Error = err.Error()
		}
		return tr
	}
	// The platform trusts its Java store; --ca-file roots make the chain verify here, which is
	// reported, but never count as the platform's trust.
	withExtra := func(name string, pool *x509.CertPool) (TrustResult, TrustResult) {
		own := verify(name, pool)
		cr.Trust = append(cr.Trust, own)
		if own.Trusted || len(cfg.ExtraRoots) == 0 {
			return own, own
		}
		pool = pool.Clone()
		for _, c := range cfg.ExtraRoots {
			pool.AddCert(c)
		}
		extra := verify(name+" and --ca-file", pool)
		cr.Trust = append(cr.Trust, extra)
		return own, extra
	}
	var javaTrust, javaExtra TrustResult
	switch {
	case java != nil:
		javaTrust, javaExtra = withExtra("Java trust store "+java.Name, java.Pool)
	default:
		r.warn(Finding{Kind: KindTrustStore, Message: "no Java trust store found on this machine (give one with --truststore): the system roots stand in for it"})
	}
	if sys, err := x509.SystemCertPool(); err == nil {
		st, sx := withExtra("system roots", sys)
		if java == nil {
			javaTrust, javaExtra = st, sx
		}
	}
	last := chain[len(chain)-1]
	switch {
	case javaTrust.Trusted || cr.SelfSigned:
	case javaExtra.Trusted:
		r.refuse(Finding{Kind: KindUntrusted, Message: fmt.Sprintf("the chain is trusted here only through --ca-file: it ends at %q, issued by %q, which the %s does not hold, so the platform would not trust it", last.Subject, last.Issuer, javaTrust.Store), Fix: fixCA})
	default:
		msg := fmt.Sprintf("the chain is not trusted by the %s: it ends at %q, issued by %q", javaTrust.Store, last.Subject, last.Issuer)
		fix := fixCA
		switch {
		case java != nil && holds(java, last.RawIssuer):
			msg += fmt.Sprintf(", which the trust store holds, but verification failed: %s", javaTrust.Error)
		case isSelfSigned(last):
			msg += ", a root the trust store does not hold"
		default:
			msg += ", which the server does not send and the trust store does not hold: an intermediate certificate is missing, or the CA is not one the platform trusts"
			fix = fixChain + "; or " + fixCA
		}
		r.refuse(Finding{Kind: KindUntrustedRoot, Message: msg, Fix: fix})
	}
	return cr
}

// isSelfSigned reports whether c signed itself; CheckSignatureFrom would refuse a leaf that is not
// a CA as its own parent, so the signature is checked directly.
func isSelfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawSubject, c.RawIssuer) && c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}

func certNames(c *x509.Certificate) []string {
	names := append([]string(nil), c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 {
		names = append(names, "CN="+c.Subject.CommonName)
	}
	return names
}

func keyDescription(c *x509.Certificate) string {
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA %d bits", k.N.BitLen())
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name
	case ed25519.PublicKey:
		return "Ed25519"
	}
	return c.PublicKeyAlgorithm.String()
}

// holds reports whether the store has a certificate with the given subject.
func holds(ts *TrustStore, subject []byte) bool {
	for _, c := range ts.Certs {
		if bytes.Equal(c.RawSubject, subject) {
			return true
		}
	}
	return false
}
