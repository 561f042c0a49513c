package cmd

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The credentials of TestNoCredentialLeaks: the shared secret, a basic-auth password, a bearer
// token and an API key, each with characters that JSON, URLs and Go quote differently.
const (
	leakSecret   = `Kp7#Leak/Secret+Value:2024="xyz"&!`
	leakPassword = `pw/Leak+Pass:word%41"9`
	leakBearer   = `tok.Leak+Bearer/Token==42`
	leakAPIKey   = `key-Leak+API/Key&value=7`
)

// leakForms are the forms in which a credential could escape: as it is, escaped for JSON, Go, URLs
// and HTML, in base64 and hex, as a basic-auth pair, and its halves.
func leakForms(c string) map[string]string {
	js, _ := json.Marshal(c)
	forms := map[string]string{
		"raw":             c,
		"JSON":            strings.Trim(string(js), `"`),
		"Go %q":           strings.Trim(fmt.Sprintf("%q", c), `"`),
		"query escaped":   url.QueryEscape(c),
		"path escaped":    url.PathEscape(c),
		"base64":          base64.StdEncoding.EncodeToString([]byte(c)),
		"base64 raw URL":  base64.RawURLEncoding.EncodeToString([]byte(c)),
		"hex":             hex.EncodeToString([]byte(c)),
		"HEX":             strings.ToUpper(hex.EncodeToString([]byte(c))),
		"basic pair":      base64.StdEncoding.EncodeToString([]byte("leaky:" + c)),
		"first half":      c[:len(c)/2],
		"second half":     c[len(c)/2:],
		"JSON first half": strings.Trim(string(js), `"`)[:len(c)/2],
	}
	return forms
}

// TestNoCredentialLeaks runs the commands that handle credentials against a real receiver and an
// endpoint that echoes everything it gets back, in text and JSON, with dead letters, captures,
// JUnit and latency files, and searches every output and file for every form of every credential.
func TestNoCredentialLeaks(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string { return writeFile(t, dir, name, text) }
	secret := write("secret", leakSecret)
	password := write("password", leakPassword)
	bearer := write("bearer", leakBearer)
	apiKey := write("apikey", leakAPIKey)

	// The echo endpoint answers 500 with the request's headers and body, and 200 to one in three.
	var mu sync.Mutex
	n := 0
	echo := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var b bytes.Buffer
		r.Header.Write(&b)
		b.Write(body)
		w.Header().Set("X-Echo-Authorization", r.Header.Get("Authorization"))
		w.Header().Set("X-Echo-Key", r.Header.Get("X-Key"))
		mu.Lock()
		n++
		status := 500
		if n%3 == 0 {
			status = 200
		}
		mu.Unlock()
		w.WriteHeader(status)
		w.Write(b.Bytes())
	}))
	t.Cleanup(echo.Close)
	echoCA := write("echo-ca.pem", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: echo.Certificate().Raw})))

	// The reference receiver, capturing, stopped at the end.
	recvURL, stopReceiver := startReceive(t, filepath.Join(dir, "url"), "--secret-file", secret, "--capture", filepath.Join(dir, "capture.jsonl"),
		"--ca-out", filepath.Join(dir, "ca.pem"), "--redact-header", "X-Key", "--respond", "500,200",
		"--ui", "--ui-listen", "127.0.0.1:0", "--ui-url-out", filepath.Join(dir, "ui-url"))
	recvCA := filepath.Join(dir, "ca.pem")

	outputs := map[string]string{}
	run := func(name string, stdin string, args ...string) {
		var out, errOut bytes.Buffer
		Run(context.Background(), &IOStreams{In: strings.NewReader(stdin), Out: &out, ErrOut: &errOut}, args)
		outputs[name+" stdout"] = out.String()
		outputs[name+" stderr"] = errOut.String()
	}
	fast := []string{"--timeouts", "2s", "--backoff", "10ms", "--relax"}
	run("send json", "", append([]string{"send", "--url", recvURL + "/things", "--secret-file", secret, "--ca-file", recvCA, "--count", "3",
		"--auth", "bearer", "--auth-secret-file", bearer, "--output", "json", "--latency-csv", filepath.Join(dir, "lat.csv")}, fast...)...)
	run("send basic to echo", "", append([]string{"send", "--url", echo.URL + "/things", "--secret-file", secret, "--ca-file", echoCA, "--count", "4",
		"--auth", "basic", "--auth-user", "leaky", "--auth-secret-file", password, "--attempts", "2", "--dead-letter", filepath.Join(dir, "dead.jsonl")}, fast...)...)
	run("send api key to echo, json", "", append([]string{"send", "--url", echo.URL + "/things", "--secret-file", secret, "--ca-file", echoCA, "--count", "2",
		"--auth", "x-api-key", "--api-key-header", "X-Key", "--auth-secret-file", apiKey, "--output", "json", "--engine", "net/http",
		"--attempts", "2", "--dead-letter", filepath.Join(dir, "dead.jsonl")}, fast...)...)
	run("send dry run", "", append([]string{"send", "--url", recvURL + "/things", "--secret-file", secret, "--dry-run", "--output", "json",
		"--auth", "basic", "--auth-user", "leaky", "--auth-secret-file", password}, fast...)...)
	run("send secret on stdin", leakSecret, append([]string{"send", "--url", recvURL + "/things", "--secret-file", "-", "--ca-file", recvCA}, fast...)...)
	run("audit json", "", append([]string{"audit", "--url", recvURL + "/things", "--secret-file", secret, "--ca-file", recvCA, "--output", "json",
		"--junit", filepath.Join(dir, "audit.xml"), "--auth", "x-api-key", "--api-key-header", "X-Key", "--auth-secret-file", apiKey, "--skip", "latency"}, fast...)...)
	run("audit echo", "", append([]string{"audit", "--url", echo.URL + "/things", "--secret-file", secret, "--ca-file", echoCA,
		"--auth", "bearer", "--auth-secret-file", bearer, "--only", "valid-legacy,wrong-token"}, fast...)...)
	run("replay capture", "", append([]string{"replay", filepath.Join(dir, "capture.jsonl"), "--url", recvURL + "/things", "--secret-file", secret,
		"--ca-file", recvCA, "--keep-headers", "--output", "json"}, fast...)...)
	run("replay dead letters dry", "", append([]string{"replay", filepath.Join(dir, "dead.jsonl"), "--url", recvURL + "/things", "--secret-file", secret,
		"--dry-run", "--keep-headers"}, fast...)...)
	run("sign", `[{"bn":"urn:dev:x:"}]`, "sign", "--secret-file", secret, "-")
	run("verify near miss", `[{"bn":"urn:dev:x:"}]`+"\n", "verify", "--secret-file", secret, "--token", strings.Repeat("ab", 32), "-")
	run("validate with a password in the URL", "", "validate", "--url", "https://leaky:"+url.PathEscape(leakPassword)+"@example.com/things",
		"--secret-file", secret, "--relax")
	run("secret on the command line", "", "send", "--url", recvURL+"/things", "--secret", leakSecret, "--dry-run", "--relax")

	// Everything the inspector page and its API give of what the receiver got.
	ui := strings.TrimSpace(waitFile(t, filepath.Join(dir, "ui-url")))
	fetch := func(path string) string {
		resp, err := http.Get(ui + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		outputs["inspector "+path] = string(b)
		return string(b)
	}
	fetch("")
	fetch("api/answer")
	var list struct{ Messages []struct{ ID int64 } }
	json.Unmarshal([]byte(fetch("api/messages?limit=10000")), &list)
	if len(list.Messages) == 0 {
		t.Error("the inspector shows no message")
	}
	for _, m := range list.Messages {
		fetch(fmt.Sprintf("api/messages/%d", m.ID))
		fetch(fmt.Sprintf("api/messages/%d/record", m.ID))
	}
	outputs["receive output"] = stopReceiver()

	// The files written: captures, dead letters, JUnit, latency; not the credential files given.
	given := map[string]bool{"secret": true, "password": true, "bearer": true, "apikey": true}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if !given[e.Name()] {
			b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
			outputs["file "+e.Name()] = string(b)
		}
	}
	for _, want := range []string{"file capture.jsonl", "file dead.jsonl", "file audit.xml", "file lat.csv"} {
		if len(outputs[want]) == 0 {
			t.Errorf("%s is empty: the run that writes it did not", want)
		}
	}

	// The search finds what is planted.
	if leaks := findLeaks(map[string]string{"planted": "x" + base64.StdEncoding.EncodeToString([]byte(leakBearer)) + "y"}); len(leaks) == 0 {
		t.Fatal("the search does not find a bearer token planted in base64")
	}
	for _, leak := range findLeaks(outputs) {
		t.Error(leak)
	}
	bytesSearched := 0
	for _, text := range outputs {
		bytesSearched += len(text)
	}
	t.Logf("%d forms of 4 credentials searched in %d outputs and files (%d KiB)", 4*len(leakForms(leakSecret)), len(outputs), bytesSearched>>10)
}

// findLeaks searches outputs (by where they come from) for every form of every credential.
func findLeaks(outputs map[string]string) []string {
	var leaks []string
	for credName, cred := range map[string]string{"shared secret": leakSecret, "password": leakPassword, "bearer token": leakBearer, "API key": leakAPIKey} {
		for form, s := range leakForms(cred) {
			for where, text := range outputs {
				if i := strings.Index(text, s); i >= 0 {
					leaks = append(leaks, fmt.Sprintf("the %s (%s) is in %s: …%s…", credName, form, where, text[max(0, i-80):min(len(text), i+len(s)+20)]))
				}
			}
		}
	}
	return leaks
}

// lockedBuffer is a bytes.Buffer a command running in a goroutine may write while the test reads:
// replay's lockedWriter over a buffer, read under the same lock.
type lockedBuffer struct {
	lockedWriter
	b bytes.Buffer
}

func newLockedBuffer() *lockedBuffer {
	l := &lockedBuffer{}
	l.w = &l.b
	return l
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitFile waits up to 10 s for path to hold a line, and returns it.
func waitFile(t *testing.T, path string) string {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if b, err := os.ReadFile(path); err == nil && bytes.HasSuffix(b, []byte("\n")) {
			return strings.TrimSpace(string(b))
		}
	}
	t.Fatalf("%s was not written within 10 s", path)
	return ""
}
