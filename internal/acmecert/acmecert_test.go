package acmecert

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/thingsim/thingsim/internal/localca"
	"github.com/thingsim/thingsim/internal/pebbletest"
	"github.com/thingsim/thingsim/internal/tlscheck"
)

// domain is the test's: Pebble's validation resolves it to 127.0.0.1 through loopbackDNS.
const domain = "things.thingsim.test"

// TestPebble: a certificate for a domain from Pebble, validated by TLS-ALPN-01 on the port the
// receiver serves; the served chain verifies against Pebble's root; the cache, of files of mode
// 0600, gives the same certificate to a restarted receiver; check-tls, trusting Pebble's root,
// accepts the endpoint.
func TestPebble(t *testing.T) {
	apiCA, err := localca.New("pebble api")
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "api-ca.pem")
	os.WriteFile(caFile, apiCA.CertPEM(), 0o600)
	cache := t.TempDir()

	// The receiver's port first: the CA connects to it to validate.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	directory, mgmt := pebbletest.Start(t, apiCA, port)

	serve := func(ln net.Listener) *Manager {
		m, err := New(Config{Domains: []string{domain}, Directory: directory, CAFile: caFile, CacheDir: cache, Email: "ops@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}), TLSConfig: m.TLSConfig(),
			ErrorLog: log.New(io.Discard, "", 0)} // check-tls's probes of suites it refuses are expected
		go srv.ServeTLS(ln, "", "")
		t.Cleanup(func() { srv.Close() })
		return m
	}
	m := serve(ln)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	expiry, err := m.Obtain(ctx)
	if err != nil {
		t.Fatalf("obtain: %v\n%s", err, pebbletest.Logs)
	}
	if until := time.Until(expiry[domain]); until < 24*time.Hour {
		t.Errorf("the certificate expires in %v", until)
	}

	// Pebble's root, from its management API.
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: apiCA.Pool()}}}
	resp, err := client.Get("https://" + mgmt + "/roots/0")
	if err != nil {
		t.Fatal(err)
	}
	rootPEM, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(rootPEM) {
		t.Fatalf("pebble's root: %s", rootPEM)
	}
	serial := func() string {
		c, err := tls.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port), &tls.Config{ServerName: domain, RootCAs: roots})
		if err != nil {
			t.Fatalf("the served chain does not verify against Pebble's root: %v", err)
		}
		defer c.Close()
		return c.ConnectionState().PeerCertificates[0].SerialNumber.String()
	}
	first := serial()

	entries, _ := os.ReadDir(cache)
	if len(entries) == 0 {
		t.Fatal("nothing cached")
	}
	for _, e := range entries {
		if info, _ := e.Info(); !e.IsDir() && info.Mode().Perm() != 0o600 {
			t.Errorf("cache file %s has mode %v", e.Name(), info.Mode().Perm())
		}
	}

	// check-tls with Pebble's root as the trust store accepts the endpoint.
	store := filepath.Join(t.TempDir(), "pebble-root.pem")
	os.WriteFile(store, rootPEM, 0o600)
	ts, err := tlscheck.LoadTrustStore(store, "")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := tlscheck.Check(ctx, tlscheck.Config{URL: "https://" + domain + "/things", Connect: "127.0.0.1:" + strconv.Itoa(port), Java: ts, Timeout: 10 * time.Second})
	if err != nil || !rep.Accepted() {
		t.Errorf("check-tls: %v %+v", err, rep.Reasons)
	}

	// A restart: a new manager on the same cache serves the same certificate, asking nothing new.
	ln.Close()
	ln2, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatal(err)
	}
	m2 := serve(ln2)
	if _, err := m2.Obtain(ctx); err != nil {
		t.Fatal(err)
	}
	if again := serial(); again != first {
		t.Errorf("after a restart: serial %s, before %s: the cache was not used", again, first)
	}
}
