package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/thingsim/thingsim/internal/docblock"
	"github.com/thingsim/thingsim/internal/tlscheck"
	"github.com/thingsim/thingsim/report"
	"github.com/thingsim/thingsim/sender"
)

var updateDocs = flag.Bool("update", false, "rewrite the samples of docs/")

// TestDocsAuditSample runs the audit example of docs/receivers.md against a receiver that decodes its packs
// and never checks the token, and requires docs/receivers.md's sample to be its output; -update writes it.
// Durations are compared as numbers of the same shape: they vary from run to run.
func TestDocsAuditSample(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var pack []map[string]any
		json.Unmarshal(body, &pack)
		for _, rec := range pack {
			if rec["n"] == "counter" {
				return // stored: the token was never looked at
			}
		}
		http.Error(w, "not one of our devices", http.StatusBadRequest)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	defer srv.Close()
	dir := t.TempDir()
	write := func(name, text string) string { return writeFile(t, dir, name, text) }
	ca := write("ca.pem", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})))
	secret := write("secret", "Kp7#ThingsTestSecret:2024/abcXYZ!")
	body := write("body.json", `[{"bn":"urn:dev:DEVEUI:0004A30B001B714E:","bt":1.7E9},{"n":"counter","v":42.0},{"n":"batteryVoltage","u":"V","v":3.61}]`)
	ios, out, _ := testStreams()
	code := Run(context.Background(), ios, []string{"audit", "--url", srv.URL + "/things", "--relax", "--ca-file", ca, "--secret-file", secret,
		"--plug-uuid", "fbc063cb-4dd4-41b3-917a-e2d1ea907f75", "--backoff", "10ms", "--payload", body, "--skip", "tls"})
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	sample := "```\n$ thingsim audit --destination staging.yaml --payload body.json --skip tls\n" + out.String() + "```\n"

	checkSample(t, "receivers.md", "audit-sample", sample, false)
}

// TestDocsAuditConfirmSample: audit with --confirm against a receiver that answers 201 to every
// valid pack and stores only the merged layout, as a route that drops the legacy one silently does;
// the command asks the receiver's API with curl. docs/usage.md shows the run, and its exit code 1.
func TestDocsAuditConfirmSample(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl is missing: .ci/run installs it (Debian curl)")
	}
	const secretText = "Kp7#ThingsTestSecret:2024/abcXYZ!"
	var mu sync.Mutex
	stored := map[string]bool{}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !sender.Verify(body, sender.NewSecret(secretText), r.Header.Get(sender.TokenHeader)) {
			http.Error(w, "invalid token", http.StatusUnauthorized)
			return
		}
		var pack []map[string]any
		json.Unmarshal(body, &pack)
		if len(pack) > 0 && pack[0]["n"] != nil { // merged: bn and bt on the first measurement
			mu.Lock()
			stored[fmt.Sprint(pack[0]["bn"], "@", pack[0]["bt"])] = true
			mu.Unlock()
		}
		w.WriteHeader(http.StatusCreated)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	defer srv.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		at, _ := strconv.ParseFloat(r.URL.Query().Get("time"), 64)
		mu.Lock()
		ok := stored[fmt.Sprint(r.URL.Query().Get("device"), "@", at)]
		mu.Unlock()
		if !ok {
			http.NotFound(w, r)
		}
	}))
	defer api.Close()
	t.Chdir(t.TempDir()) // the sample names body.json as given
	writeFile(t, ".", "ca.pem", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})))
	writeFile(t, ".", "secret", secretText)
	writeFile(t, ".", "body.json", `[{"bn":"urn:dev:DEVEUI:0004A30B001B714E:","bt":1.7E9},{"n":"counter","v":42.0}]`)
	ca, secret, body := "ca.pem", "secret", "body.json"
	t.Setenv("API", api.URL)
	confirm := `curl -sf "$API/devices?device=$THINGSIM_DEVICE&time=$THINGSIM_TIME"`
	ios, out, _ := testStreams()
	code := Run(context.Background(), ios, []string{"audit", "--url", srv.URL + "/things", "--relax", "--ca-file", ca, "--secret-file", secret,
		"--plug-uuid", "fbc063cb-4dd4-41b3-917a-e2d1ea907f75", "--expect", "201", "--backoff", "10ms", "--payload", body,
		"--only", "valid-legacy,valid-merged,wrong-token", "--confirm", strings.Replace(confirm, "curl", curl, 1), "--confirm-timeout", "2s"})
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	sample := "```\n$ thingsim audit --destination staging.yaml --payload body.json --only valid-legacy,valid-merged,wrong-token \\\n" +
		"    --confirm '" + confirm + "' --confirm-timeout 2s\n" + out.String() + "$ echo $?\n1\n```\n"
	checkSample(t, "usage.md", "audit-confirm-sample", sample, false)
}

// TestDocsJSONIsReportTypes: every line of the JSON sample of docs/reference.md decodes into the
// package report type of its event, with no member the type lacks: the documented output and the
// types a program reads it with are one.
func TestDocsJSONIsReportTypes(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot, "docs", "reference.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	i := strings.Index(text, "<!-- json-sample:")
	j := strings.Index(text, "<!-- end json-sample -->")
	if i < 0 || j < i {
		t.Fatal("docs/reference.md has no json-sample block")
	}
	n := 0
	for _, line := range strings.Split(text[i:j], "\n") {
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var kind struct{ Event string }
		json.Unmarshal([]byte(line), &kind)
		var v any
		switch kind.Event {
		case "attempt":
			v = &report.Attempt{}
		case "message":
			v = &report.Message{}
		case "summary":
			v = &report.Summary{}
		default:
			t.Fatalf("an event of no known kind: %s", line)
		}
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(v); err != nil {
			t.Errorf("%s: %v", line, err)
		}
		n++
	}
	if n == 0 {
		t.Error("the JSON sample holds no event")
	}
}

// TestDocsTLSKinds: docs/receivers.md names every kind of check-tls's reasons and warnings.
func TestDocsTLSKinds(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot, "docs", "receivers.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range tlscheck.Kinds {
		if !strings.Contains(string(b), "`"+k+"`") {
			t.Errorf("docs/receivers.md does not name the check-tls kind %s", k)
		}
	}
}

// TestCIExamplesCannotDrift: the CI examples install the newest Go rather than a release of
// their own, and leave it to the go command to fetch the release go.mod asks for, so that they
// cannot fall behind it (as they once pinned Go 1.24 while go.mod needed 1.25).
func TestCIExamplesCannotDrift(t *testing.T) {
	for file, want := range map[string]string{
		"../examples/ci/github-actions.yml": "with: {go-version: stable}",
		"../examples/ci/gitlab-ci.yml":      "image: golang:1 ",
	} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), want) {
			t.Errorf("%s pins a Go release of its own (want %q)", file, want)
		}
		if m := regexp.MustCompile(`go-version: "?\d|golang:\d+\.\d+|GOTOOLCHAIN=(go|local)`).Find(b); m != nil {
			t.Errorf("%s pins a Go release: %s", file, m)
		}
	}
}

// TestDocsUsageSamples runs the commands of docs/usage.md's samples that give the same output on
// every run, and requires each sample to be their output; -update writes them.
func TestDocsUsageSamples(t *testing.T) {
	t.Chdir(t.TempDir())
	docBody := `[{"bn":"urn:dev:DEVEUI:0000000000000000:","bt":1.58565075E9},{"n":"temperature","v":21.22,"u":"Celsius"}]`
	for name, text := range map[string]string{
		"doc-body.json": docBody,
		"body.json":     docBody,
		"doc-secret":    "C03fajLBWj$nbvOnQlV9N49zVFEobV#",
		"secret":        "C03fajLBWj$nbvOnQlV9N49zVFEobV#xx",
		"password":      "hunter2",
		"dest.yaml": "name: Example\nurl: https://www.example.com/thingsdata\nhttpMethod: POST\n" +
			"additionalHeaders: {Test-header: Hello world}\nauthentication: {method: basic, username: alice, passwordFile: password}\n" +
			"sharedSecretFile: secret\nplugUUID: fbc063cb-4dd4-41b3-917a-e2d1ea907f75\n",
		"bad.yaml": "name: Broken\nurl: http://example.com:8080/x\nhttpMethod: PUT\nadditionalHeaders:\n  Test header: Hello world\n" +
			"  Things-Message-Token: forged\nexpectedResponseCode: 500\nsharedSecretFile: doc-secret\nplugUUID: plug-1\n",
	} {
		if err := os.WriteFile(name, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// run runs a command line as a user types it and returns it with its output, as a sample shows
	// them; want is its exit code.
	run := func(line string, want int) string {
		ios, out, _ := testStreams()
		args := strings.Fields(strings.TrimPrefix(line, "thingsim "))
		if code := Run(context.Background(), ios, args); code != want {
			t.Fatalf("%s: exit %d, want %d:\n%s", line, code, want, out)
		}
		return "$ " + line + "\n" + out.String()
	}
	token := "a7939780a487b036d5f41edf29ee3e087b14c121302e321326865255de8ea9c9"
	samples := map[string]string{
		"dry-run-sample":   run("thingsim send --destination dest.yaml --payload doc-body.json --dry-run", 0),
		"gen-sample":       run("thingsim gen --count 2 --devices 2 --profile lora-raw --seed 7 --now 2026-01-02T03:04:05Z", 0),
		"gen-exact-sample": run("thingsim gen --device urn:dev:DEVEUI:0000000000000000: --now 1585650750 --measure temperature=21.22:Celsius", 0),
		"sign-sample": "$ printf '%s' '" + docBody + "' > body.json\n" +
			run("thingsim sign --secret-file doc-secret body.json", 0) +
			run("thingsim verify --secret-file doc-secret --token "+token+" body.json", 0),
		"validate-sample": run("thingsim validate --destination bad.yaml", 2),
	}
	for name, sample := range samples {
		checkSample(t, "usage.md", name, "```\n"+sample+"```\n", true)
	}
}

// repoRoot is the repository's folder, found from this package's before a test changes folder.
var repoRoot = func() string { d, _ := filepath.Abs(".."); return d }()

// TestDocsDemoSample runs the demo and requires docs/usage.md's sample to be an excerpt of its
// output: the introduction, the message that is retried, and the summary. Ports, tokens (the demo's
// secret is random) and durations vary from run to run and are not compared.
func TestDocsDemoSample(t *testing.T) {
	ios, out, errOut := testStreams()
	line := "thingsim demo --now 1767323045"
	if code := Run(t.Context(), ios, strings.Fields(line)[1:]); code != 0 {
		t.Fatalf("exit %d:\n%s%s", code, out, errOut)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	var excerpt []string
	retried := false
	i := 0
	for ; i < len(lines) && !strings.HasPrefix(lines[i], "── message #"); i++ {
		excerpt = append(excerpt, lines[i]) // the introduction
	}
	for i < len(lines) && strings.HasPrefix(lines[i], "── message #") {
		// A message's block ends with its outcome line; the first one retried is kept whole.
		start := i
		for i < len(lines) && !strings.HasPrefix(lines[i], "✓ #") && !strings.HasPrefix(lines[i], "✗ #") {
			i++
		}
		block := lines[start:min(i+1, len(lines))]
		if !retried && strings.Contains(strings.Join(block, "\n"), "the platform retries") {
			excerpt, retried = append(append(excerpt, block...), "..."), true
		}
		for i++; i < len(lines) && lines[i] == ""; i++ {
		}
	}
	excerpt = append(excerpt, lines[i:]...) // the summary
	if !retried || errOut.Len() > 0 {
		t.Fatalf("no retried message in the demo's output, or output on stderr:\n%s%s", out, errOut)
	}
	sample := "```\n$ " + line + "\n" + strings.Join(excerpt, "\n") + "\n```\n"
	checkSample(t, "usage.md", "demo-sample", sample, false)
}

// TestDocsSendReceiveReplay runs the scenario of docs/usage.md's send, receive and replay samples:
// receive checks and captures what send delivers (answering the second request 503), and replay
// sends the capture again, re-signed with a rotated secret, to a second receiver. Each sample is
// the command and its output, standard error and output as a terminal shows them; ports, times,
// plug UUIDs, tokens and durations vary from run to run and are not compared.
func TestDocsSendReceiveReplay(t *testing.T) {
	t.Chdir(t.TempDir())
	writeFile(t, ".", "secret", "Kp7#ThingsTestSecret:2024/abcXYZ!")
	writeFile(t, ".", "rotated-secret", "Zz9@RotatedSecret/2026:QRSxyz#abc!")
	run := func(args ...string) string {
		var buf bytes.Buffer
		Run(t.Context(), &IOStreams{In: strings.NewReader(""), Out: &buf, ErrOut: &buf, ColorMode: "never"}, args)
		return buf.String()
	}
	url, stopFirst := startReceive(t, "url", "--secret-file", "secret", "--ca-out", "ca.pem", "--capture", "capture.jsonl", "--respond", "200,503,200")
	sendOut := run("send", "--url", url+"/thingsdata", "--ca-file", "ca.pem", "--relax", "--secret-file", "secret",
		"--count", "4", "--devices", "2", "--backoff", "200ms", "-H", "Test-header: Hello world", "--now", "1767323045")
	receiveOut := stopFirst()
	staging, stopSecond := startReceive(t, "staging-url", "--secret-file", "rotated-secret", "--ca-out", "staging-ca.pem")
	replayOut := run("replay", "--url", staging+"/thingsdata", "--ca-file", "staging-ca.pem", "--relax", "--secret-file", "rotated-secret", "capture.jsonl")
	stopSecond()

	capture, err := os.ReadFile("capture.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	firstRecord, _, _ := strings.Cut(string(capture), "\n")
	// The receiver's lines, up to the summary it prints when stopped, after which a terminal shows ^C.
	receiveOut = strings.Replace(receiveOut, "\nreceived ", "\n^C\nreceived ", 1)
	samples := map[string]string{
		"send-sample": "$ thingsim send --url " + url + "/thingsdata --ca-file ca.pem --relax --secret-file secret \\\n" +
			"    --count 4 --devices 2 --backoff 200ms -H 'Test-header: Hello world' --now 1767323045\n" + sendOut,
		"receive-sample": "$ thingsim receive --secret-file secret --ca-out ca.pem --capture capture.jsonl --respond 200,503,200\n" + receiveOut,
		"capture-sample": firstRecord + "\n",
		"replay-sample":  "$ thingsim replay --url " + staging + "/thingsdata --ca-file staging-ca.pem --relax --secret-file rotated-secret capture.jsonl\n" + replayOut,
	}
	for name, want := range map[string]string{"send-sample": "✓ 4 messages: 4 delivered", "receive-sample": "token valid → 503", "replay-sample": "✓ 5 messages: 5 delivered"} {
		if !strings.Contains(samples[name], want) {
			t.Fatalf("%s lacks %q:\n%s", name, want, samples[name])
		}
	}
	for name, sample := range samples {
		fence := "```\n"
		if name == "capture-sample" {
			fence = "```json\n"
		}
		checkSample(t, "usage.md", name, fence+sample+"```\n", false)
	}
}

// TestDocsLoadSample runs docs/load.md's open-loop sample against the reference receiver: the
// summary on standard output (warnings go to standard error). Latencies, the achieved rate and the
// port vary from run to run and are not compared; the count is the schedule's.
func TestDocsLoadSample(t *testing.T) {
	t.Chdir(t.TempDir())
	writeFile(t, ".", "secret", "Kp7#ThingsTestSecret:2024/abcXYZ!")
	url, stop := startReceive(t, "url", "--secret-file", "secret", "--ca-out", "ca.pem")
	defer stop()
	ios, out, errOut := testStreams()
	args := []string{"send", "--url", url + "/things", "--ca-file", "ca.pem", "--relax", "--secret-file", "secret",
		"--devices", "5000", "--rate", "500/s", "--duration", "2s"}
	if code := Run(t.Context(), ios, args); code != 0 {
		t.Fatalf("exit %d:\n%s%s", code, out, errOut)
	}
	sample := "```\n$ thingsim send --url " + url + "/things --ca-file ca.pem --relax --secret-file secret \\\n" +
		"    --devices 5000 --rate 500/s --duration 2s\n" + out.String() + "```\n"
	checkSample(t, "load.md", "load-sample", sample, false)
}

// TestDocsJSONAndDeadLetters writes docs/reference.md's samples of JSON output and of a dead letter
// from runs against the reference receiver: one message answered 503 then 200, and one answered 500
// three times. Timings, ports, tokens, UUIDs and times vary and are not compared.
func TestDocsJSONAndDeadLetters(t *testing.T) {
	t.Chdir(t.TempDir())
	writeFile(t, ".", "secret", "Kp7#ThingsTestSecret:2024/abcXYZ!")
	outputs := map[string]string{}
	for _, c := range []struct{ name, respond string }{{"json", "503,200"}, {"dead", "500"}} {
		url, stop := startReceive(t, c.name+"-url", "--secret-file", "secret", "--ca-out", c.name+"-ca.pem", "--respond", c.respond)
		ios, out, _ := testStreams()
		Run(t.Context(), ios, []string{"send", "--url", url + "/thingsdata", "--ca-file", c.name + "-ca.pem", "--relax", "--secret-file", "secret",
			"--backoff", "10ms", "--output", "json", "--now", "1767323045", "--plug-uuid", "fbc063cb-4dd4-41b3-917a-e2d1ea907f75", "--dead-letter", "dead.jsonl"})
		stop()
		outputs[c.name] = out.String()
	}
	dead, err := os.ReadFile("dead.jsonl")
	if err != nil || !strings.Contains(string(dead), `"outcome":"discarded"`) {
		t.Fatalf("no dead letter: %v %s", err, dead)
	}
	for name, sample := range map[string]string{"json-sample": outputs["json"], "dead-letter-sample": string(dead)} {
		checkSample(t, "reference.md", name, "```json\n"+sample+"```\n", false)
	}
}

// TestDocsCheckTLSSample writes docs/receivers.md's check-tls sample from a run against the
// reference receiver, judged by the Java trust store .ci/run installs. Ports and the certificate's
// dates vary and are not compared.
func TestDocsCheckTLSSample(t *testing.T) {
	if _, err := os.Stat("/etc/ssl/certs/java/cacerts"); err != nil {
		t.Skip("the Java trust store is missing: .ci/run installs it (Debian ca-certificates-java)")
	}
	t.Chdir(t.TempDir())
	writeFile(t, ".", "secret", "Kp7#ThingsTestSecret:2024/abcXYZ!")
	url, stop := startReceive(t, "url", "--secret-file", "secret", "--ca-out", "ca.pem")
	defer stop()
	ios, out, _ := testStreams()
	if code := Run(t.Context(), ios, []string{"check-tls", url + "/things", "--relax"}); code != 1 {
		t.Fatalf("exit %d, want 1 (refused):\n%s", code, out)
	}
	sample := "```\n$ thingsim check-tls " + url + "/things --relax\n" + out.String() + "```\n"
	checkSample(t, "receivers.md", "check-tls-sample", sample, false)
}

// startReceive runs thingsim receive in the test's folder with args, listening on a free port of
// 127.0.0.1, until stop, as a user stops it with Ctrl-C. It returns the endpoint's base URL, which
// the receiver writes to urlFile, and stop, which returns what the receiver printed.
func startReceive(t *testing.T, urlFile string, args ...string) (url string, stop func() string) {
	t.Helper()
	buf := newLockedBuffer()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	args = append(append([]string{"receive"}, args...), "--listen", "127.0.0.1:0", "--url-out", urlFile)
	go func() {
		Run(ctx, &IOStreams{In: strings.NewReader(""), Out: buf, ErrOut: buf, ColorMode: "never"}, args)
		close(done)
	}()
	return waitFile(t, urlFile), func() string {
		cancel()
		<-done
		return buf.String()
	}
}

// variesByRun is what differs from one run of a command to the next: times and dates, ports, plug
// UUIDs, tokens (a run's secret may be random), durations, rates and the figures of JSON events.
var variesByRun = regexp.MustCompile(`"time":"[^"]+"|\d{4}-\d\d-\d\d|\d\d:\d\d:\d\d\.\d+|\d+ days?|\d+ runs|` +
	`127\.0\.0\.1:\d+|port \d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{64}|` +
	`\d+(\.\d+)?(ms|µs|s)\b|\d+(\.\d+)? messages/s|"(duration_ms|latency_ms|p50|p90|p99|p99_9|max|duration_s|rate)":[\d.]+`)

// checkSample requires the block name of docs/doc to be sample, byte for byte when exact, else but
// for what varies by run; -update writes it.
func checkSample(t *testing.T, doc, name, sample string, exact bool) {
	t.Helper()
	compare := func(s string) string { return variesByRun.ReplaceAllString(s, "…") }
	if exact {
		compare = nil
	}
	if err := docblock.Check(filepath.Join(repoRoot, "docs", doc), name, sample, *updateDocs, compare); err != nil {
		t.Error(err)
	}
}

// TestDocsInspectorSample: the answer of the inspector's GET /api/messages in docs/reference.md.
func TestDocsInspectorSample(t *testing.T) {
	t.Chdir(t.TempDir())
	writeFile(t, ".", "secret", "Kp7#ThingsTestSecret:2024/abcXYZ!")
	url, stop := startReceive(t, "url", "--secret-file", "secret", "--ca-out", "ca.pem", "--ui", "--ui-listen", "127.0.0.1:0", "--ui-url-out", "ui")
	defer stop()
	var out bytes.Buffer
	if code := Run(t.Context(), &IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &out, ColorMode: "never"},
		[]string{"send", "--url", url + "/thingsdata", "--ca-file", "ca.pem", "--relax", "--secret-file", "secret", "--count", "1", "--now", "1767323045"}); code != 0 {
		t.Fatalf("send: exit %d\n%s", code, &out)
	}
	ui := strings.TrimSpace(waitFile(t, "ui"))
	resp, err := http.Get(ui + "api/messages")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, body, "", "  "); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	if !strings.Contains(pretty.String(), `"verdict": "valid"`) {
		t.Fatalf("no valid arrival:\n%s", &pretty)
	}
	checkSample(t, "reference.md", "inspector-api-sample", "```\n$ curl -s "+ui+"api/messages\n"+pretty.String()+"```\n", false)
}
