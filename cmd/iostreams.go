package cmd

import (
	"context"
	"io"
	"os"

	"github.com/fatih/color"
	"github.com/mattn/go-isatty"
)

// IOStreams are a command's standard streams and what is known about them. stdout carries data
// (payloads, results, JSON lines, summaries); stderr carries progress, warnings and errors. Nothing
// else writes to the process's streams.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	OutTTY, ErrTTY bool
	// NoColor is set from NO_COLOR or TERM=dumb.
	NoColor bool
	// ColorMode is auto, always or never (--color).
	ColorMode string

	ctx context.Context // the run's: Ctrl-C ends a wait for input
}

// context returns the run's context, which Ctrl-C and SIGTERM end.
func (ios *IOStreams) context() context.Context {
	if ios.ctx == nil {
		return context.Background()
	}
	return ios.ctx
}

// System returns the process's streams.
func System() *IOStreams {
	return &IOStreams{
		In:        os.Stdin,
		Out:       os.Stdout,
		ErrOut:    os.Stderr,
		OutTTY:    isTerminal(os.Stdout),
		ErrTTY:    isTerminal(os.Stderr),
		NoColor:   os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb",
		ColorMode: "auto",
	}
}

func isTerminal(f *os.File) bool {
	return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
}

func (s *IOStreams) colorFor(tty bool) bool {
	switch s.ColorMode {
	case "always":
		return true
	case "never":
		return false
	}
	return tty && !s.NoColor
}

// palette colours text for one stream, or leaves it plain.
type palette struct {
	ok, bad, warn, dim, bold *color.Color
}

func newPalette(enabled bool) palette {
	mk := func(attrs ...color.Attribute) *color.Color {
		c := color.New(attrs...)
		// fatih/color decides from stdout alone; each stream decides here for itself.
		if enabled {
			c.EnableColor()
		} else {
			c.DisableColor()
		}
		return c
	}
	return palette{ok: mk(color.FgGreen), bad: mk(color.FgRed), warn: mk(color.FgYellow), dim: mk(color.Faint), bold: mk(color.Bold)}
}

// outPalette colours stdout's human text.
func (s *IOStreams) outPalette() palette { return newPalette(s.colorFor(s.OutTTY)) }

// errPalette colours stderr.
func (s *IOStreams) errPalette() palette { return newPalette(s.colorFor(s.ErrTTY)) }
