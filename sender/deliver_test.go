package sender

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/thingsim/thingsim/internal/localca"
	"github.com/thingsim/thingsim/senmlgen"
)

const docBody = `[{"bn":"urn:dev:DEVEUI:0000000000000000:","bt":1.58565075E9},{"n":"temperature","v":21.22,"u":"Celsius"}]`

// endpoint is an HTTPS test server answering a script of status codes, one per request in order,
// the last repeating. A status of hang holds the request until the client gives up.
type endpoint struct {
	*httptest.Server
	mu       sync.Mutex
	script   []int
	requests []seen
}

const hang = -1

type seen struct {
	method, path, token, plug, contentType, test string
	body                                         []byte
}

func newEndpoint(t *testing.T, script ...int) *endpoint {
	e := &endpoint{script: script}
	e.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		e.mu.Lock()
		n := len(e.requests)
		e.requests = append(e.requests, seen{r.Method, r.URL.RequestURI(), r.Header.Get(TokenHeader), r.Header.Get(PlugHeader),
			r.Header.Get("Content-Type"), r.Header.Get("Test-header"), body})
		status := e.script[min(n, len(e.script)-1)]
		e.mu.Unlock()
		switch status {
		case hang:
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
			return
		case http.StatusFound:
			w.Header().Set("Location", "/elsewhere")
		}
		w.WriteHeader(status)
		io.WriteString(w, "answer "+strconv.Itoa(status))
	}))
	e.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are expected in some tests
	e.StartTLS()
	t.Cleanup(e.Close)
	return e
}

func (e *endpoint) seen() []seen {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]seen(nil), e.requests...)
}

func (e *endpoint) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(e.Certificate())
	return p
}

// engines are the transports every delivery test runs against: the behaviour must not depend on
// which one sends.
var engines = map[string]func(HTTPOptions) Transport{
	"net/http": func(o HTTPOptions) Transport { return NewHTTPTransport(o) },
	"fasthttp": func(o HTTPOptions) Transport { return NewFastTransport(o) },
}

// forEngines runs a test once per engine.
func forEngines(t *testing.T, test func(t *testing.T, engine func(HTTPOptions) Transport)) {
	for name, engine := range engines {
		t.Run(name, func(t *testing.T) { test(t, engine) })
	}
}

// testSender delivers to e's URL and records the waits between attempts instead of sleeping.
func testSender(t *testing.T, e *endpoint, d Destination, cfg Config) (*Sender, *[]time.Duration) {
	t.Helper()
	if e != nil {
		d.URL = e.URL + "/thingsdata"
	}
	if _, err := d.Check(true); err != nil {
		t.Fatal(err)
	}
	var waits []time.Duration
	cfg.Destination = &d
	if cfg.Transport == nil && e != nil {
		cfg.Transport = NewHTTPTransport(HTTPOptions{RootCAs: e.pool()})
	}
	if cfg.Transport == nil {
		cfg.Transport = NewHTTPTransport(HTTPOptions{})
	}
	cfg.Sleep = func(ctx context.Context, w time.Duration) error {
		waits = append(waits, w)
		return ctx.Err()
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s, &waits
}

func TestRetryThenDeliver(t *testing.T) {
	forEngines(t, func(t *testing.T, engine func(HTTPOptions) Transport) {
		e := newEndpoint(t, 503, 200)
		s, waits := testSender(t, e, validDestination(), Config{Transport: engine(HTTPOptions{RootCAs: e.pool()})})
		res := s.Deliver(context.Background(), 0, []byte(docBody))
		if res.Outcome != Delivered || len(res.Attempts) != 2 || res.Status() != 200 {
			t.Fatalf("outcome %s after %d attempts, status %d", res.Outcome, len(res.Attempts), res.Status())
		}
		if a := res.Attempts[0]; a.Status() != 503 || a.Kind != KindStatus || string(a.Response.Body) != "answer 503" {
			t.Errorf("first attempt: %+v", a)
		}
		if len(*waits) != 1 || (*waits)[0] != time.Second {
			t.Errorf("waits %v, want [1s]", *waits)
		}
		got := e.seen()
		want := Sign([]byte(docBody), NewSecret(goodSecret))
		for i, r := range got {
			if string(r.body) != docBody || r.token != want {
				t.Errorf("attempt %d sent other bytes or token: %s %s", i+1, r.body, r.token)
			}
			if r.method != "POST" || r.path != "/thingsdata" || r.plug != validDestination().PlugUUID ||
				r.contentType != "application/json" || r.test != "Hello world" {
				t.Errorf("attempt %d: %+v", i+1, r)
			}
		}

	})
}

func TestDiscardAfterThree(t *testing.T) {
	forEngines(t, func(t *testing.T, engine func(HTTPOptions) Transport) {
		e := newEndpoint(t, 500)
		s, waits := testSender(t, e, validDestination(), Config{Transport: engine(HTTPOptions{RootCAs: e.pool()})})
		res := s.Deliver(context.Background(), 7, []byte(docBody))
		if res.Outcome != Discarded || len(res.Attempts) != 3 || len(e.seen()) != 3 {
			t.Fatalf("outcome %s after %d attempts, %d requests", res.Outcome, len(res.Attempts), len(e.seen()))
		}
		if len(*waits) != 2 || (*waits)[0] != time.Second || (*waits)[1] != 2*time.Second {
			t.Errorf("waits %v, want [1s 2s]", *waits)
		}
		dl := s.DeadLetter(res)
		if dl.Outcome != string(Discarded) || len(dl.Attempts) != 3 || dl.Attempts[2].Status != 500 || *dl.Message != 7 {
			t.Errorf("dead letter: %+v", dl)
		}
		if b, _ := dl.Bytes(); string(b) != docBody {
			t.Errorf("dead letter body %q", b)
		}

	})
}

func TestAttemptsAndTimingFlags(t *testing.T) {
	e := newEndpoint(t, 500)
	s, waits := testSender(t, e, validDestination(), Config{Attempts: 2, Backoff: []time.Duration{10 * time.Millisecond}})
	res := s.Deliver(context.Background(), 0, []byte(docBody))
	if res.Outcome != Discarded || len(res.Attempts) != 2 || len(*waits) != 1 || (*waits)[0] != 10*time.Millisecond {
		t.Fatalf("%s, %d attempts, waits %v", res.Outcome, len(res.Attempts), *waits)
	}
	for _, bad := range []Config{{Attempts: 4}, {Attempts: -1}, {Timeouts: []time.Duration{0}}, {Backoff: []time.Duration{-1}}} {
		d := validDestination()
		bad.Destination = &d
		if _, err := New(bad); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}

func TestRedirectNotFollowed(t *testing.T) {
	forEngines(t, func(t *testing.T, engine func(HTTPOptions) Transport) {
		e := newEndpoint(t, http.StatusFound)
		s, _ := testSender(t, e, validDestination(), Config{Transport: engine(HTTPOptions{RootCAs: e.pool()}), Attempts: 1})
		res := s.Deliver(context.Background(), 0, []byte(docBody))
		if res.Outcome != Discarded || res.Status() != 302 {
			t.Fatalf("%s %d", res.Outcome, res.Status())
		}
		if err := res.Attempts[0].Err; err == nil || !strings.Contains(err.Error(), `redirect to "/elsewhere"`) || !strings.Contains(err.Error(), "does not follow redirects") {
			t.Errorf("error %v", err)
		}
		for _, r := range e.seen() {
			if r.path != "/thingsdata" {
				t.Errorf("followed the redirect to %s", r.path)
			}
		}

	})
}

func TestUnexpectedStatus(t *testing.T) {
	forEngines(t, func(t *testing.T, engine func(HTTPOptions) Transport) {
		e := newEndpoint(t, 202)
		s, _ := testSender(t, e, validDestination(), Config{Transport: engine(HTTPOptions{RootCAs: e.pool()})})
		res := s.Deliver(context.Background(), 0, []byte(docBody))
		if res.Outcome != UnexpectedStatus || len(res.Attempts) != 1 || res.Status() != 202 {
			t.Fatalf("%s after %d attempts, %d", res.Outcome, len(res.Attempts), res.Status())
		}
		d := validDestination()
		d.ExpectedStatus = 202
		s, _ = testSender(t, e, d, Config{Transport: engine(HTTPOptions{RootCAs: e.pool()})})
		if res := s.Deliver(context.Background(), 0, []byte(docBody)); res.Outcome != Delivered {
			t.Fatalf("expected 202: %s", res.Outcome)
		}

	})
}

// TestTimeoutThenDeliver: an attempt that gets no answer within its timeout is followed by one
// that delivers. The endpoint holds every request until one has been given up by its client, then
// answers every one: the first attempt, wherever its request lands, is held and times out, and
// its 2 s leave room for a TLS handshake on a busy machine. A held request is never answered (its
// connection is aborted), so that it cannot pass for a delivery.
func TestTimeoutThenDeliver(t *testing.T) {
	forEngines(t, func(t *testing.T, engine func(HTTPOptions) Transport) {
		e := &endpoint{script: []int{200}}
		released := make(chan struct{})
		var once sync.Once
		e.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body) // then the server sees the client go
			select {
			case <-r.Context().Done(): // given up: from now on requests are answered
				once.Do(func() { close(released) })
				panic(http.ErrAbortHandler)
			case <-released: // a request held when the first was given up is answered too
				w.WriteHeader(200)
			}
		}))
		e.Config.ErrorLog = log.New(io.Discard, "", 0)
		e.StartTLS()
		t.Cleanup(e.Close)
		s, _ := testSender(t, e, validDestination(), Config{Transport: engine(HTTPOptions{RootCAs: e.pool()}), Timeouts: []time.Duration{2 * time.Second, time.Minute}})
		res := s.Deliver(context.Background(), 0, []byte(docBody))
		if res.Outcome != Delivered || len(res.Attempts) != 2 {
			t.Fatalf("%s after %d attempts", res.Outcome, len(res.Attempts))
		}
		a := res.Attempts[0]
		if a.Kind != KindTimeout || a.Err == nil || !strings.Contains(a.Err.Error(), "no answer within 2s") {
			t.Errorf("first attempt: kind %s, %v", a.Kind, a.Err)
		}
	})
}

func TestSelfSignedRefused(t *testing.T) {
	forEngines(t, func(t *testing.T, engine func(HTTPOptions) Transport) {
		e := newEndpoint(t, 200)
		s, _ := testSender(t, e, validDestination(), Config{Attempts: 2, Transport: engine(HTTPOptions{})})
		res := s.Deliver(context.Background(), 0, []byte(docBody))
		if res.Outcome != Discarded || len(e.seen()) != 0 {
			t.Fatalf("%s, %d requests reached the server", res.Outcome, len(e.seen()))
		}
		if a := res.Attempts[0]; a.Kind != KindTLS || !strings.Contains(a.Err.Error(), "certificate") {
			t.Errorf("kind %s: %v", a.Kind, a.Err)
		}

	})
}

func TestCAFileTrustsStagingCA(t *testing.T) {
	forEngines(t, func(t *testing.T, engine func(HTTPOptions) Transport) {
		ca, err := localca.New("staging")
		if err != nil {
			t.Fatal(err)
		}
		e := &endpoint{script: []int{200}}
		e.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
		e.TLS, err = ca.ServerConfig()
		if err != nil {
			t.Fatal(err)
		}
		e.StartTLS()
		defer e.Close()
		path := filepath.Join(t.TempDir(), "ca.pem")
		os.WriteFile(path, ca.CertPEM(), 0o644)
		pool, err := LoadCAFile(path)
		if err != nil {
			t.Fatal(err)
		}
		s, _ := testSender(t, e, validDestination(), Config{Attempts: 1, Transport: engine(HTTPOptions{RootCAs: pool})})
		if res := s.Deliver(context.Background(), 0, []byte(docBody)); res.Outcome != Delivered {
			t.Fatalf("%s: %v", res.Outcome, res.Attempts[0].Err)
		}
		os.WriteFile(path, []byte("not a certificate"), 0o644)
		if _, err := LoadCAFile(path); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
			t.Errorf("bad CA file: %v", err)
		}

	})
}

func TestConnectionRefused(t *testing.T) {
	forEngines(t, func(t *testing.T, engine func(HTTPOptions) Transport) {
		l, _ := net.Listen("tcp", "127.0.0.1:0")
		addr := l.Addr().String()
		l.Close()
		d := validDestination()
		d.URL = "https://" + addr + "/x"
		s, _ := testSender(t, nil, d, Config{Attempts: 1})
		res := s.Deliver(context.Background(), 0, []byte(docBody))
		if res.Outcome != Discarded || res.Attempts[0].Kind != KindRefused {
			t.Fatalf("%s, kind %s: %v", res.Outcome, res.Attempts[0].Kind, res.Attempts[0].Err)
		}

	})
}

func TestInterruptedDuringBackoff(t *testing.T) {
	e := newEndpoint(t, 500)
	d := validDestination()
	d.URL = e.URL
	d.Check(true)
	ctx, cancel := context.WithCancel(context.Background())
	s, err := New(Config{Destination: &d, Transport: NewHTTPTransport(HTTPOptions{RootCAs: e.pool()}),
		OnAttempt: func(int, Attempt) { cancel() }})
	if err != nil {
		t.Fatal(err)
	}
	res := s.Deliver(ctx, 0, []byte(docBody))
	if res.Outcome != Interrupted || len(res.Attempts) != 1 {
		t.Fatalf("%s after %d attempts", res.Outcome, len(res.Attempts))
	}
}

func TestGETCarriesTheBody(t *testing.T) {
	forEngines(t, func(t *testing.T, engine func(HTTPOptions) Transport) {
		e := newEndpoint(t, 200)
		d := validDestination()
		d.Method = "GET"
		s, _ := testSender(t, e, d, Config{Transport: engine(HTTPOptions{RootCAs: e.pool()})})
		if res := s.Deliver(context.Background(), 0, []byte(docBody)); res.Outcome != Delivered {
			t.Fatal(res.Outcome)
		}
		if r := e.seen()[0]; r.method != "GET" || string(r.body) != docBody {
			t.Fatalf("%s with body %q", r.method, r.body)
		}

	})
}

func TestAuthHeaders(t *testing.T) {
	for _, tc := range []struct {
		auth       Auth
		name, want string
	}{
		{Auth{Method: AuthBasic, Username: "alice", Credential: NewSecret("s3cret")}, "Authorization", "Basic YWxpY2U6czNjcmV0"},
		{Auth{Method: AuthBearer, Credential: NewSecret("tok")}, "Authorization", "Bearer tok"},
		{Auth{Method: AuthAPIKey, Credential: NewSecret("k1")}, "X-API-Key", "k1"},
		{Auth{Method: AuthAPIKey, Credential: NewSecret("k1"), Header: "X-Key"}, "X-Key", "k1"},
	} {
		d := validDestination()
		d.Auth = tc.auth
		d.Check(false)
		tmpl, err := NewTemplate(&d, "")
		if err != nil {
			t.Fatal(err)
		}
		req := tmpl.New([]byte(docBody))
		if v := headerValue(req.Header, tc.name); v != tc.want {
			t.Errorf("%s: %s = %q, want %q", tc.auth.Method, tc.name, v, tc.want)
		}
		dump := string(tmpl.Dump(req))
		if strings.Contains(dump, "s3cret") || strings.Contains(dump, "YWxpY2U6") || strings.Contains(dump, ": tok") || strings.Contains(dump, "k1") {
			t.Errorf("%s: credential in the dry run:\n%s", tc.auth.Method, dump)
		}
		if !strings.Contains(dump, "[redacted]") {
			t.Errorf("%s: nothing redacted:\n%s", tc.auth.Method, dump)
		}
	}
}

func headerValue(hs []Header, name string) string {
	for _, h := range hs {
		if h.Name == name {
			return h.Value
		}
	}
	return ""
}

// TestWireSpelling reads the request as bytes off a TLS socket: header names must be spelled as
// the platform's template spells them, not in Go's canonical form.
func TestWireSpelling(t *testing.T) {
	forEngines(t, func(t *testing.T, engine func(HTTPOptions) Transport) {
		ca, _ := localca.New("wire")
		cfg, _ := ca.ServerConfig()
		l, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		head := make(chan string, 1)
		go func() {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
			br := bufio.NewReader(c)
			var b strings.Builder
			for {
				line, err := br.ReadString('\n')
				if err != nil {
					break
				}
				b.WriteString(line)
				if line == "\r\n" {
					break
				}
			}
			head <- b.String()
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
		}()
		d := validDestination()
		d.URL = "https://" + l.Addr().String() + "/thingsdata?x=1"
		d.Check(true)
		s, err := New(Config{Destination: &d, UserAgent: "thingsim/test", Transport: engine(HTTPOptions{RootCAs: ca.Pool()})})
		if err != nil {
			t.Fatal(err)
		}
		if res := s.Deliver(context.Background(), 0, []byte(docBody)); res.Outcome != Delivered {
			t.Fatalf("%s: %v", res.Outcome, res.Attempts[0].Err)
		}
		got := <-head
		for _, want := range []string{"POST /thingsdata?x=1 HTTP/1.1\r\n", "\r\nThings-Plug-UUID: fbc063cb-4dd4-41b3-917a-e2d1ea907f75\r\n",
			"\r\nThings-Message-Token: " + Sign([]byte(docBody), NewSecret(goodSecret)) + "\r\n", "\r\nContent-type: application/json\r\n",
			"\r\nTest-header: Hello world\r\n", "\r\nUser-Agent: thingsim/test\r\n", "\r\nContent-Length: 105\r\n"} {
			if !strings.Contains(got, want) {
				t.Errorf("request head lacks %q:\n%s", want, got)
			}
		}
		if strings.Count(got, "Content-Length") != 1 || strings.Count(got, "Host:") != 1 {
			t.Errorf("a header twice:\n%s", got)
		}
		if strings.HasSuffix(t.Name(), "fasthttp") {
			// fasthttp writes the headers in the template's order.
			var names []string
			for _, l := range strings.Split(strings.TrimSpace(got), "\r\n")[1:] {
				name, _, _ := strings.Cut(l, ":")
				names = append(names, name)
			}
			if want := "Host,Things-Plug-UUID,Things-Message-Token,Content-type,Test-header,User-Agent,Content-Length"; strings.Join(names, ",") != want {
				t.Errorf("header order %s, want %s", strings.Join(names, ","), want)
			}
		}
		if strings.Contains(got, "Accept-Encoding") {
			t.Errorf("Go's Accept-Encoding went out; the platform sends none:\n%s", got)
		}

	})
}

// TestThroughProxy: a CONNECT proxy in between, as HTTPS_PROXY would put one.
func TestThroughProxy(t *testing.T) {
	forEngines(t, func(t *testing.T, engine func(HTTPOptions) Transport) {
		e := newEndpoint(t, 200)
		var connects []string
		var mu sync.Mutex
		proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodConnect {
				http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
				return
			}
			mu.Lock()
			connects = append(connects, r.Host)
			mu.Unlock()
			up, err := net.Dial("tcp", r.Host)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			w.WriteHeader(200)
			c, brw, _ := w.(http.Hijacker).Hijack()
			go func() { io.Copy(up, brw); up.Close() }()
			io.Copy(c, up)
			c.Close()
		}))
		defer proxy.Close()
		pu, _ := url.Parse(proxy.URL)
		s, _ := testSender(t, e, validDestination(), Config{Attempts: 1, Transport: engine(HTTPOptions{RootCAs: e.pool(), Proxy: http.ProxyURL(pu)})})
		if res := s.Deliver(context.Background(), 0, []byte(docBody)); res.Outcome != Delivered {
			t.Fatalf("%s: %v", res.Outcome, res.Attempts[0].Err)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(connects) != 1 || connects[0] != strings.TrimPrefix(e.URL, "https://") {
			t.Fatalf("proxy saw %v", connects)
		}

	})
}

// BenchmarkDeliver measures one message (sign, request, round trip over loopback TLS with a
// kept-alive connection, outcome) against a server that answers at once.
func BenchmarkDeliver(b *testing.B) {
	s := benchSender(b, func(o HTTPOptions) Transport { return NewHTTPTransport(o) })
	body := []byte(docBody)
	b.ReportAllocs()
	for b.Loop() {
		if res := s.Deliver(context.Background(), 0, body); res.Outcome != Delivered {
			b.Fatal(res.Outcome)
		}
	}
}

// BenchmarkSendLoop measures the load path: generate a pack, sign it, send it over a kept-alive
// TLS connection with fasthttp, concurrently, against a server that answers at once.
func BenchmarkSendLoop(b *testing.B) {
	s := benchSender(b, func(o HTTPOptions) Transport { return NewFastTransport(o) })
	b.ReportAllocs()
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		g, _ := senmlgen.New(senmlgen.Config{Devices: 100, Now: time.Unix(1767323045, 0)})
		buf := make([]byte, 0, 512)
		for pb.Next() {
			buf = g.AppendNext(buf[:0])
			if res := s.Deliver(context.Background(), 0, buf); res.Outcome != Delivered {
				b.Fatal(res.Outcome)
			}
		}
	})
}

// benchSender returns a sender whose transport, made by engine, reaches a TLS server on
// 127.0.0.1 that answers at once; the server stops with the benchmark.
func benchSender(b *testing.B, engine func(HTTPOptions) Transport) *Sender {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	b.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	d := validDestination()
	d.URL = srv.URL + "/thingsdata"
	d.Check(true)
	s, err := New(Config{Destination: &d, Transport: engine(HTTPOptions{RootCAs: pool, MaxConnsPerHost: 64})})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// TestEchoedCredentialsScrubbed: an endpoint that echoes the credential, the basic header or the
// shared secret in its answer does not get them into attempts, and so not into any output.
func TestEchoedCredentialsScrubbed(t *testing.T) {
	forEngines(t, func(t *testing.T, engine func(HTTPOptions) Transport) {
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(401)
			fmt.Fprintf(w, "bad auth %s, try %s or %s", r.Header.Get("Authorization"), "hunter2-password", goodSecret)
		}))
		srv.StartTLS()
		defer srv.Close()
		pool := x509.NewCertPool()
		pool.AddCert(srv.Certificate())
		d := validDestination()
		d.URL = srv.URL + "/thingsdata"
		d.Auth = Auth{Method: AuthBasic, Username: "alice", Credential: NewSecret("hunter2-password")}
		s, _ := testSender(t, nil, d, Config{Transport: engine(HTTPOptions{RootCAs: pool}), Attempts: 1})
		res := s.Deliver(context.Background(), 0, []byte(docBody))
		body := string(res.Attempts[0].Response.Body)
		if strings.Contains(body, "hunter2") || strings.Contains(body, goodSecret) || strings.Contains(body, "YWxpY2U6") || strings.Count(body, "[redacted]") != 3 {
			t.Errorf("answer kept %q", body)
		}
	})
}
