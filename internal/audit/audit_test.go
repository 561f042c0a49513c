package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/thingsim/thingsim/internal/junit"
	"github.com/thingsim/thingsim/sender"
)

const (
	secret = "Kp7#ThingsTestSecret:2024/abcXYZ!"
	plug   = "fbc063cb-4dd4-41b3-917a-e2d1ea907f75"
)

func tokenOf(body []byte) string {
	sum := sha256.Sum256(append(append([]byte(nil), body...), secret...))
	return hex.EncodeToString(sum[:])
}

// Receivers, right and wrong, as people write them.
var receivers = map[string]http.HandlerFunc{
	// correct: the raw body, the plug's secret, a constant-time, case-insensitive compare.
	"correct": func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get(sender.PlugHeader) != plug || !sender.Verify(body, sender.NewSecret(secret), r.Header.Get(sender.TokenHeader)) {
			w.WriteHeader(401)
			return
		}
	},
	// skips the check: everything is accepted.
	"no-check": func(w http.ResponseWriter, r *http.Request) { io.Copy(io.Discard, r.Body) },
	// hashes re-serialised JSON, as JSON.parse + JSON.stringify would.
	"reserialises": func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var v any
		if json.Unmarshal(body, &v) != nil {
			w.WriteHeader(400)
			return
		}
		again, _ := json.Marshal(v)
		if tokenOf(again) != strings.ToLower(r.Header.Get(sender.TokenHeader)) {
			w.WriteHeader(401)
		}
	},
	// compares the token case-sensitively.
	"case-sensitive": func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if tokenOf(body) != r.Header.Get(sender.TokenHeader) {
			w.WriteHeader(403)
		}
	},
	// ignores GET bodies: a GET is accepted unread.
	"ignores-get-body": func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			return
		}
		body, _ := io.ReadAll(r.Body)
		if !sender.Verify(body, sender.NewSecret(secret), r.Header.Get(sender.TokenHeader)) {
			w.WriteHeader(401)
		}
	},
	// fails on bad data instead of refusing it.
	"500-on-bad": func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !sender.Verify(body, sender.NewSecret(secret), r.Header.Get(sender.TokenHeader)) {
			w.WriteHeader(500)
		}
	},
}

func runAudit(t *testing.T, receiver string, method string, strictPlug bool) map[string]Result {
	t.Helper()
	srv := httptest.NewUnstartedServer(receivers[receiver])
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	d := &sender.Destination{Name: "audit", URL: srv.URL + "/things", Method: method, Secret: sender.NewSecret(secret), PlugUUID: plug}
	if _, err := d.Check(true); err != nil {
		t.Fatal(err)
	}
	results, err := Run(context.Background(), Config{
		Destination: d, Transport: sender.NewHTTPTransport(sender.HTTPOptions{RootCAs: pool}),
		Backoff: []time.Duration{time.Millisecond}, StrictPlug: strictPlug, Now: time.Unix(1767323045, 0),
	})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]Result{}
	for _, r := range results {
		byName[r.Name] = r
	}
	if len(byName) != len(checks) {
		t.Fatalf("%d results for %d checks", len(byName), len(checks))
	}
	return byName
}

// TestClassifiesReceivers: each receiver gets the outcomes its flaw earns, and nothing else fails.
func TestClassifiesReceivers(t *testing.T) {
	for _, tc := range []struct {
		receiver, method string
		strictPlug       bool
		want             map[string]Outcome // checks not named must pass or skip
		cause            map[string]string  // words the message must hold
	}{
		{"correct", "POST", true, map[string]Outcome{"unknown-plug": Pass, "uppercase-token": Pass, "method-body": Skip}, nil},
		{"correct", "GET", false, map[string]Outcome{"method-body": Pass, "unknown-plug": Skip}, nil},
		{"no-check", "POST", true,
			map[string]Outcome{"wrong-token": Fail, "missing-token": Fail, "other-secret": Fail, "tampered-body": Fail, "unknown-plug": Warn},
			map[string]string{"wrong-token": "does not check the token", "tampered-body": "not checked against the body"}},
		{"reserialises", "POST", false,
			map[string]Outcome{"valid-legacy": Fail, "valid-merged": Fail, "profiles": Fail, "java-numbers": Fail, "byte-variants": Skip},
			map[string]string{"java-numbers": "hashes re-serialised JSON", "valid-legacy": "hashes re-serialised JSON", "wrong-token": "correctly signed was accepted"}},
		{"case-sensitive", "POST", false, map[string]Outcome{"uppercase-token": Warn}, map[string]string{"uppercase-token": "refused an upper-case token (403)"}},
		// A GET read without its body cannot be checked: every bad token gets in.
		{"ignores-get-body", "GET", false,
			map[string]Outcome{"method-body": Warn, "wrong-token": Fail, "missing-token": Fail, "other-secret": Fail, "tampered-body": Fail},
			map[string]string{"method-body": "ignores GET bodies"}},
		{"500-on-bad", "POST", false,
			map[string]Outcome{"wrong-token": Fail, "missing-token": Fail, "other-secret": Fail, "tampered-body": Fail},
			map[string]string{"wrong-token": "answered 500: forged data must be refused with a 4xx"}},
	} {
		t.Run(tc.receiver+"-"+tc.method, func(t *testing.T) {
			got := runAudit(t, tc.receiver, tc.method, tc.strictPlug)
			for name, r := range got {
				want, named := tc.want[name]
				switch {
				case named && r.Outcome != want:
					t.Errorf("%s: %s (%s), want %s", name, r.Outcome, r.Message, want)
				case !named && r.Outcome != Pass && r.Outcome != Skip:
					t.Errorf("%s: %s (%s), want pass or skip", name, r.Outcome, r.Message)
				}
				if words, ok := tc.cause[name]; ok && !strings.Contains(r.Message, words) {
					t.Errorf("%s: message %q lacks %q", name, r.Message, words)
				}
				if r.Outcome != Skip && len(r.Evidence) == 0 {
					t.Errorf("%s: no evidence", name)
				}
			}
			if got["tls"].Outcome != Skip {
				t.Errorf("tls: %s", got["tls"].Outcome)
			}
		})
	}
}

func TestSelectedChecksOnly(t *testing.T) {
	srv := httptest.NewTLSServer(receivers["correct"])
	defer srv.Close()
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	d := &sender.Destination{Name: "a", URL: srv.URL, Secret: sender.NewSecret(secret), PlugUUID: plug}
	d.Check(true)
	var seen []string
	results, err := Run(context.Background(), Config{Destination: d, Transport: sender.NewHTTPTransport(sender.HTTPOptions{RootCAs: pool}),
		Checks: []string{"missing-token", "wrong-token"}, OnResult: func(r Result) { seen = append(seen, r.Name) }})
	if err != nil || len(results) != 2 || strings.Join(seen, ",") != "wrong-token,missing-token" {
		t.Fatalf("%v %v %v", err, results, seen)
	}
}

// TestJUnitValidates writes the report of a failing audit and validates it against the JUnit
// schema with xmllint, which .ci/run installs.
func TestJUnitValidates(t *testing.T) {
	results := runAudit(t, "no-check", "POST", false)
	var list []Result
	for _, name := range Names() {
		list = append(list, results[name])
	}
	var buf bytes.Buffer
	if err := WriteJUnit(&buf, "https://example.com/things", time.Now(), list); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Suites []junit.Suite `xml:"testsuite"`
	}
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	s := doc.Suites[0]
	if s.Tests != len(checks) || s.Failures != 4 || s.Skipped != 3 || len(s.Cases) != len(checks) {
		t.Fatalf("suite: tests %d failures %d skipped %d", s.Tests, s.Failures, s.Skipped)
	}
	for _, c := range s.Cases {
		if c.Name == "wrong-token" && (c.Failure == nil || c.Failure.Type != "token_not_checked" || !strings.Contains(c.Failure.Message, "does not check the token") || !strings.Contains(c.Failure.Text, "got 200")) {
			t.Errorf("wrong-token case: %+v", c)
		}
		if c.Name == "unknown-plug" && c.Skipped == nil {
			t.Errorf("unknown-plug case: %+v", c)
		}
	}
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		t.Skip("xmllint is missing: .ci/run installs it (Debian libxml2-utils)")
	}
	path := filepath.Join(t.TempDir(), "audit.xml")
	os.WriteFile(path, buf.Bytes(), 0o644)
	out, err := exec.Command(xmllint, "--noout", "--schema", "testdata/junit.xsd", path).CombinedOutput()
	if err != nil {
		t.Fatalf("xmllint: %v\n%s\n%s", err, out, buf.String())
	}
}
