package cmd

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var built struct {
	once sync.Once
	dir  string
	path string
	err  string
}

// buildBinary builds thingsim as a user's go build does, without the race detector and without
// cgo, once for the tests that run it as a program, and returns its path.
func buildBinary(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is missing: the test builds the binary")
	}
	built.once.Do(func() {
		dir, err := os.MkdirTemp("", "thingsim-bin")
		if err != nil {
			built.err = err.Error()
			return
		}
		built.dir, built.path = dir, filepath.Join(dir, "thingsim")
		build := exec.Command(goTool, "build", "-o", built.path, "./thingsim")
		// Without cgo: glibc reserves address space per thread, which a memory cap would count.
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			built.err = "go build: " + err.Error() + "\n" + string(out)
		}
	})
	if built.err != "" {
		t.Fatal(built.err)
	}
	return built.path
}
