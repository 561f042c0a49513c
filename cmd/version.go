package cmd

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// Set by release builds: go build -ldflags "-X github.com/thingsim/thingsim/cmd.releaseVersion=v1.2.3
// -X github.com/thingsim/thingsim/cmd.releaseCommit=... -X github.com/thingsim/thingsim/cmd.releaseDate=...".
var releaseVersion, releaseCommit, releaseDate string

// build says what a binary is: its version, commit, build time and Go.
type build struct {
	version  string
	commit   string // empty when unknown
	modified bool   // built from a tree with changes not committed
	date     string // empty when unknown
	goVer    string
	platform string
}

// buildInfo reads what the binary knows of itself: the release stamp, else the module's version
// (go install ...@v1.2.3) and the version control information go build records.
func buildInfo() build {
	b := build{version: "dev", goVer: runtime.Version(), platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			b.version = v
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				b.commit = s.Value
			case "vcs.time":
				b.date = s.Value
			case "vcs.modified":
				b.modified = s.Value == "true"
			}
		}
	}
	if releaseVersion != "" {
		b.version, b.commit, b.date, b.modified = releaseVersion, releaseCommit, releaseDate, false
		// A snapshot built outside a git checkout says "none" and the zero time: unknown.
		if b.commit == "none" {
			b.commit = ""
		}
		if strings.HasPrefix(b.date, "0001-") {
			b.date = ""
		}
	}
	return b
}

func (b build) String() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "thingsim %s\n", b.version)
	if b.commit != "" {
		modified := ""
		if b.modified {
			modified = " (with changes not committed)"
		}
		fmt.Fprintf(&sb, "commit   %s%s\n", b.commit, modified)
	}
	if b.date != "" {
		fmt.Fprintf(&sb, "built    %s\n", b.date)
	}
	fmt.Fprintf(&sb, "go       %s %s\n", b.goVer, b.platform)
	return sb.String()
}

// version is the version alone, as the User-Agent carries it.
func version() string { return buildInfo().version }

func newVersionCmd(ios *IOStreams) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Say which thingsim this is: version, commit, build time, Go",
		Long: `version prints the version (a release's, or the module's when installed with go install
...@VERSION, else dev), the commit and time of the source it was built from, and the Go release
and platform. thingsim --version prints the same.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			fmt.Fprint(ios.Out, buildInfo().String())
			return nil
		},
	}
}
