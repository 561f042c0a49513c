package docs

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

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

// TestLinks: every relative link of the README and the guides names a file that exists and, with
// a #fragment, a heading in it.
func TestLinks(t *testing.T) {
	pages, _ := filepath.Glob(filepath.Join("..", "..", "docs", "*.md"))
	pages = append(pages, filepath.Join("..", "..", "README.md"), filepath.Join("..", "..", "examples", "quickstart", "README.md"))
	link := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	checked := 0
	for _, page := range pages {
		b, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range link.FindAllStringSubmatch(string(b), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			file, fragment, _ := strings.Cut(target, "#")
			path := page
			if file != "" {
				path = filepath.Join(filepath.Dir(page), file)
			}
			if _, err := os.Stat(path); err != nil {
				t.Errorf("%s: link %s: %s does not exist", page, target, path)
				continue
			}
			checked++
			if fragment != "" && !slices.Contains(anchors(t, path), fragment) {
				t.Errorf("%s: link %s: %s has no heading #%s", page, target, path, fragment)
			}
		}
	}
	if checked < 30 {
		t.Fatalf("only %d links checked", checked)
	}
}

// anchors are the GitHub anchors of a Markdown file's headings.
func anchors(t *testing.T, path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, "#") {
			continue
		}
		h := strings.ToLower(strings.TrimSpace(strings.TrimLeft(line, "#")))
		var a strings.Builder
		for _, r := range h {
			switch {
			case r == ' ':
				a.WriteRune('-')
			case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
				a.WriteRune(r)
			}
		}
		out = append(out, a.String())
	}
	return out
}
