package tlscheck

import (
	"bytes"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"flag"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

var capture = flag.Bool("capture", false, "capture openssl's answers into testdata (needs openssl)")

// TestClientHelloParsesInGo hands the probe's ClientHello to Go's TLS server, which must read the
// suites, server name, groups and signature algorithms offered.
func TestClientHelloParsesInGo(t *testing.T) {
	for _, tc := range []struct {
		spec    helloSpec
		suites  []uint16
		version uint16
	}{
		{helloSpec{version: VersionTLS12, suites: []uint16{0x009E}, serverName: "things.example.com"}, []uint16{0x009E, 0x00FF}, VersionTLS12},
		{helloSpec{version: VersionTLS12, suites: []uint16{0x1301}, tls13: true, keyShare: make([]byte, 32), serverName: "10.0.0.1"}, []uint16{0x1301, 0x00FF}, VersionTLS13},
	} {
		client, server := net.Pipe()
		seen := make(chan *tls.ClientHelloInfo, 1)
		go func() {
			c := tls.Server(server, &tls.Config{GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
				seen <- h
				return nil, errors.New("stop")
			}})
			c.Handshake()
			server.Close()
		}()
		go io.Copy(io.Discard, client)
		client.Write(clientHello(tc.spec))
		var h *tls.ClientHelloInfo
		select {
		case h = <-seen:
		case <-time.After(5 * time.Second):
			t.Fatal("Go's server did not read the hello")
		}
		client.Close()
		if !equalU16(h.CipherSuites, tc.suites) {
			t.Errorf("suites %x, want %x", h.CipherSuites, tc.suites)
		}
		wantName := tc.spec.serverName
		if net.ParseIP(wantName) != nil {
			wantName = "" // no SNI for an address
		}
		if h.ServerName != wantName {
			t.Errorf("server name %q, want %q", h.ServerName, wantName)
		}
		if len(h.SupportedCurves) != len(javaGroups) || len(h.SignatureSchemes) != len(javaSignatureAlgorithms) || !bytes.Equal(h.SupportedPoints, []byte{0}) {
			t.Errorf("groups %v, schemes %v, points %v", h.SupportedCurves, h.SignatureSchemes, h.SupportedPoints)
		}
		if max := h.SupportedVersions[0]; max != tc.version {
			t.Errorf("versions %x", h.SupportedVersions)
		}
	}
}

func equalU16(a, b []uint16) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// The captured answers of openssl s_server 3.0 to the probe's hellos: a DHE ServerHello with its
// Certificate and ServerKeyExchange, a TLS 1.3 ServerHello, and an alert.
var captures = []struct {
	file, args, hello string
}{
	{"dhe-answer.hex", "-tls1_2 -cipher DHE-RSA-AES128-GCM-SHA256", "dhe"},
	{"tls13-answer.hex", "-tls1_3", "tls13"},
	{"alert-answer.hex", "-tls1_2 -cipher DHE-RSA-AES128-GCM-SHA256", "ecdhe"},
}

func readCapture(t *testing.T, name string) []byte {
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatalf("%v (go test -run TestParseCaptured -capture writes it)", err)
	}
	out, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestParseCaptured(t *testing.T) {
	if *capture {
		p := getPKI(t)
		for _, c := range captures {
			addr := sServer(t, p.leafPEM, append([]string{"-cert_chain", p.interPEM}, strings.Fields(c.args)...)...)
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			var h helloSpec
			switch c.hello {
			case "dhe":
				h = helloSpec{version: VersionTLS12, suites: []uint16{0x009E}}
			case "ecdhe":
				h = helloSpec{version: VersionTLS12, suites: []uint16{0xC02F}}
			case "tls13":
				h = helloSpec{version: VersionTLS12, suites: []uint16{0x1302}, tls13: true, keyShare: bytes.Repeat([]byte{9}, 32)}
			}
			conn.Write(clientHello(h))
			conn.SetReadDeadline(time.Now().Add(2 * time.Second))
			var got bytes.Buffer
			io.Copy(&got, io.LimitReader(conn, 16<<10))
			conn.Close()
			os.WriteFile("testdata/"+c.file, []byte(hex.EncodeToString(got.Bytes())+"\n"), 0o644)
		}
	}
	a, err := readAnswer(bytes.NewReader(readCapture(t, "dhe-answer.hex")), true)
	if err != nil || !a.Accepted || a.Version != VersionTLS12 || a.Suite != 0x009E || len(a.Certificates) != 2 || a.DHBits != 2048 {
		t.Errorf("DHE answer: %v %+v", err, a)
	}
	a, err = readAnswer(bytes.NewReader(readCapture(t, "tls13-answer.hex")), false)
	if err != nil || !a.Accepted || a.Version != VersionTLS13 || a.Suite != 0x1302 {
		t.Errorf("TLS 1.3 answer: %v %+v", err, a)
	}
	a, err = readAnswer(bytes.NewReader(readCapture(t, "alert-answer.hex")), false)
	if err != nil || a.Accepted || a.Alert != 40 {
		t.Errorf("alert: %v %+v", err, a)
	}
	if _, err := readAnswer(strings.NewReader("HTTP/1.1 400 Bad Request\r\n\r\n"), false); !errors.Is(err, errNotTLS) {
		t.Errorf("plain HTTP: %v", err)
	}
}

// FuzzReadAnswer: no answer makes the parser panic or claim a suite it cannot have read.
func FuzzReadAnswer(f *testing.F) {
	for _, c := range captures {
		if b, err := os.ReadFile("testdata/" + c.file); err == nil {
			raw, _ := hex.DecodeString(strings.TrimSpace(string(b)))
			f.Add(raw)
		}
	}
	f.Add([]byte{22, 3, 3, 0, 4, 2, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		a, _ := readAnswer(bytes.NewReader(data), true)
		if a.Accepted && a.Version == 0 && a.Suite == 0 && len(data) < 40 {
			t.Fatalf("accepted from %d bytes", len(data))
		}
	})
}
