package docs

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thingsim/thingsim/cmd"
)

// TestDocsAreCurrent writes the reference afresh and requires docs/ to hold exactly it.
func TestDocsAreCurrent(t *testing.T) {
	dir := t.TempDir()
	ios := &cmd.IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}
	if err := Write(cmd.NewRootCmd(ios), dir); err != nil {
		t.Fatal(err)
	}
	for _, sub := range []string{"commands", "man"} {
		want, _ := filepath.Glob(filepath.Join(dir, sub, "*"))
		have, _ := filepath.Glob(filepath.Join("..", "..", "docs", sub, "*"))
		if len(want) < 10 {
			t.Fatalf("only %d pages written in %s", len(want), sub)
		}
		names := map[string]bool{}
		for _, w := range want {
			name := filepath.Base(w)
			names[name] = true
			fresh, _ := os.ReadFile(w)
			kept, err := os.ReadFile(filepath.Join("..", "..", "docs", sub, name))
			if err != nil || !bytes.Equal(fresh, kept) {
				t.Errorf("docs/%s/%s is stale or missing: run go generate ./internal/docs", sub, name)
			}
		}
		for _, h := range have {
			if !names[filepath.Base(h)] {
				t.Errorf("docs/%s/%s documents no command: run go generate ./internal/docs", sub, filepath.Base(h))
			}
		}
	}
}
