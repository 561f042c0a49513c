package audit

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
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
			http.Error(w, "no counter record: not one of our devices", 400)
		}
	},
	// checks the token, then the content.
	"token-then-content": func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch {
		case !sender.Verify(body, sender.NewSecret(secret), r.Header.Get(sender.TokenHeader)):
			http.Error(w, "invalid token", 401)
		case !hasCounter(body):
			http.Error(w, "no counter record", 400)
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
			http.Error(w, "invalid token", 403)
		case !hasCounter(body):
			http.Error(w, "no counter record", 400)
		}
	},
	// checks the token, then reads the first measurement at pack[1], as the legacy layout has it.
	"positional": func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !sender.Verify(body, sender.NewSecret(secret), r.Header.Get(sender.TokenHeader)) {
			http.Error(w, "invalid token", 401)
			return
		}
		if n := names(body); len(n) < 2 || n[1] != "counter" && n[1] != "temperature" {
			http.Error(w, "pack[1] is not a measurement we know", 400)
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
	d := &sender.Destination{Name: "audit", URL: url, Secret: sender.NewSecret(secret), PlugUUID: plug}
	if _, err := d.Check(true); err != nil {
		t.Fatal(err)
	}
	cfg.Destination, cfg.Backoff, cfg.Now = d, []time.Duration{time.Millisecond}, time.Unix(1767323045, 0)
	results, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]Result{}
	for _, r := range results {
		byName[r.Name] = r
	}
	return byName
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
		{"content-no-token", nil, merge(forged(want{Fail, CauseInconclusive}), map[string]want{
			"valid-legacy": {Fail, CauseInconclusive}, "valid-merged": {Fail, CauseInconclusive},
			"profiles": {Fail, CauseInconclusive}, "java-numbers": {Fail, CauseInconclusive}})},
		// Given a pack it accepts, its missing token check shows.
		{"content-no-token", withCounter, merge(forged(want{Fail, CauseTokenNotChecked}), map[string]want{
			"other-secret": {Fail, CauseWrongSecretAccepted}, "tampered-body": {Fail, CauseBodyNotChecked}})},
		// The token verifies, the content is refused: said so, and the forged checks pass.
		{"token-then-content", nil, map[string]want{
			"valid-legacy": {Fail, CauseContentRefused}, "valid-merged": {Fail, CauseContentRefused},
			"profiles": {Warn, CauseContentRefused}, "java-numbers": {Warn, CauseContentRefused}}},
		{"token-then-content", withCounter, nil},
		// Hashes re-serialised JSON and refuses the re-serialised form for its content: the changed
		// status proves the re-serialisation; nothing was accepted, so the forged checks cannot tell.
		{"reserialises-then-content", nil, merge(forged(want{Fail, CauseInconclusive}), map[string]want{
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
	for _, templates := range [][]Template{nil, withCounter} {
		got := auditURL(t, url, sender.NewHTTPTransport(sender.HTTPOptions{}), templates)
		expect(t, got, map[string]want{"byte-variants": {Warn, CauseReserialisedCompatible}, "uppercase-token": {Warn, CauseCaseSensitiveToken}})
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
