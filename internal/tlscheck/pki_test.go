package tlscheck

import (
	"bufio"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// testPKI is a root, an intermediate, and leaves for 127.0.0.1: chained, self-signed, expired.
type testPKI struct {
	dir                                  string
	root, inter                          *x509.Certificate
	rootKey, interKey, leafKey           *rsa.PrivateKey
	rootPEM, interPEM, leafPEM, chainPEM string // files
	selfPEM, expiredPEM, keyPEM          string
}

var (
	pkiOnce sync.Once
	pki     *testPKI
	pkiErr  error
)

func getPKI(t *testing.T) *testPKI {
	pkiOnce.Do(func() { pki, pkiErr = makePKI() })
	if pkiErr != nil {
		t.Fatal(pkiErr)
	}
	return pki
}

func makePKI() (*testPKI, error) {
	dir, err := os.MkdirTemp("", "tlscheck-pki")
	if err != nil {
		return nil, err
	}
	p := &testPKI{dir: dir}
	for _, k := range []**rsa.PrivateKey{&p.rootKey, &p.interKey, &p.leafKey} {
		if *k, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			return nil, err
		}
	}
	now := time.Now()
	mk := func(tmpl, parent *x509.Certificate, pub *rsa.PublicKey, signer *rsa.PrivateKey) (*x509.Certificate, []byte) {
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
		if err != nil {
			panic(err)
		}
		c, _ := x509.ParseCertificate(der)
		return c, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	}
	ca := func(cn string, serial int64) *x509.Certificate {
		return &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn}, NotBefore: now.Add(-30 * 24 * time.Hour),
			NotAfter: now.Add(400 * 24 * time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	}
	leaf := func(serial int64, notAfter time.Time) *x509.Certificate {
		return &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "127.0.0.1"}, NotBefore: now.Add(-48 * time.Hour),
			NotAfter: notAfter, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
			KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	}
	var rootPEM, interPEM, leafPEM, selfPEM, expiredPEM []byte
	p.root, rootPEM = mk(ca("thingsim test root", 1), ca("thingsim test root", 1), &p.rootKey.PublicKey, p.rootKey)
	p.inter, interPEM = mk(ca("thingsim test intermediate", 2), p.root, &p.interKey.PublicKey, p.rootKey)
	_, leafPEM = mk(leaf(3, now.Add(200*24*time.Hour)), p.inter, &p.leafKey.PublicKey, p.interKey)
	self := leaf(4, now.Add(200*24*time.Hour))
	_, selfPEM = mk(self, self, &p.leafKey.PublicKey, p.leafKey)
	_, expiredPEM = mk(leaf(5, now.Add(-time.Hour)), p.inter, &p.leafKey.PublicKey, p.interKey)
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(p.leafKey)})
	write := func(name string, data ...[]byte) string {
		path := filepath.Join(dir, name)
		os.WriteFile(path, []byte(strings.Join(func() []string {
			var s []string
			for _, d := range data {
				s = append(s, string(d))
			}
			return s
		}(), "")), 0o600)
		return path
	}
	p.rootPEM = write("root.pem", rootPEM)
	p.interPEM = write("inter.pem", interPEM)
	p.leafPEM = write("leaf.pem", leafPEM)
	p.chainPEM = write("chain.pem", leafPEM, interPEM)
	p.selfPEM = write("self.pem", selfPEM)
	p.expiredPEM = write("expired.pem", expiredPEM, interPEM)
	p.keyPEM = write("key.pem", keyPEM)
	return p, nil
}

// sServer runs openssl s_server on a free port of 127.0.0.1 with the given arguments and returns
// its address once it accepts connections.
func sServer(t *testing.T, cert string, args ...string) string {
	t.Helper()
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl is missing: .ci/run installs it (Debian openssl)")
	}
	p := getPKI(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	all := append([]string{"s_server", "-accept", "127.0.0.1:" + strconv.Itoa(port), "-cert", cert, "-key", p.keyPEM, "-quiet", "-naccept", "1000"}, args...)
	cmd := exec.Command(openssl, all...)
	stderr, _ := cmd.StderrPipe()
	cmd.Stdin = strings.NewReader("")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var errOut strings.Builder
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			mu.Lock()
			errOut.WriteString(sc.Text() + "\n")
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	addr := "127.0.0.1:" + strconv.Itoa(port)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return addr
		}
		if time.Now().After(deadline) {
			mu.Lock()
			defer mu.Unlock()
			t.Fatalf("openssl s_server %v did not accept within 10s:\n%s", args, errOut.String())
		}
	}
}

// dhParams writes the 1024-bit DH group of RFC 5114 (section 2.1) with openssl, at once (a safe
// prime of its own would take a while), and returns its file.
func dhParams(t *testing.T) string {
	t.Helper()
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl is missing: .ci/run installs it (Debian openssl)")
	}
	path := filepath.Join(t.TempDir(), "dh.pem")
	if out, err := exec.Command(openssl, "genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt", "dh_rfc5114:1", "-out", path).CombinedOutput(); err != nil {
		t.Fatalf("openssl genpkey: %v\n%s", err, out)
	}
	return path
}
