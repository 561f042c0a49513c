package cmd

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func testStreams() (*IOStreams, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	return &IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut, ColorMode: "never"}, &out, &errOut
}

// writeFile writes text to dir/name, mode 0600, and returns the file's path.
func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestExitCodes runs the command tree in-process and checks the code of each kind of ending.
func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret")
	os.WriteFile(secret, []byte("Kp7#ThingsTestSecret:2024/abcXYZ!\n"), 0o600)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		args []string
		code int
		err  string
	}{
		{"ok", context.Background(), []string{"gen", "--count", "2"}, 0, ""},
		{"usage", context.Background(), []string{"gen", "--nope"}, 2, "unknown flag: --nope"},
		{"config", context.Background(), []string{"validate", "--url", "http://x"}, 2, ""},
		{"rule", context.Background(), []string{"send", "--url", "http://example.com/x", "--secret-file", secret}, 2, "the destination breaks 1 rule"},
		{"failed", context.Background(), []string{"verify", "--secret-file", secret, "--token", strings.Repeat("0", 64), secret}, 1, ""},
		{"interrupted", cancelled, []string{"send", "--url", "https://example.com/x", "--secret-file", secret, "--count", "5"}, 130, "interrupted"},
		{"bad color", context.Background(), []string{"gen", "--color", "pink"}, 2, `--color: "pink" is not auto, always or never`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ios, _, errOut := testStreams()
			if code := Run(tc.ctx, ios, tc.args); code != tc.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tc.code, errOut)
			}
			if !strings.Contains(errOut.String(), tc.err) {
				t.Fatalf("stderr lacks %q:\n%s", tc.err, errOut)
			}
		})
	}
}

// TestFreshTree: the tree holds no state between runs, so two runs in one process do not mix.
func TestFreshTree(t *testing.T) {
	ios, out, _ := testStreams()
	Run(context.Background(), ios, []string{"gen", "--count", "3", "--seed", "5", "--now", "1"})
	first := out.String()
	out.Reset()
	Run(context.Background(), ios, []string{"gen", "--count", "3", "--seed", "5", "--now", "1"})
	if out.String() != first || strings.Count(first, "\n") != 3 {
		t.Fatalf("runs differ or wrong count:\n%s\n%s", first, out)
	}
}
