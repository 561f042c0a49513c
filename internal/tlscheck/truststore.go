package tlscheck

import (
	"bytes"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"os"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/thingsim/thingsim/internal/bounded"
)

// JavaTrustStorePaths are where the default Java trust store is found: Debian's
// ca-certificates-java (JKS), then JDKs' own (PKCS#12 since JDK 9).
var JavaTrustStorePaths = []string{
	"/etc/ssl/certs/java/cacerts",
	"/usr/lib/jvm/default-java/lib/security/cacerts",
	"/usr/lib/jvm/java-17-openjdk-amd64/lib/security/cacerts",
	"/usr/lib/jvm/java-21-openjdk-amd64/lib/security/cacerts",
	"/etc/pki/java/cacerts",
}

// TrustStore is a set of trusted roots with the name of where they came from.
type TrustStore struct {
	Name  string
	Pool  *x509.CertPool
	Certs []*x509.Certificate
}

// LoadTrustStore reads a Java trust store (JKS or PKCS#12, told by content) or a PEM bundle.
// password opens a PKCS#12 store; Java's default is "changeit".
func LoadTrustStore(path, password string) (*TrustStore, error) {
	b, err := bounded.ReadFile(path, bounded.Certificates)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("trust store %s: %w", path, pe.Err)
		}
		return nil, err
	}
	var certs []*x509.Certificate
	switch {
	case bytes.HasPrefix(b, []byte{0xFE, 0xED, 0xFE, 0xED}):
		certs, err = parseJKS(b)
	case bytes.Contains(b, []byte("-----BEGIN CERTIFICATE-----")):
		certs, err = parsePEM(b)
	default:
		certs, err = pkcs12.DecodeTrustStore(b, password)
		if err != nil {
			err = fmt.Errorf("neither JKS nor PEM, and as PKCS#12: %v", err)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("trust store %s: %w", path, err)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("trust store %s: no certificate in it", path)
	}
	ts := &TrustStore{Name: path, Pool: x509.NewCertPool(), Certs: certs}
	for _, c := range certs {
		ts.Pool.AddCert(c)
	}
	return ts, nil
}

// FindJavaTrustStore returns the first default Java trust store present, or "".
func FindJavaTrustStore() string {
	for _, p := range JavaTrustStorePaths {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	return ""
}

// parseJKS reads the trusted certificates of a Java KeyStore (format version 1 or 2). The store's
// keyed SHA-1 digest is not checked: the certificates are public and are verified as they are used.
func parseJKS(b []byte) ([]*x509.Certificate, error) {
	r := jksReader{b: b[4:]}
	version := r.u32()
	if version != 1 && version != 2 {
		return nil, fmt.Errorf("JKS version %d is not 1 or 2", version)
	}
	n := r.u32()
	var out []*x509.Certificate
	for i := uint32(0); i < n && r.err == nil; i++ {
		tag := r.u32()
		alias := r.utf()
		r.skip(8) // timestamp
		switch tag {
		case 1: // private key entry: the key, then its chain
			r.skip(int(r.u32()))
			chain := r.u32()
			for j := uint32(0); j < chain && r.err == nil; j++ {
				r.readCert(version)
			}
		case 2: // trusted certificate
			der := r.readCert(version)
			if r.err != nil {
				break
			}
			c, err := x509.ParseCertificate(der)
			if err != nil {
				return nil, fmt.Errorf("JKS entry %q: %v", alias, err)
			}
			out = append(out, c)
		default:
			return nil, fmt.Errorf("JKS entry %d has unknown tag %d", i, tag)
		}
	}
	if r.err != nil {
		return nil, fmt.Errorf("JKS: %v", r.err)
	}
	return out, nil
}

type jksReader struct {
	b   []byte
	err error
}

func (r *jksReader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b) {
		r.err = errors.New("the file ends inside an entry")
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *jksReader) u32() uint32 {
	b := r.take(4)
	if b == nil {
		return 0
	}
	return binary.BigEndian.Uint32(b)
}

func (r *jksReader) utf() string {
	b := r.take(2)
	if b == nil {
		return ""
	}
	return string(r.take(int(binary.BigEndian.Uint16(b))))
}

func (r *jksReader) skip(n int) { r.take(n) }

func (r *jksReader) readCert(version uint32) []byte {
	if version == 2 {
		r.utf() // certificate type, "X.509"
	}
	return r.take(int(r.u32()))
}

func parsePEM(b []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			return out, nil
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
}
