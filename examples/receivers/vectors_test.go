package receivers

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thingsim/thingsim/cmd"
)

// writeVectors writes thingsim's test vectors to a file and returns its path and test secret.
func writeVectors(t *testing.T) (path, secret string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "things-vectors.json")
	var out bytes.Buffer
	ios := &cmd.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &out}
	if code := cmd.Run(context.Background(), ios, []string{"vectors", "--out", path}); code != 0 {
		t.Fatalf("thingsim vectors: exit %d: %s", code, out.String())
	}
	b, _ := os.ReadFile(path)
	var f struct{ Secret string }
	if err := json.Unmarshal(b, &f); err != nil || f.Secret == "" {
		t.Fatalf("the vectors file: %v", err)
	}
	return path, f.Secret
}

// runSnippet runs a vectors snippet against the receiver at addr and fails the test with its
// output when the snippet fails.
func runSnippet(t *testing.T, addr, vectors string, name string, args ...string) {
	t.Helper()
	c := exec.Command(name, args...)
	c.Env = append(os.Environ(), "RECEIVER_URL=http://"+addr, "VECTORS="+vectors)
	if out, err := c.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// TestVectorsSnippets runs the vectors snippets of docs/receivers.md, in each language, against
// the reference receiver of that language: every case does what it expects.
func TestVectorsSnippets(t *testing.T) {
	vectors, vsecret := writeVectors(t)
	t.Run("node:test against Express", func(t *testing.T) {
		node, err := exec.LookPath("node")
		if err != nil {
			t.Skip("node is missing: .ci/run installs it (Debian nodejs)")
		}
		if _, err := os.Stat(filepath.Join("node", "node_modules", "express")); err != nil {
			t.Skip("express is missing: .ci/run installs it (npm ci in examples/receivers/node)")
		}
		addr := startProcess(t, vsecret, node, filepath.Join("node", "server.js"))
		runSnippet(t, addr, vectors, node, "--test", filepath.Join("..", "vectors", "things-vectors.test.mjs"))
	})
	t.Run("pytest against Flask", func(t *testing.T) {
		py := "/usr/bin/python3"
		if exec.Command(py, "-c", "import flask, pytest").Run() != nil {
			t.Skip("Flask or pytest is missing: .ci/run installs them (Debian python3-flask, python3-pytest)")
		}
		addr := startProcess(t, vsecret, py, filepath.Join("python", "app.py"))
		runSnippet(t, addr, vectors, py, "-m", "pytest", "-q", "-p", "no:cacheprovider", filepath.Join("..", "vectors", "test_things_vectors.py"))
	})
	t.Run("go test against the Go receiver", func(t *testing.T) {
		goTool, err := exec.LookPath("go")
		if err != nil {
			t.Skip("the go command is missing")
		}
		bin := filepath.Join(t.TempDir(), "receiver")
		build := exec.Command(goTool, "build", "-o", bin, "./go")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, out)
		}
		addr := startProcess(t, vsecret, bin)
		runSnippet(t, addr, vectors, goTool, "test", "-count=1", "../vectors/go")
	})
}
