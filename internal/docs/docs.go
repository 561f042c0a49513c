// Package docs writes thingsim's command reference from the cobra tree: one Markdown page per
// command in docs/commands and one man page per command in docs/man, so that the reference says
// what the code does. `go generate ./internal/docs` rewrites them; TestDocsAreCurrent fails when
// they are stale.
package docs

//go:generate go run ./gen ../../docs

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// manDate is the date the man pages carry: a fixed one, so that they change only when the
// commands do.
var manDate = time.Date(2026, time.November, 1, 0, 0, 0, 0, time.UTC)

// Write writes the reference of root's commands under dir: dir/commands/*.md and dir/man/*.1,
// after removing the pages of commands that no longer exist.
func Write(root *cobra.Command, dir string) error {
	root.InitDefaultCompletionCmd()
	var prepare func(c *cobra.Command)
	prepare = func(c *cobra.Command) {
		c.DisableAutoGenTag = true
		// The default User-Agent names the binary's version, which the pages must not.
		if f := c.Flags().Lookup("user-agent"); f != nil {
			f.DefValue = "thingsim/VERSION"
		}
		for _, sub := range c.Commands() {
			prepare(sub)
		}
	}
	prepare(root)
	md, man := filepath.Join(dir, "commands"), filepath.Join(dir, "man")
	for _, d := range []struct{ path, ext string }{{md, ".md"}, {man, ".1"}} {
		if err := os.MkdirAll(d.path, 0o755); err != nil {
			return err
		}
		old, _ := filepath.Glob(filepath.Join(d.path, "*"+d.ext))
		for _, f := range old {
			if err := os.Remove(f); err != nil {
				return err
			}
		}
	}
	prepend := func(string) string {
		return "<!-- Written by go generate ./internal/docs from the commands' code: do not edit. -->\n\n"
	}
	link := func(name string) string { return strings.TrimSuffix(name, ".md") + ".md" }
	if err := doc.GenMarkdownTreeCustom(root, md, prepend, link); err != nil {
		return fmt.Errorf("markdown pages: %w", err)
	}
	header := &doc.GenManHeader{Title: "THINGSIM", Section: "1", Source: "thingsim", Manual: "thingsim manual", Date: &manDate}
	if err := doc.GenManTree(root, header, man); err != nil {
		return fmt.Errorf("man pages: %w", err)
	}
	return nil
}
