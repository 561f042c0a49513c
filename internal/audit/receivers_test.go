package audit

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/thingsim/thingsim/internal/jvmtest"
	"github.com/thingsim/thingsim/sender"
	"github.com/thingsim/thingsim/senmlgen"
)

// Receivers that decode what they get, as published receivers do: each refuses packs for their
// content, and each gets the verdict and cause its token check earns, with and without --payload.

// counterPack is a pack such receivers accept: it holds the counter record they need.
const counterPack = `[{"bn":"urn:dev:DEVEUI:0004A30B001B714E:","bt":1.7E9},{"n":"counter","v":42.0},{"n":"batteryVoltage","u":"V","v":3.61}]`

// names returns the record names of a pack, nil when it is not one.
func names(body []byte) []string {
	var pack []map[string]any
	if json.Unmarshal(body, &pack) != nil {
		return nil
	}
	var out []string
	for _, r := range pack {
		n, _ := r["n"].(string)
		out = append(out, n)
	}
	return out
}

func hasCounter(body []byte) bool {
	for _, n := range names(body) {
		if n == "counter" {
			return true
		}
	}
	return false
}

var decoding = map[string]http.HandlerFunc{
	// decodes for its device type and never checks the token.
	"content-no-token": func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !hasCounter(body) {
			http.Error(w, "no counter record: not one of our devices", http.StatusBadRequest)
		}
	},
	// checks the token, then the content.
	"token-then-content": func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch {
		case !sender.Verify(body, sender.NewSecret(secret), r.Header.Get(sender.TokenHeader)):
			http.Error(w, "invalid token", http.StatusUnauthorized)
		case !hasCounter(body):
			http.Error(w, "no counter record", http.StatusBadRequest)
		}
	},
	// checks the token over what encoding/json writes back (403), then the content (400).
	"reserialises-then-content": func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var v any
		json.Unmarshal(body, &v)
		again, _ := json.Marshal(v)
		switch {
		case tokenOf(again) != strings.ToLower(r.Header.Get(sender.TokenHeader)):
			http.Error(w, "invalid token", http.StatusForbidden)
		case !hasCounter(body):
			http.Error(w, "no counter record", http.StatusBadRequest)
		}
	},
	// checks the token, then reads the first measurement at pack[1], as the legacy layout has it.
	"positional": func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !sender.Verify(body, sender.NewSecret(secret), r.Header.Get(sender.TokenHeader)) {
			http.Error(w, "invalid token", http.StatusUnauthorized)
			return
		}
		if n := names(body); len(n) < 2 || n[1] != "counter" && n[1] != "temperature" {
			http.Error(w, "pack[1] is not a measurement we know", http.StatusBadRequest)
		}
	},
}

type want struct {
	outcome Outcome
	cause   Cause
}

// auditURL audits an endpoint and returns the results by check.
func auditURL(t *testing.T, url string, transport sender.Transport, templates []Template) map[string]Result {
	t.Helper()
	return auditWith(t, url, Config{Transport: transport, Templates: templates})
}

// auditWith audits url with cfg, completed with the destination, a short backoff and a fixed time.
func auditWith(t *testing.T, url string, cfg Config) map[string]Result {
	t.Helper()
	got, _ := auditAs(t, url, sender.Destination{Secret: sender.NewSecret(secret)}, cfg)
	return got
}

// auditAs audits url as d (its name, URL and plug UUID filled in) with cfg, and returns the results
// by check and the exit code they earn.
func auditAs(t *testing.T, url string, d sender.Destination, cfg Config) (map[string]Result, int) {
	t.Helper()
	d.Name, d.URL, d.PlugUUID = "audit", url, plug
	if _, err := d.Check(true); err != nil {
		t.Fatal(err)
	}
	cfg.Destination, cfg.Backoff, cfg.Now = &d, []time.Duration{time.Millisecond}, time.Unix(1767323045, 0)
	results, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]Result{}
	for _, r := range results {
		byName[r.Name] = r
	}
	return byName, ExitCode(results)
}

// expect checks the named checks' outcomes and causes; the others must pass or skip. Every failed
// or warned check must name its cause, and every check that ran must carry evidence.
func expect(t *testing.T, got map[string]Result, wants map[string]want) {
	t.Helper()
	for name, r := range got {
		w, named := wants[name]
		switch {
		case named && (r.Outcome != w.outcome || r.Cause != w.cause):
			t.Errorf("%s: %s %s (%s), want %s %s", name, r.Outcome, r.Cause, r.Message, w.outcome, w.cause)
		case !named && r.Outcome != Pass && r.Outcome != Skip:
			t.Errorf("%s: %s %s (%s), want pass or skip", name, r.Outcome, r.Cause, r.Message)
		}
		if (r.Outcome == Fail || r.Outcome == Warn) && r.Cause == "" {
			t.Errorf("%s: %s without a cause", name, r.Outcome)
		}
		if r.Outcome != Skip && len(r.Evidence) == 0 {
			t.Errorf("%s: no evidence", name)
		}
	}
}

var withCounter = []Template{{Origin: "counter.json", Body: []byte(counterPack)}}

// forged are the four checks that forge the pack.
func forged(w want) map[string]want {
	return map[string]want{"wrong-token": w, "missing-token": w, "other-secret": w, "tampered-body": w}
}

func merge(ms ...map[string]want) map[string]want {
	out := map[string]want{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

func TestDecodingReceivers(t *testing.T) {
	for _, tc := range []struct {
		receiver  string
		templates []Template
		want      map[string]want
	}{
		// Refuses every generated pack for its content: no refusal proves anything.
		{"content-no-token", nil, merge(forged(want{Undecided, CauseInconclusive}), map[string]want{
			"valid-legacy": {Undecided, CauseInconclusive}, "valid-merged": {Undecided, CauseInconclusive},
			"profiles": {Undecided, CauseInconclusive}, "java-numbers": {Undecided, CauseInconclusive}})},
		// Given a pack it accepts, its missing token check shows.
		{"content-no-token", withCounter, merge(forged(want{Fail, CauseTokenNotChecked}), map[string]want{
			"other-secret": {Fail, CauseWrongSecretAccepted}, "tampered-body": {Fail, CauseBodyNotChecked}})},
		// The token verifies, the content is refused: said so, and the forged checks pass.
		{"token-then-content", nil, map[string]want{
			"valid-legacy": {Undecided, CauseContentRefused}, "valid-merged": {Undecided, CauseContentRefused},
			"profiles": {Warn, CauseContentRefused}, "java-numbers": {Warn, CauseContentRefused}}},
		{"token-then-content", withCounter, nil},
		// Hashes re-serialised JSON and refuses the re-serialised form for its content: the changed
		// status proves the re-serialisation; nothing was accepted, so the forged checks cannot tell.
		{"reserialises-then-content", nil, merge(forged(want{Undecided, CauseInconclusive}), map[string]want{
			"valid-legacy": {Fail, CauseReserialised}, "valid-merged": {Fail, CauseReserialised},
			"profiles": {Fail, CauseReserialised}, "java-numbers": {Fail, CauseReserialised}})},
		// Given a pack it accepts, the re-serialised form is accepted and the token check tested on it.
		{"reserialises-then-content", withCounter, map[string]want{
			"valid-legacy": {Fail, CauseReserialised}, "valid-merged": {Fail, CauseReserialised}, "java-numbers": {Fail, CauseReserialised}}},
		// Reads pack[1]: the merged layout is refused for its content.
		{"positional", nil, map[string]want{"valid-merged": {Fail, CauseLayoutSpecific}, "profiles": {Warn, CauseContentRefused}}},
		{"positional", withCounter, map[string]want{"valid-merged": {Fail, CauseLayoutSpecific}}},
		{"correct", withCounter, nil},
	} {
		name := tc.receiver
		if tc.templates != nil {
			name += "-with-payload"
		}
		t.Run(name, func(t *testing.T) {
			h := decoding[tc.receiver]
			if h == nil {
				h = receivers[tc.receiver]
			}
			srv := httptest.NewServer(h)
			defer srv.Close()
			got := auditURL(t, srv.URL+"/things", sender.NewHTTPTransport(sender.HTTPOptions{}), tc.templates)
			expect(t, got, tc.want)
			if r := got["valid-merged"]; r.Cause == CauseLayoutSpecific && !strings.Contains(r.Message, "pack[1]") {
				t.Errorf("valid-merged: %s", r.Message)
			}
			if r := got["wrong-token"]; r.Outcome == Pass && tc.receiver == "token-then-content" && tc.templates == nil &&
				!strings.Contains(r.Message, "the token is checked before the content") {
				t.Errorf("wrong-token: %s", r.Message)
			}
		})
	}
}

// startReceiver runs a receiver program that prints its port, and returns its URL.
func startReceiver(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	port, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("%s printed no port: %v", name, err)
	}
	return "http://127.0.0.1:" + strings.TrimSpace(port) + "/things"
}

// TestJSONStringifyReceiver: real Node.js, hashing JSON.stringify of the parsed body.
func TestJSONStringifyReceiver(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is missing: .ci/run installs it (Debian nodejs)")
	}
	url := startReceiver(t, node, filepath.Join("testdata", "receivers", "stringify.js"), secret)
	for _, templates := range [][]Template{nil, withCounter} {
		got := auditURL(t, url, sender.NewHTTPTransport(sender.HTTPOptions{}), templates)
		w := map[string]want{"valid-legacy": {Fail, CauseReserialised}, "valid-merged": {Fail, CauseReserialised}, "java-numbers": {Fail, CauseReserialised},
			"uppercase-token": {Warn, CauseCaseSensitiveToken}}
		if templates == nil {
			w["profiles"] = want{Fail, CauseReserialised}
		}
		expect(t, got, w)
		if r := got["valid-legacy"]; !strings.Contains(r.Message, "JSON.stringify") {
			t.Errorf("valid-legacy: %s", r.Message)
		}
	}
}

// TestJacksonReceiver: a real JVM and Jackson, hashing what Jackson writes back. It works with the
// platform's bytes, so only the byte forms the platform never writes warn.
func TestJacksonReceiver(t *testing.T) {
	cp := jvmtest.Compile(t, filepath.Join("testdata", "receivers", "JacksonReceiver.java"))
	url := startReceiver(t, "java", "-cp", cp, "JacksonReceiver", secret)
	// A value of 17 digits whose last one a double cannot hold: a tamper of that digit would give
	// the bytes Jackson writes back for the original, and so the original's token.
	long := []Template{{Origin: "long.json", Body: []byte(`[{"bn":"urn:dev:DEVEUI:0004A30B001B714E:","bt":1.7E9},{"n":"temperature","u":"Cel","v":21.500000000000004}]`)}}
	for _, templates := range [][]Template{nil, withCounter, long} {
		got := auditURL(t, url, sender.NewHTTPTransport(sender.HTTPOptions{}), templates)
		expect(t, got, map[string]want{"byte-variants": {Warn, CauseReserialisedCompatible}, "uppercase-token": {Warn, CauseCaseSensitiveToken}})
		if templates != nil && templates[0].Origin == "long.json" && !strings.Contains(got["tampered-body"].Evidence[1].Sent, "21.500000000000004 changed to 21.500000000000014") {
			t.Errorf("tampered-body: %s", got["tampered-body"].Evidence[1].Sent)
		}
	}
}

// TestJacksonReceiverAndJVMRelease: Jackson writes numbers with its JVM's Double.toString, which
// changed in JDK 19, so a receiver that hashes what Jackson writes back works only with a platform on
// the same side of that change. Audit's --jvm says which side the platform is on: with the
// receiver's own release the re-laid-out pack passes, with the other it is refused as re-serialised.
func TestJacksonReceiverAndJVMRelease(t *testing.T) {
	cp := jvmtest.Compile(t, filepath.Join("testdata", "receivers", "JacksonReceiver.java"))
	feature := jvmtest.Feature(t)
	url := startReceiver(t, "java", "-cp", cp, "JacksonReceiver", secret)
	// 2^62 is 4.6116860184273879E18 on JDK 17 and 4.611686018427388E18 on JDK 19 and later.
	same, other, counter := senmlgen.Java17Numbers, senmlgen.JavaNumbers, "4.6116860184273879E18"
	if feature >= 19 {
		same, other, counter = other, same, "4.611686018427388E18"
	}
	pack := `[{"bn":"urn:dev:DEVEUI:0004A30B001B714E:","bt":1.7E9},{"n":"counter","v":` + counter + `}]`
	cfg := Config{Transport: sender.NewHTTPTransport(sender.HTTPOptions{}), Checks: []string{"valid-legacy", "valid-merged"},
		Templates: []Template{{Origin: "counter.json", Body: []byte(pack)}}}

	cfg.Numbers = same
	expect(t, auditWith(t, url, cfg), nil)

	cfg.Numbers = other
	got := auditWith(t, url, cfg)
	expect(t, got, map[string]want{"valid-merged": {Fail, CauseReserialised}})
	if m := got["valid-legacy"].Message; !strings.Contains(m, "not the platform's") {
		t.Errorf("valid-legacy does not say the pack as given is not in the platform's bytes: %s", m)
	}
}

// Receivers on the patterns that sent a plain audit the wrong way: each must get its verdict, cause
// and exit code by itself, and the same with --payload.

// loraRawOnly is a Node-RED flow with no token check that answers LoRa raw uplinks in the legacy
// layout and never answers anything else.
func loraRawOnly(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if n := names(body); len(n) == 3 && n[0] == "" && n[1] == "payload" && n[2] == "port" {
		return
	}
	<-r.Context().Done()
}

// oneStatus answers 400 to every error, a bad token and a pack without its counter record alike,
// with different texts.
func oneStatus(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	switch {
	case !sender.Verify(body, sender.NewSecret(secret), r.Header.Get(sender.TokenHeader)):
		http.Error(w, `{"error":"Things-Message-Token does not match"}`, http.StatusBadRequest)
	case !hasCounter(body):
		http.Error(w, `{"error":"no counter record in the pack"}`, http.StatusBadRequest)
	}
}

// mergedStore checks the token, answers 201 to every valid pack and stores only those in the
// merged layout, by device and base time, as a route that drops the legacy layout silently does.
type mergedStore struct {
	mu     sync.Mutex
	stored map[string]bool
}

func (m *mergedStore) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if !sender.Verify(body, sender.NewSecret(secret), r.Header.Get(sender.TokenHeader)) {
		http.Error(w, "invalid token", http.StatusUnauthorized)
		return
	}
	if n := names(body); len(n) > 0 && n[0] != "" { // merged: the first record is a measurement
		device, at := baseOf(body)
		m.mu.Lock()
		m.stored[device+"@"+at] = true
		m.mu.Unlock()
	}
	w.WriteHeader(201)
}

func (m *mergedStore) confirm(_ context.Context, c Confirmation) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.stored[c.Device+"@"+c.Time] {
		return fmt.Errorf("%s at %s is not in the store", c.Device, c.Time)
	}
	return nil
}

func TestPlainAuditDecides(t *testing.T) {
	forgedChecks := []string{"valid-legacy", "valid-merged", "wrong-token", "missing-token", "other-secret", "tampered-body"}
	store := &mergedStore{stored: map[string]bool{}}
	for _, tc := range []struct {
		name    string
		handler http.Handler
		secret  string
		expect  int
		cfg     Config
		want    map[string]want
		code    int
		says    map[string]string // a check's message must hold this
	}{
		// No token check behind a shape filter that never answers: a LoRa raw pack, found by audit
		// itself, proves the missing check; the forged probes' controls were answered.
		{name: "lora-raw-only", handler: http.HandlerFunc(loraRawOnly),
			cfg: Config{Checks: forgedChecks, Attempts: 1, Timeouts: []time.Duration{time.Second}},
			want: merge(forged(want{Fail, CauseTokenNotChecked}), map[string]want{
				"valid-legacy": {Fail, CauseTimeout}, "valid-merged": {Fail, CauseTimeout},
				"other-secret": {Fail, CauseWrongSecretAccepted}, "tampered-body": {Fail, CauseBodyNotChecked}}),
			code: 1, says: map[string]string{"wrong-token": "tested on a valid lora-raw pack, legacy layout"}},
		{name: "lora-raw-only", handler: http.HandlerFunc(loraRawOnly),
			cfg: Config{Checks: forgedChecks, Attempts: 1, Timeouts: []time.Duration{time.Second}, Templates: withCounter},
			want: merge(forged(want{Fail, CauseTokenNotChecked}), map[string]want{
				"valid-legacy": {Fail, CauseTimeout}, "valid-merged": {Fail, CauseTimeout},
				"other-secret": {Fail, CauseWrongSecretAccepted}, "tampered-body": {Fail, CauseBodyNotChecked}}),
			code: 1, says: map[string]string{"tampered-body": "tested on a valid lora-raw pack, legacy layout"}},
		// One status for every error: the different answers show the refusal is the content's.
		{name: "one-status", handler: http.HandlerFunc(oneStatus),
			want: map[string]want{"valid-legacy": {Undecided, CauseContentRefused}, "valid-merged": {Undecided, CauseContentRefused},
				"profiles": {Warn, CauseContentRefused}, "java-numbers": {Warn, CauseContentRefused},
				"wrong-token": {Undecided, CauseInconclusive}, "missing-token": {Undecided, CauseInconclusive},
				"other-secret": {Undecided, CauseInconclusive}, "tampered-body": {Undecided, CauseInconclusive}},
			code: 3, says: map[string]string{"valid-legacy": "no counter record in the pack"}},
		{name: "one-status", handler: http.HandlerFunc(oneStatus), cfg: Config{Templates: withCounter}, code: 0},
		// A correct receiver audited with the wrong secret.
		{name: "wrong-secret", handler: receivers["correct"], secret: "Zz9@AnotherSecret/2025:QRSxyz#abc",
			want: merge(forged(want{Undecided, CauseInconclusive}), map[string]want{
				"valid-legacy": {Fail, CauseSecretMismatch}, "valid-merged": {Fail, CauseSecretMismatch},
				"profiles": {Fail, CauseSecretMismatch}, "java-numbers": {Fail, CauseSecretMismatch}}),
			code: 1, says: map[string]string{"valid-legacy": "check that the endpoint holds this secret for plug UUID " + plug}},
		{name: "wrong-secret", handler: receivers["correct"], secret: "Zz9@AnotherSecret/2025:QRSxyz#abc", cfg: Config{Templates: withCounter},
			want: merge(forged(want{Undecided, CauseInconclusive}), map[string]want{
				"valid-legacy": {Fail, CauseSecretMismatch}, "valid-merged": {Fail, CauseSecretMismatch}, "java-numbers": {Fail, CauseSecretMismatch}}),
			code: 1},
		// 204 where the destination expects 200: delivered for the platform, a failure for send
		// and audit alike.
		{name: "answers-204", handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			if !sender.Verify(body, sender.NewSecret(secret), r.Header.Get(sender.TokenHeader)) {
				http.Error(w, "invalid token", http.StatusUnauthorized)
				return
			}
			w.WriteHeader(204)
		}), want: map[string]want{"valid-legacy": {Fail, CauseUnexpectedStatus}, "valid-merged": {Fail, CauseUnexpectedStatus},
			"profiles": {Fail, CauseUnexpectedStatus}, "java-numbers": {Fail, CauseUnexpectedStatus}}, code: 1},
		// 201 and nothing stored for the legacy layout: only --confirm sees it.
		{name: "merged-store", handler: store, expect: 201, code: 0,
			says: map[string]string{"valid-legacy": "whether stored is not seen"}},
		{name: "merged-store", handler: store, expect: 201, cfg: Config{Confirm: store.confirm},
			want: map[string]want{"valid-legacy": {Fail, CauseNotStored}, "profiles": {Fail, CauseNotStored}, "java-numbers": {Fail, CauseNotStored}}, code: 1,
			says: map[string]string{"valid-legacy": "is not in the store", "valid-merged": "as --confirm saw"}},
		{name: "merged-store", handler: store, expect: 201, cfg: Config{Confirm: store.confirm, Templates: withCounter},
			// java-numbers adds records to the legacy pack, whose device and time the merged one
			// stored: a confirmation by device and time sees it stored.
			want: map[string]want{"valid-legacy": {Fail, CauseNotStored}}, code: 1},
	} {
		name := tc.name
		if tc.cfg.Templates != nil {
			name += "-with-payload"
		}
		if tc.cfg.Confirm != nil {
			name += "-confirmed"
		}
		t.Run(name, func(t *testing.T) {
			if tc.name == "lora-raw-only" {
				t.Parallel() // waits for its timeouts
			}
			srv := httptest.NewServer(tc.handler)
			defer srv.Close()
			if tc.secret == "" {
				tc.secret = secret
			}
			tc.cfg.Transport = sender.NewHTTPTransport(sender.HTTPOptions{})
			got, code := auditAs(t, srv.URL+"/things", sender.Destination{Secret: sender.NewSecret(tc.secret), ExpectedStatus: tc.expect}, tc.cfg)
			expect(t, got, tc.want)
			if code != tc.code {
				t.Errorf("exit code %d, want %d", code, tc.code)
			}
			for check, s := range tc.says {
				if !strings.Contains(got[check].Message, s) {
					t.Errorf("%s: %q does not say %q", check, got[check].Message, s)
				}
			}
			for _, r := range got {
				if strings.Contains(r.Message, "hash") && r.Cause != CauseReserialised && r.Cause != CauseReserialisedCompatible {
					t.Errorf("%s advises on hashing without evidence of it: %s", r.Name, r.Message)
				}
			}
		})
	}
}
