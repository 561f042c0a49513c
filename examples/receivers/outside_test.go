package receivers

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// outsideReceiver is a receiver in a module of its own, as a team writes one: it imports verify and
// senml, checks the token over the raw body, decodes the pack and refuses one it cannot decode.
const outsideReceiver = `package main

import (
	"io"
	"log"
	"net/http"
	"os"

	"github.com/thingsim/thingsim/senml"
	"github.com/thingsim/thingsim/verify"
)

func main() {
	things := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		measurements, err := senml.Decode(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for _, m := range measurements {
			log.Printf("%s %s %s", m.Time.Format("15:04:05"), m.FullName(), m.Unit)
		}
		w.WriteHeader(http.StatusOK)
	})
	http.Handle("/things", verify.Middleware(verify.Config{Secrets: verify.OneSecret(os.Getenv("THINGS_SECRET"))}, things))
	log.Fatal(http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil))
}
`

// TestOutsideModuleReceiver builds a receiver in a temporary module that takes thingsim through a
// replace line, as a module outside this one would, and audits it: every check passes.
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
	for name, text := range map[string]string{
		"go.mod":  "module example.com/receiver\n\ngo 1.25\n\nrequire github.com/thingsim/thingsim v0.0.0\n\nreplace github.com/thingsim/thingsim => " + repo + "\n",
		"go.sum":  string(sum),
		"main.go": outsideReceiver,
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
