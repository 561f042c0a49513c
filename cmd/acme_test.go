package cmd

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/thingsim/thingsim/internal/localca"
	"github.com/thingsim/thingsim/internal/pebbletest"
	"github.com/thingsim/thingsim/sender"
)

// TestReceiveACME: the walk-through of docs/receivers.md on loopback. receive --acme gets its
// certificate from Pebble on start (validated by TLS-ALPN-01 on its own port) and says so;
// check-tls, trusting Pebble's root and connecting before DNS points at the domain, accepts it; a
// request signed as the platform signs is relayed to the app and captured, a forged one is not
// relayed.
func TestReceiveACME(t *testing.T) {
	const domain = "things.thingsim.test"
	apiCA, err := localca.New("pebble api")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	caFile := filepath.Join(dir, "api-ca.pem")
	os.WriteFile(caFile, apiCA.CertPEM(), 0o600)
	secret := writeFile(t, dir, "secret", "Kp7#ThingsTestSecret:2024/abcXYZ!")
	port := pebbletest.FreePort(t)
	directory, mgmt := pebbletest.Start(t, apiCA, port)
	var appGot []string
	var appMu sync.Mutex
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		appMu.Lock()
		appGot = append(appGot, string(b))
		appMu.Unlock()
	}))
	defer app.Close()
	capture := filepath.Join(dir, "real.jsonl")

	buf := newLockedBuffer()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		Run(ctx, &IOStreams{In: strings.NewReader(""), Out: buf, ErrOut: buf, ColorMode: "never"}, []string{"receive",
			"--listen", "127.0.0.1:" + strconv.Itoa(port), "--secret-file", secret, "--acme", domain, "--acme-directory", directory,
			"--acme-ca-file", caFile, "--acme-cache", filepath.Join(dir, "acme"), "--acme-email", "ops@example.com",
			"--forward", app.URL + "/things", "--capture", capture})
		close(done)
	}()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(2 * time.Minute)
	for !strings.Contains(buf.String(), "certificate for "+domain+" ready") {
		if strings.Contains(buf.String(), "error:") || time.Now().After(deadline) {
			t.Fatalf("no certificate:\n%s\n%s", buf.String(), pebbletest.Logs)
		}
		time.Sleep(20 * time.Millisecond)
	}

	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: apiCA.Pool()}}}
	resp, err := client.Get("https://" + mgmt + "/roots/0")
	if err != nil {
		t.Fatal(err)
	}
	root, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	store := writeFile(t, dir, "pebble-root.pem", string(root))
	var out bytes.Buffer
	code := Run(t.Context(), &IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &out, ColorMode: "never"},
		[]string{"check-tls", "https://" + domain + "/things", "--connect", "127.0.0.1:" + strconv.Itoa(port), "--truststore", store})
	if code != 0 || !strings.Contains(out.String(), "the platform would accept https://"+domain+"/things") {
		t.Errorf("check-tls: exit %d\n%s", code, &out)
	}

	// The platform's request, to the domain, which the client dials at 127.0.0.1.
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(root)
	platform := &http.Client{Transport: &http.Transport{
		TLSClientConfig: &tls.Config{ServerName: domain, RootCAs: roots},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, "127.0.0.1:"+strconv.Itoa(port))
		}}}
	post := func(token string) int {
		req, _ := http.NewRequest("POST", "https://"+domain+"/things", strings.NewReader(platformBody))
		req.Header["Things-Plug-UUID"] = []string{"fbc063cb-4dd4-41b3-917a-e2d1ea907f75"}
		req.Header["Things-Message-Token"] = []string{token}
		req.Header.Set("Content-Type", "application/json")
		resp, err := platform.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := post(sender.Sign([]byte(platformBody), sender.NewSecret("Kp7#ThingsTestSecret:2024/abcXYZ!"))); got != 200 {
		t.Errorf("a signed request: %d", got)
	}
	if got := post(strings.Repeat("0", 64)); got != 401 {
		t.Errorf("a forged request: %d", got)
	}
	appMu.Lock()
	if len(appGot) != 1 || appGot[0] != platformBody {
		t.Errorf("the app got %q", appGot)
	}
	appMu.Unlock()
	if b, _ := os.ReadFile(capture); bytes.Count(b, []byte("\n")) != 2 || !bytes.Contains(b, []byte(`"forward":{"url":"`+app.URL+`/things","status":200`)) {
		t.Errorf("capture:\n%s", b)
	}
}

// platformBody is the platform documentation's example pack.
const platformBody = `[{"bn":"urn:dev:DEVEUI:0000000000000000:","bt":1.58565075E9},{"n":"temperature","v":21.22,"u":"Celsius"}]`
