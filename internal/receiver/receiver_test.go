package receiver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/thingsim/thingsim/internal/localca"
	"github.com/thingsim/thingsim/sender"
	"github.com/thingsim/thingsim/verify"
)

const (
	plug    = "fbc063cb-4dd4-41b3-917a-e2d1ea907f75"
	secret  = "Kp7#ThingsTestSecret:2024/abcXYZ!"
	docBody = `[{"bn":"urn:dev:DEVEUI:0000000000000000:","bt":1.58565075E9},{"n":"temperature","v":21.22,"u":"Celsius"}]`
)

// syncBuffer is a capture that tests can read while the server writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) records(t *testing.T) []sender.MessageRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []sender.MessageRecord
	sc := bufio.NewScanner(bytes.NewReader(s.b.Bytes()))
	sc.Buffer(nil, 4<<20)
	for sc.Scan() {
		var r sender.MessageRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("capture line %q: %v", sc.Text(), err)
		}
		out = append(out, r)
	}
	return out
}

// start serves a handler over TLS on 127.0.0.1 and returns a sender configured to reach it.
func start(t *testing.T, cfg Config, d sender.Destination, sc sender.Config) (*Handler, *sender.Sender, *syncBuffer) {
	t.Helper()
	capture := &syncBuffer{}
	cfg.Capture = capture
	h := NewHandler(cfg)
	ca, err := localca.New("receiver test")
	if err != nil {
		t.Fatal(err)
	}
	tlsCfg, err := ca.ServerConfig()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := Listen("127.0.0.1:0", tlsCfg)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(h)
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	if d.Name == "" {
		d = sender.Destination{Name: "t", Headers: []sender.Header{{Name: "Test-header", Value: "Hello world"}}, Secret: sender.NewSecret(secret), PlugUUID: plug}
	}
	d.URL = srv.URL() + "/thingsdata?x=1"
	if _, err := d.Check(true); err != nil {
		t.Fatal(err)
	}
	sc.Destination = &d
	sc.Transport = sender.NewHTTPTransport(sender.HTTPOptions{RootCAs: ca.Pool()})
	sc.UserAgent = "thingsim/test"
	if sc.Backoff == nil {
		sc.Backoff = []time.Duration{time.Millisecond}
	}
	s, err := sender.New(sc)
	if err != nil {
		t.Fatal(err)
	}
	return h, s, capture
}

func TestCapturesWireHeadersAndVerdict(t *testing.T) {
	h, s, capture := start(t, Config{Secrets: AnyPlug{sender.NewSecret(secret)}}, sender.Destination{}, sender.Config{})
	for range 3 { // one kept-alive connection, three requests
		if res := s.Deliver(context.Background(), 0, []byte(docBody)); res.Outcome != sender.Delivered {
			t.Fatalf("%s %v", res.Outcome, res.Attempts[0].Err)
		}
	}
	recs := capture.records(t)
	if len(recs) != 3 {
		t.Fatalf("%d records", len(recs))
	}
	for _, r := range recs {
		var names []string
		for _, hd := range r.Headers {
			names = append(names, hd.Name)
		}
		// Go's client order; the spelling is what matters.
		if got := strings.Join(names, ","); got != "Host,User-Agent,Content-Length,Content-type,Test-header,Things-Message-Token,Things-Plug-UUID" {
			t.Errorf("headers as received: %s", got)
		}
		b, _ := r.Bytes()
		if string(b) != docBody || r.Verdict != Valid || r.Status != 200 || r.PlugUUID != plug || r.Target != "/thingsdata?x=1" ||
			r.Device != "urn:dev:DEVEUI:0000000000000000:" || r.Records != 2 || r.SenML != "valid" || r.Remote == "" {
			t.Errorf("record %+v", r)
		}
	}
	if st := h.Stats(); st.Requests != 3 || st.Verdicts[Valid] != 3 || st.Statuses[200] != 3 {
		t.Errorf("stats %+v", st)
	}
}

func TestVerdicts(t *testing.T) {
	other := sender.NewSecret("Other#Secret:2024/abcXYZ!abcdefgh")
	secrets := SecretMap{plug: sender.NewSecret(secret)}
	const otherPlug = "0b8e4c1a-3f2d-4e5b-9a6c-7d8e9f0a1b2c"
	both := SecretMap{plug: sender.NewSecret(secret), otherPlug: other}
	for _, tc := range []struct {
		name    string
		cfg     Config
		dest    sender.Destination
		over    sender.Overrides
		body    string
		verdict string
		status  int
		cause   string // the invalid token's likely cause
	}{
		{"valid", Config{Secrets: secrets}, sender.Destination{}, sender.Overrides{}, docBody, Valid, 200, ""},
		{"other secret", Config{Secrets: secrets}, sender.Destination{Name: "o", Secret: other, PlugUUID: plug}, sender.Overrides{}, docBody, Invalid, 401, ""},
		{"another plug's secret", Config{Secrets: both}, sender.Destination{Name: "o", Secret: other, PlugUUID: plug}, sender.Overrides{}, docBody, Invalid, 401,
			"the body under the secret of plug UUID " + otherPlug},
		{"a token of the body with a newline", Config{Secrets: secrets}, sender.Destination{}, sender.Overrides{KeepToken: true, Token: verify.Token([]byte(docBody+"\n"), secret)},
			docBody, Invalid, 401, "the body with a trailing newline"},
		{"missing token", Config{Secrets: secrets}, sender.Destination{}, sender.Overrides{KeepToken: true}, docBody, Missing, 401, ""},
		{"unknown plug", Config{Secrets: secrets, RejectStatus: 403}, sender.Destination{}, sender.Overrides{PlugUUID: "00000000-0000-4000-8000-000000000000"}, docBody, UnknownPlug, 403, ""},
		{"unchecked", Config{}, sender.Destination{}, sender.Overrides{}, docBody, Unchecked, 200, ""},
		{"status 204", Config{Secrets: secrets, Status: 204}, sender.Destination{}, sender.Overrides{}, docBody, Valid, 204, ""},
		{"not SenML", Config{Secrets: secrets}, sender.Destination{}, sender.Overrides{}, "hello", Valid, 200, ""},
		{"too large", Config{Secrets: secrets, MaxBody: 50}, sender.Destination{}, sender.Overrides{}, docBody, TooLarge, 413, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, s, capture := start(t, tc.cfg, tc.dest, sender.Config{Attempts: 1})
			res := s.DeliverRequest(context.Background(), 0, s.Template().Build([]byte(tc.body), tc.over))
			if res.Status() != tc.status {
				t.Fatalf("status %d, want %d (%v)", res.Status(), tc.status, res.Attempts[0].Err)
			}
			r := capture.records(t)[0]
			if r.Verdict != tc.verdict || r.Status != tc.status {
				t.Fatalf("record verdict %s status %d", r.Verdict, r.Status)
			}
			if r.TokenCause != tc.cause {
				t.Fatalf("token cause %q, want %q", r.TokenCause, tc.cause)
			}
			if tc.verdict == TooLarge && (!r.BodyTruncated || r.BodySize != len(docBody) || r.Body != nil || r.BodyBase64 != "") {
				t.Fatalf("oversized record %+v", r)
			}
			if tc.body == "hello" && (r.SenML != "invalid" || len(r.SenMLFindings) == 0 || *r.Body != "hello") {
				t.Fatalf("not SenML: %+v", r)
			}
		})
	}
}

func TestScriptedRetryDrill(t *testing.T) {
	script, err := ParseScript("500,drop,200")
	if err != nil {
		t.Fatal(err)
	}
	h, s, capture := start(t, Config{Secrets: AnyPlug{sender.NewSecret(secret)}, Script: script}, sender.Destination{}, sender.Config{})
	res := s.Deliver(context.Background(), 0, []byte(docBody))
	if res.Outcome != sender.Delivered || len(res.Attempts) != 3 {
		t.Fatalf("%s after %d attempts", res.Outcome, len(res.Attempts))
	}
	if res.Attempts[0].Status() != 500 || res.Attempts[1].Status() != 0 || res.Attempts[1].Kind != sender.KindReset {
		t.Fatalf("attempts: %d, %d/%s", res.Attempts[0].Status(), res.Attempts[1].Status(), res.Attempts[1].Kind)
	}
	recs := capture.records(t)
	if len(recs) != 3 || !recs[1].Dropped || recs[2].Status != 200 {
		t.Fatalf("records %+v", recs)
	}
	if h.Stats().Dropped != 1 {
		t.Fatalf("stats %+v", h.Stats())
	}
	for _, bad := range []string{"", "99", "ok", "200,,500"} {
		if _, err := ParseScript(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// TestSetAnswer: a new answer holds from the next request on, its script from its first action.
func TestSetAnswer(t *testing.T) {
	h, s, capture := start(t, Config{Secrets: AnyPlug{sender.NewSecret(secret)}}, sender.Destination{}, sender.Config{Attempts: 1})
	send := func() int {
		return s.Deliver(context.Background(), 0, []byte(docBody)).Status()
	}
	if got := send(); got != 200 {
		t.Fatalf("before: %d", got)
	}
	h.SetAnswer(Answer{Script: []Action{{Status: 500}, {Status: 202}}, Delay: 30 * time.Millisecond})
	if a := h.Answer(); len(a.Script) != 2 || a.Delay != 30*time.Millisecond {
		t.Fatalf("answer %+v", a)
	}
	start := time.Now()
	if got := send(); got != 500 {
		t.Fatalf("first after the change: %d", got)
	}
	if waited := time.Since(start); waited < 30*time.Millisecond {
		t.Fatalf("answered after %v, before the delay", waited)
	}
	if got := send(); got != 202 {
		t.Fatalf("second after the change: %d", got)
	}
	h.SetAnswer(Answer{})
	if got := send(); got != 200 {
		t.Fatalf("back to the status: %d", got)
	}
	if n := len(capture.records(t)); n != 4 {
		t.Fatalf("%d records", n)
	}
}

// TestConcurrentSendersLoseNoCapture: every request answered is in the capture, whole.
func TestConcurrentSendersLoseNoCapture(t *testing.T) {
	h, s, capture := start(t, Config{Secrets: AnyPlug{sender.NewSecret(secret)}}, sender.Destination{}, sender.Config{})
	const n, workers = 400, 16
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				body := fmt.Sprintf(`[{"bn":"urn:dev:DEVEUI:%016X:","n":"c","v":%d.0}]`, i, i)
				if res := s.Deliver(context.Background(), i, []byte(body)); res.Outcome != sender.Delivered {
					t.Errorf("%d: %s", i, res.Outcome)
				}
			}
		}()
	}
	wg.Wait()
	recs := capture.records(t)
	seen := map[string]bool{}
	for _, r := range recs {
		if r.Verdict != Valid || r.Headers[len(r.Headers)-1].Name != sender.PlugHeader {
			t.Fatalf("record %+v", r)
		}
		seen[r.Device] = true
	}
	if len(recs) != n || len(seen) != n || h.Stats().Requests != n {
		t.Fatalf("%d records, %d devices, stats %+v", len(recs), len(seen), h.Stats())
	}
}

func TestRedactsCredentials(t *testing.T) {
	d := sender.Destination{Name: "a", Secret: sender.NewSecret(secret), PlugUUID: plug,
		Auth: sender.Auth{Method: sender.AuthBasic, Username: "alice", Credential: sender.NewSecret("hunter2")}}
	_, s, capture := start(t, Config{}, d, sender.Config{})
	s.Deliver(context.Background(), 0, []byte(docBody))
	line, _ := json.Marshal(capture.records(t)[0])
	if bytes.Contains(line, []byte("hunter2")) || bytes.Contains(line, []byte("YWxpY2U6")) || !bytes.Contains(line, []byte(`"Basic [redacted]"`)) {
		t.Fatalf("capture: %s", line)
	}
}

// TestRedactsCustomAPIKeyHeader: a custom API key header is kept in clear unless named.
func TestRedactsCustomAPIKeyHeader(t *testing.T) {
	d := sender.Destination{Name: "a", Secret: sender.NewSecret(secret), PlugUUID: plug,
		Auth: sender.Auth{Method: sender.AuthAPIKey, Header: "X-Things-Key", Credential: sender.NewSecret("key-hunter2")}}
	for _, names := range [][]string{nil, {"x-things-key"}} {
		_, s, capture := start(t, Config{RedactHeaders: names}, d, sender.Config{})
		s.Deliver(context.Background(), 0, []byte(docBody))
		line, _ := json.Marshal(capture.records(t)[0])
		if kept := bytes.Contains(line, []byte("key-hunter2")); kept != (names == nil) {
			t.Errorf("redact %v: %s", names, line)
		}
	}
}

func TestLoadSecrets(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "s1"), []byte(secret+"\n"), 0o600)
	t.Setenv("RECEIVER_TEST_SECRET", "Env#Secret:2024/abcXYZ!abcdefghij")
	p := filepath.Join(dir, "secrets.yaml")
	os.WriteFile(p, []byte("FBC063CB-4DD4-41B3-917A-E2D1EA907F75: {secretFile: s1}\n00000000-0000-4000-8000-000000000000: {secretEnv: RECEIVER_TEST_SECRET}\n"), 0o644)
	m, err := LoadSecrets(p)
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := m.Lookup(plug); !ok || s.Reveal() != secret {
		t.Fatal("plug 1")
	}
	if s, ok := m.Lookup("00000000-0000-4000-8000-000000000000"); !ok || s.Reveal() != "Env#Secret:2024/abcXYZ!abcdefghij" {
		t.Fatal("plug 2")
	}
	for body, want := range map[string]string{
		"plug-1: {secretFile: s1}\n":                  `line 1: "plug-1" is not a plug UUID`,
		plug + ": {secret: x}\n":                      `"secret" is not secretFile or secretEnv`,
		plug + ": {secretFile: nope}\n":               "nope: no such file",
		plug + ": {secretEnv: RECEIVER_TEST_UNSET}\n": "RECEIVER_TEST_UNSET is not set",
		plug + ": {secretFile: s1, secretEnv: X}\n":   "not both",
		plug + ": s1\n":                               "want {secretFile: PATH}",
		"- a\n":                                       "want a mapping",
		plug + ": {secretFile: s1}\n" + plug + ": {secretFile: s1}\n": "given twice",
	} {
		os.WriteFile(p, []byte(body), 0o644)
		if _, err := LoadSecrets(p); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", body, err, want)
		}
	}
}

// TestSecretsFileOneDocument: a second document in a secrets file is an error, not ignored.
func TestSecretsFileOneDocument(t *testing.T) {
	_, err := parseSecrets([]byte("fbc063cb-4dd4-41b3-917a-e2d1ea907f75: {secretEnv: A}\n---\n00000000-0000-4000-8000-000000000000: {secretEnv: B}\n"), ".")
	if err == nil || !strings.Contains(err.Error(), "line 2: a second document") {
		t.Errorf("%v", err)
	}
}
