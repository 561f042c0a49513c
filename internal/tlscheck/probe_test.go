package tlscheck

import (
	"context"
	"net"
	"testing"
	"time"
)

func testProber(addr string) *prober {
	d := &net.Dialer{}
	return &prober{addr: addr, serverName: "localhost", timeout: 5 * time.Second, dial: d.DialContext}
}

func TestProbeOpenSSLDHE(t *testing.T) {
	p := getPKI(t)
	addr := sServer(t, p.leafPEM, "-cert_chain", p.interPEM, "-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256")
	pr := testProber(addr)
	var accepted []string
	dh := 0
	for _, s := range PlatformSuites {
		a, err := pr.suite12(context.Background(), s.Code)
		if err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
		if a.Accepted {
			accepted = append(accepted, s.CodeString())
			dh = a.DHBits
			if len(a.Certificates) != 2 {
				t.Errorf("chain of %d certificates", len(a.Certificates))
			}
		}
	}
	if len(accepted) != 1 || accepted[0] != "0x009E" || dh < 2048 {
		t.Fatalf("accepted %v, DH %d bits", accepted, dh)
	}
}
