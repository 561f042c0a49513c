package cmd

import (
	"context"
	"fmt"
	"io"

	"github.com/thingsim/thingsim/internal/bounded"
	"github.com/thingsim/thingsim/internal/capture"
	"github.com/thingsim/thingsim/internal/run"
	"github.com/thingsim/thingsim/senmlgen"
)

// readPayload reads the body of --payload: a file's exact bytes, or standard input's for "-".
// where names it for messages.
func readPayload(ios *IOStreams, path string) (body []byte, where string, err error) {
	return readInput(ios, "--payload", path)
}

// readInput reads a body up to the payload limit from a file, or standard input for "-"; what
// names it in errors.
func readInput(ios *IOStreams, what, path string) (body []byte, where string, err error) {
	if path == "-" {
		body, err = bounded.Read(ios.In, "standard input", bounded.Body)
		where = "standard input"
	} else {
		body, err = bounded.ReadFileContext(ios.context(), path, bounded.Body)
		where = path
	}
	switch {
	case ios.context().Err() != nil:
		// Ctrl-C in the wait, or as a pipeline ended: what was read may be a part.
		return nil, where, errInterrupted
	case err != nil:
		return nil, where, configErrorf("%s: %v", what, pathError(err))
	}
	return body, where, nil
}

// openLinesFeed opens --payloads: a file of bodies one a line, or standard input for "-". Its
// first line is read at once: input that cannot be read is refused before anything is sent.
func openLinesFeed(ctx context.Context, path string, stdin io.Reader) (*run.LinesFeed, error) {
	var src capture.Source
	where := path
	if path == "-" {
		src, where = capture.Lines("standard input", stdin, nil), "standard input"
	} else {
		f, err := bounded.OpenContext(ctx, path)
		if err != nil {
			return nil, configErrorf("--payloads: %v", pathError(err))
		}
		if st, err := f.Stat(); err == nil && st.IsDir() {
			f.Close()
			return nil, configErrorf("--payloads: %s is a folder, not a file of bodies", path)
		}
		src = capture.Lines(path, bounded.Interruptible(ctx, f), f)
	}
	lf, err := run.NewLinesFeed(src, where)
	if err != nil {
		return nil, configErrorf("--payloads: %v", err)
	}
	return lf, nil
}

// findingPrinter prints the validator's findings on user payloads, up to a limit.
type findingPrinter struct {
	ios   *IOStreams
	shown int
	more  int
}

const maxFindingsShown = 10

func (p *findingPrinter) print(origin string, findings []senmlgen.Finding) {
	for _, f := range findings {
		if p.shown >= maxFindingsShown {
			p.more++
			continue
		}
		p.shown++
		fmt.Fprintf(p.ios.ErrOut, "%s %s: %s (sent unchanged)\n", p.ios.errPalette().warn.Sprint("warning:"), origin, f)
	}
}

func (p *findingPrinter) finish() {
	if p.more > 0 {
		fmt.Fprintf(p.ios.ErrOut, "%s %d more SenML findings not shown\n", p.ios.errPalette().warn.Sprint("warning:"), p.more)
	}
}
