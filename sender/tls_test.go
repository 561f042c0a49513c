package sender

import (
	"context"
	"crypto/tls"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestTLSPolicy: servers limited to one protocol version or suite, accepted or refused as the
// platform's policy says (TLS 1.2 or newer; for TLS 1.2 the listed suites).
func TestTLSPolicy(t *testing.T) {
	for _, tc := range []struct {
		name     string
		min, max uint16
		suite    uint16
		ok       bool
	}{
		{"TLS 1.3", tls.VersionTLS13, tls.VersionTLS13, 0, true},
		{"TLS 1.2 ECDHE-RSA-AES128-GCM-SHA256 (listed)", tls.VersionTLS12, tls.VersionTLS12, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, true},
		{"TLS 1.2 ECDHE-RSA-CHACHA20 (listed)", tls.VersionTLS12, tls.VersionTLS12, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305, true},
		{"TLS 1.2 ECDHE-RSA-AES128-CBC-SHA256 (listed)", tls.VersionTLS12, tls.VersionTLS12, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256, true},
		{"TLS 1.2 ECDHE-RSA-AES128-CBC-SHA (not listed)", tls.VersionTLS12, tls.VersionTLS12, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, false},
		{"TLS 1.2 RSA-AES128-GCM-SHA256 (not listed)", tls.VersionTLS12, tls.VersionTLS12, tls.TLS_RSA_WITH_AES_128_GCM_SHA256, false},
		{"TLS 1.1", tls.VersionTLS10, tls.VersionTLS11, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			forEngines(t, func(t *testing.T, engine func(HTTPOptions) Transport) {
				srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
				srv.TLS = &tls.Config{MinVersion: tc.min, MaxVersion: tc.max}
				if tc.suite != 0 {
					srv.TLS.CipherSuites = []uint16{tc.suite}
				}
				srv.Config.ErrorLog = log.New(io.Discard, "", 0)
				srv.StartTLS()
				defer srv.Close()
				e := &endpoint{Server: srv}
				s, _ := testSender(t, e, validDestination(), Config{Attempts: 1, Transport: engine(HTTPOptions{RootCAs: e.pool()})})
				res := s.Deliver(context.Background(), 0, []byte(docBody))
				if got := res.Outcome == Delivered; got != tc.ok {
					t.Fatalf("delivered %v, want %v: %v", got, tc.ok, res.Attempts[0].Err)
				}
				if !tc.ok && res.Attempts[0].Kind != KindTLS {
					t.Fatalf("refused as %s, not tls: %v", res.Attempts[0].Kind, res.Attempts[0].Err)
				}
			})
		})
	}
}
