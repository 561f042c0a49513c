// Package pebbletest runs Pebble, Let's Encrypt's ACME test server, for tests: with its API on a
// certificate of a local CA and its validation resolving every name to 127.0.0.1 through a DNS
// server of its own, so that a test's TLS-ALPN-01 challenges are validated for real on loopback.
package pebbletest

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"encoding/json"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/thingsim/thingsim/internal/localca"
)

// Binary finds Pebble, Let's Encrypt's ACME test server, which .ci/run installs with go
// install; without it the test skips, saying so (in CI, where it is installed, it fails).
func Binary(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("pebble"); err == nil {
		return p
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		p := filepath.Join(string(out[:len(out)-1]), "bin", "pebble")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	msg := "pebble is missing: .ci/run installs it (go install github.com/letsencrypt/pebble/v2/cmd/pebble@v2.10.3)"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

func FreePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Start runs Pebble with its API on a certificate of apiCA, validating TLS-ALPN-01 challenges
// on tlsPort for real, and returns its directory URL and management address once it answers.
func Start(t *testing.T, apiCA *localca.CA, tlsPort int) (directory, mgmt string) {
	t.Helper()
	bin := Binary(t)
	dir := t.TempDir()
	cert, err := apiCA.Issue("localhost", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	key, _ := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	os.WriteFile(filepath.Join(dir, "cert.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o600)
	os.WriteFile(filepath.Join(dir, "key.pem"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key}), 0o600)
	api, man := "127.0.0.1:"+strconv.Itoa(FreePort(t)), "127.0.0.1:"+strconv.Itoa(FreePort(t))
	cfg := map[string]any{"pebble": map[string]any{
		"listenAddress": api, "managementListenAddress": man,
		"certificate": filepath.Join(dir, "cert.pem"), "privateKey": filepath.Join(dir, "key.pem"),
		"httpPort": FreePort(t), "tlsPort": tlsPort, "ocspResponderURL": "", "externalAccountBindingRequired": false,
		"keyAlgorithm": "ecdsa", "profiles": map[string]any{"default": map[string]any{"description": "default", "validityPeriod": 7776000}},
	}}
	b, _ := json.Marshal(cfg)
	os.WriteFile(filepath.Join(dir, "pebble.json"), b, 0o600)
	cmd := exec.Command(bin, "-config", filepath.Join(dir, "pebble.json"), "-dnsserver", LoopbackDNS(t))
	cmd.Env = append(os.Environ(), "PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0")
	logs := &SyncLog{}
	Logs = logs
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Skipf("pebble cannot start: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: apiCA.Pool()}}, Timeout: 5 * time.Second}
	directory = "https://" + api + "/dir"
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := client.Get(directory)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return directory, man
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("pebble did not answer within 30 s: %v\n%s", err, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// LoopbackDNS answers every A query with 127.0.0.1 and every other query with no answer, over UDP
// and TCP (Pebble asks over TCP) on one port of 127.0.0.1: Pebble's validation resolves the test's
// domain with it. It returns the address.
func LoopbackDNS(t *testing.T) string {
	t.Helper()
	var tl net.Listener
	var pc net.PacketConn
	for range 10 { // a TCP port whose UDP twin is free too
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		if p, err := net.ListenPacket("udp", l.Addr().String()); err == nil {
			tl, pc = l, p
			break
		}
		l.Close()
	}
	if tl == nil {
		t.Fatal("no port free for both UDP and TCP")
	}
	t.Cleanup(func() { pc.Close(); tl.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if resp := DNSAnswer(buf[:n]); resp != nil {
				pc.WriteTo(resp, from)
			}
		}
	}()
	go func() {
		for {
			c, err := tl.Accept()
			if err != nil {
				return
			}
			go func() { // each message after its two-byte length (RFC 1035 4.2.2)
				defer c.Close()
				for {
					var size [2]byte
					if _, err := io.ReadFull(c, size[:]); err != nil {
						return
					}
					q := make([]byte, binary.BigEndian.Uint16(size[:]))
					if _, err := io.ReadFull(c, q); err != nil {
						return
					}
					resp := DNSAnswer(q)
					if resp == nil {
						return
					}
					c.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(resp))), resp...))
				}
			}()
		}
	}()
	return tl.Addr().String()
}

// DNSAnswer builds the answer to one query (RFC 1035 4.1): its header and question, and for an
// A question one record, 127.0.0.1; nil for what is not a query of one question.
func DNSAnswer(q []byte) []byte {
	if len(q) < 12 || binary.BigEndian.Uint16(q[4:6]) != 1 {
		return nil
	}
	end := 12
	for end < len(q) && q[end] != 0 { // the name's labels
		end += int(q[end]) + 1
	}
	end += 5 // the zero label, type and class
	if end > len(q) {
		return nil
	}
	qtype := binary.BigEndian.Uint16(q[end-4 : end-2])
	resp := append([]byte(nil), q[:end]...)
	binary.BigEndian.PutUint16(resp[2:4], 0x8180) // a response, recursion desired and available, no error
	binary.BigEndian.PutUint16(resp[8:10], 0)     // no authority records
	binary.BigEndian.PutUint16(resp[10:12], 0)    // no additional records (an EDNS option is dropped)
	if qtype != 1 {
		binary.BigEndian.PutUint16(resp[6:8], 0)
		return resp
	}
	binary.BigEndian.PutUint16(resp[6:8], 1)
	return append(resp,
		0xc0, 0x0c, // the question's name
		0, 1, 0, 1, // A, IN
		0, 0, 0, 60, // TTL
		0, 4, 127, 0, 0, 1)
}

// Logs is what the Pebble started last wrote, for the message of a failure.
var Logs *SyncLog

// SyncLog collects a process's output.
type SyncLog struct {
	mu  sync.Mutex
	buf []byte
}

func (l *SyncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	return len(p), nil
}

func (l *SyncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.buf)
}
