package cmd

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCtrlCWhileWaitingForInput: every command that reads input a named pipe can hold back stops
// at once on Ctrl-C, exit 130, and prints nothing of what it read (sign is handed half a body).
// The test waits until the command has the pipe open, as /proc shows, before it signals.
func TestCtrlCWhileWaitingForInput(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret")
	os.WriteFile(secret, []byte("Kp7#ThingsTestSecret:2024/abcXYZ!\n"), 0o600)
	for _, tc := range []struct {
		name, args, partial string
	}{
		{"decode", "decode FIFO", ""},
		{"replay", "replay FIFO --url https://example.com/x --secret-file SECRET --dry-run", ""},
		{"inspect", "inspect FIFO --ui-listen 127.0.0.1:0", ""},
		{"sign", "sign FIFO --secret-file SECRET", `[{"bn":"urn:dev:x:",`},
		{"verify", "verify FIFO --secret-file SECRET --token " + strings.Repeat("0", 64), ""},
		{"send --payloads", "send --payloads FIFO --url https://example.com/x --secret-file SECRET --dry-run", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fifo := filepath.Join(t.TempDir(), "fifo")
			if err := syscall.Mkfifo(fifo, 0o600); err != nil {
				t.Skipf("no named pipes here: %v", err)
			}
			// A writer that holds the pipe open and writes at most the partial body.
			w, err := os.OpenFile(fifo, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			w.WriteString(tc.partial)
			args := strings.Fields(strings.NewReplacer("FIFO", fifo, "SECRET", secret).Replace(tc.args))
			c := exec.Command(bin, args...)
			var out, errOut bytes.Buffer
			c.Stdout, c.Stderr = &out, &errOut
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			defer c.Process.Kill()
			waitOpen(t, c.Process.Pid, fifo)
			c.Process.Signal(os.Interrupt)
			done := make(chan error, 1)
			go func() { done <- c.Wait() }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatalf("still running 10 s after Ctrl-C; stderr: %s", &errOut)
			}
			if code := c.ProcessState.ExitCode(); code != 130 || out.Len() != 0 {
				t.Errorf("exit %d, stdout %q, stderr %q: want 130 and nothing printed", code, &out, &errOut)
			}
		})
	}
}

// waitOpen waits until process pid has path open, as its /proc/PID/fd shows.
func waitOpen(t *testing.T, pid int, path string) {
	t.Helper()
	fds := filepath.Join("/proc", strconv.Itoa(pid), "fd")
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		entries, _ := os.ReadDir(fds)
		for _, e := range entries {
			if target, err := os.Readlink(filepath.Join(fds, e.Name())); err == nil && target == path {
				// The signal handler was set before any input was opened: whether the signal
				// comes before the read or during it, the command gives up the wait.
				return
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("the command never opened %s", path)
}
