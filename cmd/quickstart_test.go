package cmd

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestQuickStart runs the README's quick start as written, in a copy of examples/quickstart, with
// the binary a user builds: the only change is the port, a free one instead of 8443.
func TestQuickStart(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash is missing: the quick start is a shell session")
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(readme), "<!-- quickstart -->\n```sh\n")
	script, _, closed := strings.Cut(after, "\n```")
	if !ok || !closed {
		t.Fatal("README.md has no <!-- quickstart --> block of sh")
	}
	bin := buildBinary(t)

	dir := t.TempDir()
	files, _ := filepath.Glob("../examples/quickstart/*")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o644)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	script = strings.ReplaceAll(script, "127.0.0.1:8443", "127.0.0.1:"+port)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bash, "-e", "-c", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"), "NO_COLOR=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("the quick start failed (%v):\n%s", err, out.String())
	}
	for _, want := range []string{
		"a new shared secret of 40 characters",
		"✓ #0 delivered, 200",
		"✓ #2 delivered, 200",
		"✓ valid-legacy     answered 200",
		"✓ wrong-token",
		"✓ the endpoint passes every required check",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the quick start's output lacks %q:\n%s", want, out.String())
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "capture.jsonl")); err != nil || bytes.Count(b, []byte("\n")) < 5 {
		t.Errorf("capture.jsonl holds %d records (%v)", bytes.Count(b, []byte("\n")), err)
	}
}
