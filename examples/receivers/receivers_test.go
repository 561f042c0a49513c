// Package receivers tests the README's reference receivers of other stacks by running them and
// auditing them with thingsim's audit.
package receivers

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/thingsim/thingsim/internal/audit"
	"github.com/thingsim/thingsim/sender"
)

const secret = "Kp7#ThingsTestSecret:2024/abcXYZ!"

// startProcess starts a receiver with PORT and THINGS_SECRET, waits until it accepts connections,
// and returns its address; it is stopped when the test ends, its output logged if the test failed.
func startProcess(t *testing.T, thingsSecret, name string, args ...string) string {
	t.Helper()
	port := freePort(t)
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "PORT="+strconv.Itoa(port), "THINGS_SECRET="+thingsSecret)
	out, _ := os.CreateTemp(t.TempDir(), "out")
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(out.Name())
			t.Logf("receiver output:\n%s", b)
		}
	})
	addr := "127.0.0.1:" + strconv.Itoa(port)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not listen on %s within 20s", name, addr)
		}
	}
}

// freePort returns a port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// auditProcess starts a receiver, waits until it accepts connections, audits it, and stops it.
func auditProcess(t *testing.T, name string, args ...string) {
	addr := startProcess(t, secret, name, args...)
	d := &sender.Destination{Name: name, URL: "http://" + addr + "/things", Secret: sender.NewSecret(secret),
		PlugUUID: "fbc063cb-4dd4-41b3-917a-e2d1ea907f75"}
	if _, err := d.Check(true); err != nil {
		t.Fatal(err)
	}
	results, err := audit.Run(context.Background(), audit.Config{Destination: d, Backoff: []time.Duration{time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	// Every required check must pass on evidence: a skip, an undecided check or a warning is no
	// proof that the receiver is right.
	passed := 0
	for _, r := range results {
		switch {
		case r.Outcome == audit.Pass:
			passed++
		case r.Required || r.Outcome != audit.Skip:
			t.Errorf("%s: %s: %s %v", r.Name, r.Outcome, r.Message, r.Evidence)
		}
	}
	if passed == 0 || audit.ExitCode(results) != 0 {
		t.Errorf("%d checks passed, exit code %d", passed, audit.ExitCode(results))
	}
}

func TestNodeExpressReceiver(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is missing: .ci/run installs it (Debian nodejs)")
	}
	if _, err := os.Stat(filepath.Join("node", "node_modules", "express")); err != nil {
		t.Skip("express is missing: .ci/run installs it (npm ci in examples/receivers/node)")
	}
	auditProcess(t, node, filepath.Join("node", "server.js"))
}

func TestPythonFlaskReceiver(t *testing.T) {
	for _, py := range []string{"python3", "/usr/bin/python3"} {
		if path, err := exec.LookPath(py); err == nil && exec.Command(path, "-c", "import flask").Run() == nil {
			auditProcess(t, path, filepath.Join("python", "app.py"))
			return
		}
	}
	t.Skip("Flask is missing: .ci/run installs it (Debian python3-flask)")
}
