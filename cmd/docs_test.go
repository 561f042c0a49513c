package cmd

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"flag"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/thingsim/thingsim/internal/docblock"
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
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
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

	durations := regexp.MustCompile(`\d+\.\d+ms`)
	if err := docblock.Check("../docs/receivers.md", "audit-sample", sample, *updateDocs, func(s string) string {
		return durations.ReplaceAllString(s, "Nms")
	}); err != nil {
		t.Error(err)
	}
}

// TestCIExamplesUseTheModulesGo: the CI examples install the Go release go.mod asks for, so that
// they cannot drift from it.
func TestCIExamplesUseTheModulesGo(t *testing.T) {
	mod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(mod)
	if m == nil {
		t.Fatal("go.mod has no go directive")
	}
	for file, want := range map[string]string{
		"../examples/ci/github-actions.yml": `go-version: "` + string(m[1]) + `"`,
		"../examples/ci/gitlab-ci.yml":      `golang:` + string(m[1]),
	} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), want) {
			t.Errorf("%s does not install Go %s as go.mod asks (want %s)", file, m[1], want)
		}
	}
}
