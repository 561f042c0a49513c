package receivers

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestOutsideModuleReceiver builds the Go reference receiver (go/main.go, on verify and senml) in a
// temporary module that takes thingsim through a replace line, as a module outside this one would,
// and audits it: every check passes.
func TestOutsideModuleReceiver(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is missing: the test builds the receiver")
	}
	repo, _ := filepath.Abs(filepath.Join("..", ".."))
	dir := t.TempDir()
	sum, err := os.ReadFile(filepath.Join(repo, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	receiver, err := os.ReadFile(filepath.Join("go", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{
		"go.mod":  "module example.com/receiver\n\ngo 1.25\n\nrequire github.com/thingsim/thingsim v0.0.0\n\nreplace github.com/thingsim/thingsim => " + repo + "\n",
		"go.sum":  string(sum),
		"main.go": string(receiver),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(dir, "receiver")
	build := exec.Command(goTool, "build", "-o", bin, ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-mod=mod")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build of the outside module: %v\n%s", err, out)
	}
	auditProcess(t, bin)
}
