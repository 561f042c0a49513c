// Package acmecert gets and renews the certificates of receive --acme from an ACME CA (Let's
// Encrypt, or a private or test one such as Pebble), so that the platform, which trusts the CAs of
// a Java trust store, can reach a receiver on its own domain. It wraps
// golang.org/x/crypto/acme/autocert: the Go team's ACME client, already among thingsim's
// dependencies, which answers TLS-ALPN-01 on the port it serves (443, the one port the platform
// uses) and HTTP-01 where port 80 is given, caches certificates and the account key, and renews
// before expiry while it runs.
package acmecert

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"

	"github.com/thingsim/thingsim/internal/bounded"
)

// The directories of Let's Encrypt.
const (
	LetsEncrypt        = "https://acme-v02.api.letsencrypt.org/directory"
	LetsEncryptStaging = "https://acme-staging-v02.api.letsencrypt.org/directory"
)

// Config says which certificates to get and from where.
type Config struct {
	Domains   []string
	Directory string // the ACME directory URL; default LetsEncrypt
	// CAFile holds the PEM roots that the ACME server's HTTPS is verified with, besides the
	// system's: a private or test CA's.
	CAFile string
	// CacheDir keeps the certificates and the account key, files of mode 0600; default
	// DefaultCacheDir.
	CacheDir string
	Email    string
}

// DefaultCacheDir is thingsim/acme in the user's cache directory.
func DefaultCacheDir() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "thingsim", "acme"), nil
}

// Manager gets, serves and renews the certificates of Config's domains.
type Manager struct {
	m       *autocert.Manager
	domains []string
}

// New returns a Manager; nothing is asked of the CA before Obtain or the first handshake.
func New(cfg Config) (*Manager, error) {
	if len(cfg.Domains) == 0 {
		return nil, errors.New("no domain")
	}
	if cfg.Directory == "" {
		cfg.Directory = LetsEncrypt
	}
	if cfg.CacheDir == "" {
		dir, err := DefaultCacheDir()
		if err != nil {
			return nil, fmt.Errorf("no cache directory: %w", err)
		}
		cfg.CacheDir = dir
	}
	client := &acme.Client{DirectoryURL: cfg.Directory}
	if cfg.CAFile != "" {
		pem, err := bounded.ReadFile(cfg.CAFile, bounded.Certificates)
		if err != nil {
			return nil, fmt.Errorf("the ACME server's CA file: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("the ACME server's CA file %s: no PEM certificate in it", cfg.CAFile)
		}
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
		client.HTTPClient = &http.Client{Transport: t, Timeout: time.Minute}
	}
	m := &autocert.Manager{
		Prompt:     autocert.AcceptTOS,
		Cache:      autocert.DirCache(cfg.CacheDir),
		HostPolicy: autocert.HostWhitelist(cfg.Domains...),
		Client:     client,
		Email:      cfg.Email,
	}
	return &Manager{m: m, domains: cfg.Domains}, nil
}

// TLSConfig serves the certificates, and answers TLS-ALPN-01 challenges, on a TLS listener.
func (m *Manager) TLSConfig() *tls.Config {
	c := m.m.TLSConfig()
	c.MinVersion = tls.VersionTLS12
	return c
}

// HTTPHandler answers HTTP-01 challenges (on port 80) and redirects every other request to https.
func (m *Manager) HTTPHandler() http.Handler { return m.m.HTTPHandler(nil) }

// Obtain gets (or loads from the cache) the certificate of every domain now, as a client that
// takes ECDSA certificates (the platform's Java does) would at its first handshake, and returns
// when each of them expires. With TLS-ALPN-01 the listener must already serve TLSConfig: the CA
// connects to it to validate.
func (m *Manager) Obtain(ctx context.Context) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	for _, d := range m.domains {
		hello := &tls.ClientHelloInfo{
			ServerName:        d,
			CipherSuites:      []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256},
			SignatureSchemes:  []tls.SignatureScheme{tls.ECDSAWithP256AndSHA256, tls.PSSWithSHA256},
			SupportedCurves:   []tls.CurveID{tls.CurveP256},
			SupportedVersions: []uint16{tls.VersionTLS13, tls.VersionTLS12},
		}
		type got struct {
			cert *tls.Certificate
			err  error
		}
		ch := make(chan got, 1)
		go func() { // autocert bounds the exchange with the CA itself; ctx ends the wait for it
			c, err := m.m.GetCertificate(hello)
			ch <- got{c, err}
		}()
		var cert *tls.Certificate
		select {
		case g := <-ch:
			if g.err != nil {
				return out, fmt.Errorf("%s: %w", d, g.err)
			}
			cert = g.cert
		case <-ctx.Done():
			return out, ctx.Err()
		}
		if cert.Leaf != nil {
			out[d] = cert.Leaf.NotAfter
		} else if len(cert.Certificate) > 0 {
			if leaf, err := x509.ParseCertificate(cert.Certificate[0]); err == nil {
				out[d] = leaf.NotAfter
			}
		}
	}
	return out, nil
}
