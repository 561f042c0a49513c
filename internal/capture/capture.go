// Package capture reads captured payloads for replay, whatever holds them: receive's capture
// files and send's dead letters (message records, one JSON line each), folders of body files,
// single body files, streams of bodies one per line, raw HTTP request files as the platform's
// documentation shows them, and HAR 1.2 files. The format is told from the content, not the
// file's name. Bodies come out byte for byte as captured.
package capture

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/thingsim/thingsim/internal/bounded"
	"github.com/thingsim/thingsim/internal/record"
)

// Item is one captured request to replay.
type Item struct {
	Body     []byte
	Token    string // the captured Things-Message-Token, "" when none
	PlugUUID string
	Headers  []record.Header // as captured, in order
	Verdict  string          // receive's verdict, "" when the source has none
	Origin   string          // where it was: "capture.jsonl line 3"
	Line     int             // its line in a file of one body per line, 0 elsewhere
	// Record is the whole message record, when the source holds records (captures, dead letters).
	Record *record.MessageRecord
}

// Problem is a record that cannot be replayed. Skip marks one that holds nothing to replay (a
// capture of an oversized body), which is a note rather than an error.
type Problem struct {
	Origin string
	Msg    string
	Skip   bool
}

// Error names where the problem is and what it is.
func (p *Problem) Error() string { return p.Origin + ": " + p.Msg }

// Source yields the items of one file, folder or stream in order. Next returns io.EOF at the end
// and a *Problem for a record it cannot use; the items after it still follow.
type Source interface {
	Next() (Item, error)
	// Kind names the format found: "capture", "bodies", "raw HTTP", ...
	Kind() string
	Close() error
}

// Open opens a source: "-" is one body per line on stdin; a folder holds body files; a file is
// told by its content. It fails only when the source cannot be read at all.
func Open(path string, stdin io.Reader) (Source, error) {
	return OpenContext(context.Background(), path, stdin)
}

// OpenContext is Open, but a wait for input that may not come (a named pipe without a writer,
// standard input from a terminal or a pipe) ends with bounded.ErrInterrupted when ctx does.
func OpenContext(ctx context.Context, path string, stdin io.Reader) (Source, error) {
	if path == "-" {
		stdin = bounded.Interruptible(ctx, stdin)
		return Lines("standard input", stdin, nil), nil
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, pathErr(err)
	}
	if st.IsDir() {
		return openDir(path)
	}
	f, err := bounded.OpenContext(ctx, path)
	if errors.Is(err, bounded.ErrInterrupted) {
		return nil, err
	}
	if err != nil {
		return nil, pathErr(err)
	}
	// A file is read as it was when opened: a capture that grows while it is replayed (into the
	// receiver that writes it) would otherwise never end.
	r := bounded.Interruptible(ctx, f)
	if st.Mode().IsRegular() {
		r = io.LimitReader(f, st.Size())
	}
	br := bufio.NewReaderSize(r, sniffSize)
	head, _ := br.Peek(sniffSize)
	if len(head) == sniffSize && firstLineOpen(head) {
		// The first line goes on past what was looked at, as a record holding a large body does:
		// look at the whole line, so that a long capture is not taken for one body.
		if _, err := f.Seek(0, io.SeekStart); err == nil {
			if st.Mode().IsRegular() {
				r = io.LimitReader(f, st.Size())
			}
			br = bufio.NewReaderSize(r, maxLine)
			head, _ = br.Peek(maxLine)
		}
	}
	switch sniff(head) {
	case kindRecords:
		return newRecords(path, br, f), nil
	case kindBinary:
		f.Close()
		return binary(path), nil
	}
	data, err := bounded.Read(br, path, bounded.Whole)
	f.Close()
	if err != nil {
		var tooLarge *bounded.TooLargeError
		if errors.As(err, &tooLarge) {
			return nil, fmt.Errorf("%w: replay reads a HAR, raw HTTP or body file whole", err)
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return parseWhole(path, data), nil
}

// Parse reads a whole file's content as Open would read the file, for tests and fuzzing.
func Parse(name string, data []byte) Source {
	switch sniff(data) {
	case kindRecords:
		return newRecords(name, bufio.NewReader(bytes.NewReader(data)), nil)
	case kindBinary:
		return binary(name)
	}
	return parseWhole(name, data)
}

// sniffSize is how much of a file Open looks at to tell its format; maxLine how much it looks at
// when the first line is longer: the longest record a capture may hold.
const (
	sniffSize = 64 << 10
	maxLine   = bounded.Record
)

// firstLineOpen reports whether head starts a JSON object whose line does not end in head.
func firstLineOpen(head []byte) bool {
	trimmed := bytes.TrimLeft(head, " \t\r\n")
	return len(trimmed) > 0 && trimmed[0] == '{' && bytes.IndexByte(trimmed, '\n') < 0
}

type kind int

const (
	kindOther kind = iota
	kindRecords
	kindBinary
)

// sniff tells message records (a JSON object per line with a body member) and binary data from
// the rest.
func sniff(head []byte) kind {
	if bytes.IndexByte(head, 0) >= 0 {
		return kindBinary
	}
	trimmed := bytes.TrimLeft(head, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return kindOther
	}
	line := trimmed
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	var probe map[string]json.RawMessage
	if json.Unmarshal(line, &probe) == nil {
		for _, k := range []string{"body_base64", "body", "body_truncated", "attempts", "verdict"} {
			if _, ok := probe[k]; ok {
				return kindRecords
			}
		}
	}
	return kindOther
}

// parseWhole tells a whole file's format: HAR, raw HTTP, a stream of bodies or one body.
func parseWhole(name string, data []byte) Source {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '{' {
		// A HAR file, webhook.site's export of a token's requests, or one request of it.
		var probe struct {
			Log  json.RawMessage      `json:"log"`
			Data []webhookSiteRequest `json:"data"`
			webhookSiteRequest
		}
		if json.Unmarshal(data, &probe) == nil {
			switch {
			case probe.Log != nil:
				return parseHAR(name, data)
			case probe.Data != nil:
				return parseWebhookSite(name, probe.Data)
			case probe.Content != nil && probe.Method != "":
				return parseWebhookSite(name, []webhookSiteRequest{probe.webhookSiteRequest})
			}
		}
	}
	switch {
	case len(trimmed) > 0 && trimmed[0] == '{' && bytes.Contains(data, []byte(`"log"`)):
		return parseHAR(name, data)
	case requestLine.Match(firstLine(trimmed)):
		return parseRaw(name, data)
	case isBodyStream(data):
		return newLines(name, bufio.NewReader(bytes.NewReader(data)), nil)
	}
	s := &single{kind: "a body file"}
	if len(bytes.TrimSpace(data)) == 0 {
		s.fail(&Problem{Origin: name, Msg: "the file is empty: no body to replay"})
		return s
	}
	s.add(Item{Body: chomp(data), Origin: name})
	return s
}

func binary(name string) Source {
	s := &single{kind: "binary"}
	s.fail(&Problem{Origin: name, Msg: "a binary file, not a body"})
	return s
}

// isBodyStream reports whether every non-blank line is a JSON array, and there are two or more.
func isBodyStream(data []byte) bool {
	n := 0
	for _, line := range bytes.Split(data, []byte("\n")) {
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if line[0] != '[' || !json.Valid(line) {
			return false
		}
		n++
	}
	return n > 1
}

// chomp drops one trailing newline: a body file is its bytes less the newline editors add.
func chomp(b []byte) []byte {
	if bytes.HasSuffix(b, []byte("\r\n")) {
		return b[:len(b)-2]
	}
	return bytes.TrimSuffix(b, []byte("\n"))
}

func firstLine(b []byte) []byte {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return bytes.TrimSuffix(b[:i], []byte("\r"))
	}
	return b
}

func pathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Path, pe.Err)
	}
	return err
}

// single yields a fixed list of items and problems, in order.
type single struct {
	results []result
	kind    string
	i       int
}

// result is an item or a problem.
type result struct {
	item    Item
	problem *Problem
}

func (s *single) add(it Item)     { s.results = append(s.results, result{item: it}) }
func (s *single) fail(p *Problem) { s.results = append(s.results, result{problem: p}) }
func (s *single) Kind() string    { return s.kind }
func (s *single) Close() error    { return nil }

func (s *single) Next() (Item, error) {
	if s.i >= len(s.results) {
		return Item{}, io.EOF
	}
	r := s.results[s.i]
	s.i++
	if r.problem != nil {
		return Item{}, r.problem
	}
	return r.item, nil
}

// lines yields one body per line; blank lines are skipped.
type lines struct {
	name   string
	r      *bufio.Reader
	closer io.Closer
	line   int
}

func newLines(name string, r *bufio.Reader, c io.Closer) *lines {
	return &lines{name: name, r: r, closer: c}
}

// Lines reads one body per line from r, named name in origins: each line loses its "\n" or
// "\r\n", blank lines are skipped. Close closes c, when it is not nil.
func Lines(name string, r io.Reader, c io.Closer) Source {
	return newLines(name, bufio.NewReaderSize(r, 64<<10), c)
}

func (l *lines) Next() (Item, error) {
	for {
		b, err := bounded.ReadLine(l.r, l.line+1, bounded.Body)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return Item{}, io.EOF
			}
			return Item{}, readError(l.name, err)
		}
		l.line++
		b = bytes.TrimSuffix(bytes.TrimSuffix(b, []byte("\n")), []byte("\r"))
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		return Item{Body: b, Origin: fmt.Sprintf("%s line %d", l.name, l.line), Line: l.line}, nil
	}
}

func (l *lines) Kind() string { return "bodies, one per line" }

func (l *lines) Close() error {
	if l.closer != nil {
		return l.closer.Close()
	}
	return nil
}

// dir yields the body files of a folder, sorted by name.
type dir struct {
	path  string
	names []string
	i     int
}

func openDir(path string) (Source, error) {
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, pathErr(err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return &dir{path: path, names: names}, nil
}

func (d *dir) Next() (Item, error) {
	if d.i >= len(d.names) {
		return Item{}, io.EOF
	}
	p := filepath.Join(d.path, d.names[d.i])
	d.i++
	b, err := os.ReadFile(p)
	if err != nil {
		return Item{}, &Problem{Origin: p, Msg: pathErr(err).Error()}
	}
	if bytes.IndexByte(b, 0) >= 0 {
		return Item{}, &Problem{Origin: p, Msg: "a binary file, not a body"}
	}
	return Item{Body: chomp(b), Origin: p}, nil
}

func (d *dir) Kind() string { return "a folder of body files" }
func (d *dir) Close() error { return nil }

// readError names the source of a read error: "reading NAME: ..." for an I/O error, "NAME: line N
// is longer than ..." for a line past its limit.
func readError(name string, err error) error {
	var long *bounded.LineTooLongError
	if errors.As(err, &long) {
		return fmt.Errorf("%s: %w", name, err)
	}
	return fmt.Errorf("reading %s: %w", name, err)
}
