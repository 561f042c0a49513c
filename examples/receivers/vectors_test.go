package receivers

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/thingsim/thingsim/cmd"
)

// writeVectors writes thingsim's test vectors to a file and returns its path, test secret and
// number of cases.
func writeVectors(t *testing.T) (path, secret string, cases int) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "things-vectors.json")
	var out bytes.Buffer
	ios := &cmd.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &out}
	if code := cmd.Run(context.Background(), ios, []string{"vectors", "--out", path}); code != 0 {
		t.Fatalf("thingsim vectors: exit %d: %s", code, out.String())
	}
	b, _ := os.ReadFile(path)
	var f struct {
		Secret string
		Cases  []json.RawMessage
	}
	if err := json.Unmarshal(b, &f); err != nil || f.Secret == "" || len(f.Cases) == 0 {
		t.Fatalf("the vectors file: %v", err)
	}
	return path, f.Secret, len(f.Cases)
}

// runSnippet runs a vectors snippet against the receiver at addr and fails the test with its
// output when the snippet fails, or when the count of passed cases its runner reports (the first
// group of passed's pattern) is not cases: a snippet that ran nothing passes nothing.
func runSnippet(t *testing.T, addr, vectors string, cases int, passed string, name string, args ...string) {
	t.Helper()
	c := exec.Command(name, args...)
	c.Env = append(os.Environ(), "RECEIVER_URL=http://"+addr, "VECTORS="+vectors)
	out, err := c.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	re := regexp.MustCompile(passed)
	n := len(re.FindAllSubmatch(out, -1))
	if m := re.FindSubmatch(out); len(m) > 1 {
		n, _ = strconv.Atoi(string(m[1]))
	}
	if n != cases {
		t.Fatalf("%s %s passed %d cases, want the %d of the vectors file:\n%s", name, strings.Join(args, " "), n, cases, out)
	}
}

// TestVectorsSnippets runs the vectors snippets of docs/receivers.md, in each language, against
// the reference receiver of that language: every case does what it expects.
func TestVectorsSnippets(t *testing.T) {
	vectors, vsecret, cases := writeVectors(t)
	t.Run("node:test against Express", func(t *testing.T) {
		node, err := exec.LookPath("node")
		if err != nil {
			t.Skip("node is missing: .ci/run installs it (Debian nodejs)")
		}
		if _, err := os.Stat(filepath.Join("node", "node_modules", "express")); err != nil {
			t.Skip("express is missing: .ci/run installs it (npm ci in examples/receivers/node)")
		}
		addr := startProcess(t, vsecret, node, filepath.Join("node", "server.js"))
		runSnippet(t, addr, vectors, cases, `(?m)^# pass (\d+)$`, node, "--test", filepath.Join("..", "vectors", "things-vectors.test.mjs"))
	})
	t.Run("pytest against Flask", func(t *testing.T) {
		py := "/usr/bin/python3"
		if exec.Command(py, "-c", "import flask, pytest").Run() != nil {
			t.Skip("Flask or pytest is missing: .ci/run installs them (Debian python3-flask, python3-pytest)")
		}
		addr := startProcess(t, vsecret, py, filepath.Join("python", "app.py"))
		runSnippet(t, addr, vectors, cases, `(\d+) passed`, py, "-m", "pytest", "-q", "-p", "no:cacheprovider", filepath.Join("..", "vectors", "test_things_vectors.py"))
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
		runSnippet(t, addr, vectors, cases, `--- PASS: TestVectors/`, goTool, "test", "-count=1", "-v", "../vectors/go")
	})
}
