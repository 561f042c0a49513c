package cmd

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/thingsim/thingsim/internal/bounded"
	"github.com/thingsim/thingsim/internal/capture"
	"github.com/thingsim/thingsim/sender"
	"github.com/thingsim/thingsim/senmlgen"
)

// message is one body to send, with where it came from.
type message struct {
	index     int
	body      []byte
	device    string
	origin    string           // "line 3 of payloads.jsonl", for reports
	overrides sender.Overrides // what a replay keeps of the captured request
	buffer    *[]byte          // the pooled buffer body lives in, given back once delivered
}

// bodyBuffers hold generated bodies: packs are encoded by appending into reused buffers.
var bodyBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// release gives a generated message's buffer back; the body must not be used after.
func (m *message) release() {
	if m.buffer != nil {
		*m.buffer = m.body[:0]
		bodyBuffers.Put(m.buffer)
		m.buffer, m.body = nil, nil
	}
}

// feed yields the messages of a run in order. next returns io.EOF after the last one.
type feed interface {
	next() (message, error)
	// unread gives back the last message from next, which the run stopped before sending.
	unread(m message)
	// remaining says what was not sent when the run stopped early, or "" when nothing is left.
	remaining() string
	// size returns how many messages the feed holds, -1 when it does not know or has no end.
	size() int64
	close()
}

// generatedFeed yields count generated packs, or one exact pack count times; a negative count
// has no end.
type generatedFeed struct {
	src   packSource
	count int64
	n     int64
}

func (f *generatedFeed) size() int64 { return f.count }

func (f *generatedFeed) next() (message, error) {
	if f.count >= 0 && f.n >= f.count {
		return message{}, io.EOF
	}
	buf := bodyBuffers.Get().(*[]byte)
	body, device := f.src.Next((*buf)[:0])
	m := message{index: int(f.n), body: body, device: device, buffer: buf}
	f.n++
	return m, nil
}

func (f *generatedFeed) unread(message) { f.n-- }

func (f *generatedFeed) remaining() string {
	if left := f.count - f.n; f.count >= 0 && left > 0 {
		return fmt.Sprintf("%d generated message%s", left, plural(int(left)))
	}
	return ""
}

func (f *generatedFeed) close() {}

// payloadFeed sends one body count times, its exact bytes.
type payloadFeed struct {
	body   []byte
	device string
	where  string
	count  int64
	n      int64
}

func (f *payloadFeed) next() (message, error) {
	if f.count >= 0 && f.n >= f.count {
		return message{}, io.EOF
	}
	m := message{index: int(f.n), body: f.body, device: f.device, origin: f.where}
	f.n++
	return m, nil
}

func (f *payloadFeed) unread(message) { f.n-- }

func (f *payloadFeed) size() int64 { return f.count }

func (f *payloadFeed) remaining() string {
	if left := f.count - f.n; f.count >= 0 && left > 0 {
		return fmt.Sprintf("%d of %d copies of %s", left, f.count, f.where)
	}
	return ""
}

func (f *payloadFeed) close() {}

// linesFeed reads one body per line, streaming, with capture's reader: a line loses its "\n" or
// "\r\n"; blank lines are skipped.
type linesFeed struct {
	src   capture.Source
	where string
	line  int
	n     int
	done  bool
	warn  func(origin string, findings []senmlgen.Finding)
	// unsent is the origin of a message read but given back, from which the rest was not sent.
	unsent string
	// first is the first item, read when the feed opens, so that input that cannot be read at
	// all is refused before anything is said or sent; firstErr is what reading it gave.
	first    *capture.Item
	firstErr error
}

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
		body, err = bounded.ReadFile(path, bounded.Body)
		where = path
	}
	if err != nil {
		return nil, where, configErrorf("%s: %v", what, pathError(err))
	}
	return body, where, nil
}

func openLinesFeed(path string, stdin io.Reader) (*linesFeed, error) {
	var lf *linesFeed
	if path == "-" {
		lf = &linesFeed{src: capture.Lines("standard input", stdin, nil), where: "standard input"}
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, configErrorf("--payloads: %v", pathError(err))
		}
		if st, err := f.Stat(); err == nil && st.IsDir() {
			f.Close()
			return nil, configErrorf("--payloads: %s is a folder, not a file of bodies", path)
		}
		lf = &linesFeed{src: capture.Lines(path, f, f), where: path}
	}
	it, err := lf.src.Next()
	if err != nil && !errors.Is(err, io.EOF) {
		lf.src.Close()
		return nil, configErrorf("--payloads: %v", err)
	}
	lf.first, lf.firstErr = &it, err
	return lf, nil
}

// item returns the next line's item: first the one read when the feed opened.
func (f *linesFeed) item() (capture.Item, error) {
	if f.first != nil {
		it, err := *f.first, f.firstErr
		f.first = nil
		return it, err
	}
	return f.src.Next()
}

func (f *linesFeed) next() (message, error) {
	if f.done {
		return message{}, io.EOF
	}
	it, err := f.item()
	if err != nil {
		f.done = true
		if errors.Is(err, io.EOF) {
			return message{}, io.EOF
		}
		// Input thingsim cannot read is a usage error, as it is when found before the run.
		return message{}, configErrorf("--payloads: %v", err)
	}
	f.line = it.Line
	origin := fmt.Sprintf("line %d of %s", it.Line, f.where)
	rep := senmlgen.Validate(it.Body)
	if f.warn != nil && !rep.Valid() {
		f.warn(origin, rep.Findings)
	}
	m := message{index: f.n, body: it.Body, device: rep.BaseName, origin: origin}
	f.n++
	return m, nil
}

func (f *linesFeed) unread(m message) { f.unsent = m.origin }

func (f *linesFeed) size() int64 { return -1 }

func (f *linesFeed) remaining() string {
	switch {
	case f.unsent != "":
		return f.unsent + " and any after it"
	case f.done:
		return ""
	}
	return fmt.Sprintf("the lines of %s after line %d", f.where, f.line)
}

func (f *linesFeed) close() { f.src.Close() }

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
