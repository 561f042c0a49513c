package cmd

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/thingsim/thingsim/sender"
)

// countingEndpoint verifies every token and counts each distinct body.
type countingEndpoint struct {
	*httptest.Server
	secret  sender.Secret
	mu      sync.Mutex
	bodies  map[[32]byte]int
	invalid atomic.Int64
	total   atomic.Int64
}

func newCountingEndpoint(t *testing.T, secret string) (*countingEndpoint, string) {
	e := &countingEndpoint{secret: sender.NewSecret(secret), bodies: map[[32]byte]int{}}
	e.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		e.total.Add(1)
		if !sender.Verify(body, e.secret, r.Header.Get(sender.TokenHeader)) {
			e.invalid.Add(1)
			w.WriteHeader(401)
			return
		}
		e.mu.Lock()
		e.bodies[sha256.Sum256(body)]++
		e.mu.Unlock()
	}))
	e.Config.ErrorLog = log.New(io.Discard, "", 0)
	e.StartTLS()
	t.Cleanup(e.Close)
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: e.Certificate().Raw}), 0o644)
	os.WriteFile(filepath.Join(dir, "secret"), []byte(secret+"\n"), 0o600)
	return e, dir
}

type jsonLines struct {
	messages map[int]string
	summary  map[string]any
}

func parseJSONLines(t *testing.T, out []byte) jsonLines {
	j := jsonLines{messages: map[int]string{}}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var ev map[string]any
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("not a JSON line: %q", sc.Text())
		}
		switch ev["event"] {
		case "message":
			idx := int(ev["message"].(float64))
			if _, dup := j.messages[idx]; dup {
				t.Fatalf("message %d reported twice", idx)
			}
			j.messages[idx] = ev["outcome"].(string)
		case "summary":
			j.summary = ev
		}
	}
	return j
}

// TestLoadEveryMessageOnce: 20,000 generated messages at concurrency 32 each reach the endpoint
// exactly once with a valid token, and the outcomes add up.
func TestLoadEveryMessageOnce(t *testing.T) {
	const n = 20000
	e, dir := newCountingEndpoint(t, "Kp7#ThingsTestSecret:2024/abcXYZ!")
	ios, out, errOut := testStreams()
	code := Run(context.Background(), ios, []string{"send", "--url", e.URL + "/things", "--ca-file", filepath.Join(dir, "ca.pem"), "--relax",
		"--secret-file", filepath.Join(dir, "secret"), "--count", "20000", "--devices", "5000", "--concurrency", "32", "--output", "json"})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	j := parseJSONLines(t, out.Bytes())
	if len(j.messages) != n || j.summary["messages"].(float64) != n || j.summary["delivered"].(float64) != n {
		t.Fatalf("%d message lines, summary %v", len(j.messages), j.summary)
	}
	if e.invalid.Load() != 0 || e.total.Load() != n || len(e.bodies) != n {
		t.Fatalf("endpoint: %d requests, %d invalid, %d distinct bodies", e.total.Load(), e.invalid.Load(), len(e.bodies))
	}
	for _, c := range e.bodies {
		if c != 1 {
			t.Fatal("a body arrived twice")
		}
	}
}

// TestLoadInterruptLosesNoResult: Ctrl-C in the middle of a closed-loop run; every message started
// has its line, the summary adds up, and no more messages reached the endpoint than were reported.
func TestLoadInterruptLosesNoResult(t *testing.T) {
	e, dir := newCountingEndpoint(t, "Kp7#ThingsTestSecret:2024/abcXYZ!")
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for e.total.Load() < 2000 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	ios, out, errOut := testStreams()
	code := Run(ctx, ios, []string{"send", "--url", e.URL + "/things", "--ca-file", filepath.Join(dir, "ca.pem"), "--relax",
		"--secret-file", filepath.Join(dir, "secret"), "--count", "1e6", "--concurrency", "16", "--output", "json", "--grace", "2s"})
	if code != exitInterrupted {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	j := parseJSONLines(t, out.Bytes())
	total := int(j.summary["messages"].(float64))
	if total < 2000 || len(j.messages) != total {
		t.Fatalf("%d message lines for %d messages in the summary", len(j.messages), total)
	}
	sum := 0
	for _, k := range []string{"delivered", "unexpected_status", "discarded", "interrupted"} {
		sum += int(j.summary[k].(float64))
	}
	if sum != total {
		t.Fatalf("outcomes add up to %d, not %d: %v", sum, total, j.summary)
	}
	if got := int(e.total.Load()); got > total || int(j.summary["delivered"].(float64)) > got {
		t.Fatalf("the endpoint got %d requests; %d messages reported, %v delivered", got, total, j.summary["delivered"])
	}
	if !strings.Contains(errOut.String(), "stopped: not sent:") {
		t.Fatalf("no note of what was not sent: %s", errOut)
	}
}

// TestOpenLoopRun: 400 messages at 2000/s take about 0.2 s and all arrive; the summary
// reports latencies from the intended send times. (No timing is asserted: the schedule's own
// arithmetic is unit-tested in internal/run.)
func TestOpenLoopRun(t *testing.T) {
	e, dir := newCountingEndpoint(t, "Kp7#ThingsTestSecret:2024/abcXYZ!")
	ios, out, errOut := testStreams()
	csv := filepath.Join(dir, "lat.csv")
	code := Run(context.Background(), ios, []string{"send", "--url", e.URL + "/things", "--ca-file", filepath.Join(dir, "ca.pem"), "--relax",
		"--secret-file", filepath.Join(dir, "secret"), "--rate", "2000/s", "--count", "400", "--devices", "50", "--latency-csv", csv,
		"--plot", filepath.Join(dir, "lat.png")})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if e.total.Load() != 400 || !strings.Contains(out.String(), "✓ 400 messages: 400 delivered") || !strings.Contains(out.String(), "p99.9") {
		t.Fatalf("%d requests; output:\n%s", e.total.Load(), out)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "lat.png")); err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) {
		t.Fatalf("plot: %v", err)
	}
	b, err := os.ReadFile(csv)
	if err != nil || !strings.HasPrefix(string(b), "percentile,latency_ms,count\n") || !strings.Contains(string(b), ",400\n") {
		t.Fatalf("latency CSV: %v\n%s", err, b)
	}
	for _, bad := range [][]string{{"--rate", "fast"}, {"--rate", "10/fortnight"}, {"--rate", "100/s"}, {"--plot", "x.jpg"}, {"--burst", "1h", "--count", "3"}} {
		ios, _, errOut := testStreams()
		if code := Run(context.Background(), ios, append([]string{"send", "--url", e.URL, "--secret-file", filepath.Join(dir, "secret"), "--relax"}, bad...)); code != 2 {
			t.Errorf("%v: exit %d: %s", bad, code, errOut)
		}
	}
}

// TestInterruptStartsNothingNew: Ctrl-C in an open loop whose queue is full; no message starts
// after the signal (only the ones in flight may still arrive), and the queued ones are reported
// not sent instead of being sent during the grace period.
func TestInterruptStartsNothingNew(t *testing.T) {
	var total, afterSignal atomic.Int64
	var stopped atomic.Bool
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		total.Add(1)
		if stopped.Load() {
			afterSignal.Add(1)
		}
		time.Sleep(20 * time.Millisecond) // slower than the rate: the queue fills
	}))
	ca, secret := startTLS(t, srv)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for total.Load() < 40 {
			time.Sleep(time.Millisecond)
		}
		stopped.Store(true)
		cancel()
	}()
	ios, out, errOut := testStreams()
	const concurrency = 4
	code := Run(ctx, ios, []string{"send", "--url", srv.URL + "/things", "--ca-file", ca, "--relax", "--secret-file", secret,
		"--rate", "2000/s", "--count", "3000", "--concurrency", fmt.Sprint(concurrency), "--output", "json", "--grace", "2s"})
	if code != exitInterrupted {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	j := parseJSONLines(t, out.Bytes())
	if n := afterSignal.Load(); n > concurrency {
		t.Errorf("%d requests arrived after the signal; at most the %d in flight may", n, concurrency)
	}
	if got, reported := total.Load(), int64(j.summary["messages"].(float64)); got != reported || j.summary["attempts"].(float64) != float64(reported) {
		t.Errorf("the endpoint got %d requests, the summary reports %d messages and %v attempts", got, reported, j.summary["attempts"])
	}
	if ns, _ := j.summary["not_sent"].(string); !strings.HasSuffix(ns, "generated messages") {
		t.Errorf("not sent: %q", ns)
	}
}

// TestSequentialLatencyIsTheMessagesOwn: in a closed loop at concurrency 1, a message after one
// that waited 300 ms to be retried reports its own time, not that wait.
func TestSequentialLatencyIsTheMessagesOwn(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if n.Add(1) == 1 {
			w.WriteHeader(503)
		}
	}))
	ca, secret := startTLS(t, srv)
	ios, out, errOut := testStreams()
	if code := Run(context.Background(), ios, []string{"send", "--url", srv.URL + "/things", "--ca-file", ca, "--relax",
		"--secret-file", secret, "--count", "2", "--backoff", "300ms", "--output", "json"}); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var latency, attempt []float64
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		var ev struct {
			Event      string  `json:"event"`
			Message    int     `json:"message"`
			LatencyMS  float64 `json:"latency_ms"`
			DurationMS float64 `json:"duration_ms"`
		}
		json.Unmarshal(sc.Bytes(), &ev)
		switch {
		case ev.Event == "message":
			latency = append(latency, ev.LatencyMS)
		case ev.Event == "attempt" && ev.Message == 1:
			attempt = append(attempt, ev.DurationMS)
		}
	}
	// The second message's latency is its one attempt, give or take the bookkeeping around it;
	// counted from before its hand-off it would hold the first message's 300 ms backoff.
	if len(latency) != 2 || len(attempt) != 1 || latency[0] < 300 || latency[1] > attempt[0]+100 {
		t.Fatalf("latencies %v ms, message 1's attempt %v ms", latency, attempt)
	}
}

// startTLS starts srv over TLS, quiet, until the test ends, and writes its CA and a secret for the
// command line: their paths.
func startTLS(t *testing.T, srv *httptest.Server) (ca, secret string) {
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	ca, secret = filepath.Join(dir, "ca.pem"), filepath.Join(dir, "secret")
	os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644)
	os.WriteFile(secret, []byte("Kp7#ThingsTestSecret:2024/abcXYZ!\n"), 0o600)
	return ca, secret
}
