package run

import (
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/thingsim/thingsim/internal/capture"
	"github.com/thingsim/thingsim/sender"
	"github.com/thingsim/thingsim/senmlgen"
)

// Message is one body to send, with where it came from.
type Message struct {
	Index     int
	Body      []byte
	Device    string           // the pack's base name, for reports
	Origin    string           // "line 3 of payloads.jsonl", for reports
	Overrides sender.Overrides // what a replay keeps of the captured request
	buffer    *[]byte          // the pooled buffer Body lives in, given back once delivered
}

// bodyBuffers hold generated bodies: packs are encoded by appending into reused buffers.
var bodyBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// Release gives a generated message's buffer back; the body must not be used after.
func (m *Message) Release() {
	if m.buffer != nil {
		*m.buffer = m.Body[:0]
		bodyBuffers.Put(m.buffer)
		m.buffer, m.Body = nil, nil
	}
}

// Messages is a feed of a run's messages, as the commands make them: generated packs, copies of
// one payload, bodies one a line, captured requests.
type Messages interface {
	Feed[Message]
	// Remaining says what was not sent when the run stopped early, or "" when nothing is left.
	Remaining() string
	// Size returns how many messages the feed holds, -1 when it does not know or has no end.
	Size() int64
	Close()
}

// Packs yields generated bodies: Next appends the next one to dst and returns it with its
// device's base name.
type Packs interface {
	Next(dst []byte) ([]byte, string)
}

// Generated yields count packs of p; a negative count has no end.
func Generated(p Packs, count int64) *GeneratedFeed { return &GeneratedFeed{src: p, count: count} }

// GeneratedFeed yields generated packs, each in a pooled buffer.
type GeneratedFeed struct {
	src    Packs
	count  int64
	n      int64 // messages given
	k      int64 // the next message number of the whole run
	shard  Shard
	skip   []byte
	unread []int // numbers of messages given back, to give again
}

// ShardOf makes the feed yield only the shard's messages of the whole run, numbered as the whole
// run numbers them.
func (f *GeneratedFeed) ShardOf(s Shard) { f.shard = s }

func (f *GeneratedFeed) Size() int64 { return f.shard.Count(f.count) }

func (f *GeneratedFeed) Next() (Message, error) {
	if n := len(f.unread); n > 0 {
		k := f.unread[n-1]
		f.unread = f.unread[:n-1]
		buf := bodyBuffers.Get().(*[]byte)
		body, device := f.src.Next((*buf)[:0])
		f.n++
		return Message{Index: k, Body: body, Device: device, buffer: buf}, nil
	}
	for !f.shard.Has(f.k) {
		if f.count >= 0 && f.k >= f.count {
			return Message{}, io.EOF
		}
		// Another shard's message: passed over without a pack where the source can, else made and
		// dropped (one device's series depends on every pack before).
		if sk, ok := f.src.(Skipper); ok && f.shard.byDevice() {
			sk.Skip()
		} else {
			f.skip, _ = f.src.Next(f.skip[:0])
		}
		f.k++
	}
	if f.count >= 0 && f.k >= f.count {
		return Message{}, io.EOF
	}
	buf := bodyBuffers.Get().(*[]byte)
	body, device := f.src.Next((*buf)[:0])
	m := Message{Index: int(f.k), Body: body, Device: device, buffer: buf}
	f.n++
	f.k++
	return m, nil
}

func (f *GeneratedFeed) Unread(m Message) {
	f.n--
	f.unread = append(f.unread, m.Index)
}

func (f *GeneratedFeed) Remaining() string {
	if left := f.Size() - f.n; f.count >= 0 && left > 0 {
		return fmt.Sprintf("%d generated message%s", left, plural(left))
	}
	return ""
}

func (f *GeneratedFeed) Close() {}

// Copies sends body count times, its exact bytes; where names it in reports.
func Copies(body []byte, device, where string, count int64) *PayloadFeed {
	return &PayloadFeed{body: body, device: device, where: where, count: count}
}

// PayloadFeed sends one body a number of times.
type PayloadFeed struct {
	body   []byte
	device string
	where  string
	count  int64
	n      int64
	shard  Shard
}

// ShardOf makes the feed send only the shard's copies (every Nth), numbered as the whole run
// numbers them.
func (f *PayloadFeed) ShardOf(s Shard) { f.shard = Shard{I: s.I, N: s.N} }

func (f *PayloadFeed) Next() (Message, error) {
	if size := f.Size(); size >= 0 && f.n >= size {
		return Message{}, io.EOF
	}
	k := f.n
	if f.shard.N > 1 {
		k = int64(f.shard.I) + f.n*int64(f.shard.N)
	}
	m := Message{Index: int(k), Body: f.body, Device: f.device, Origin: f.where}
	f.n++
	return m, nil
}

func (f *PayloadFeed) Unread(Message) { f.n-- }

func (f *PayloadFeed) Size() int64 { return f.shard.Count(f.count) }

func (f *PayloadFeed) Remaining() string {
	if left := f.Size() - f.n; f.count >= 0 && left > 0 {
		return fmt.Sprintf("%d of %d copies of %s", left, f.Size(), f.where)
	}
	return ""
}

func (f *PayloadFeed) Close() {}

// InputError is a feed's input that could not be read, such as a line past its limit.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// LinesFeed sends one body a line, streaming from a capture.Lines source: a line loses its "\n"
// or "\r\n"; blank lines are skipped.
type LinesFeed struct {
	src   capture.Source
	where string
	line  int
	n     int
	done  bool
	// Warn, when set, is told the findings of a body that is not valid SenML.
	Warn func(origin string, findings []senmlgen.Finding)
	// unsent is the origin of a message read but given back, from which the rest was not sent.
	unsent string
	// first is the first item, read when the feed opens, so that input that cannot be read at
	// all is refused before anything is said or sent; firstErr is what reading it gave.
	first    *capture.Item
	firstErr error
}

// NewLinesFeed reads the first line of src, named where, at once: an error reading it is returned
// here, before anything is sent.
func NewLinesFeed(src capture.Source, where string) (*LinesFeed, error) {
	f := &LinesFeed{src: src, where: where}
	it, err := src.Next()
	if err != nil && !errors.Is(err, io.EOF) {
		src.Close()
		return nil, err
	}
	f.first, f.firstErr = &it, err
	return f, nil
}

// Where names the feed's input.
func (f *LinesFeed) Where() string { return f.where }

// Item returns the next line's item: first the one read when the feed opened.
func (f *LinesFeed) Item() (capture.Item, error) {
	if f.first != nil {
		it, err := *f.first, f.firstErr
		f.first = nil
		return it, err
	}
	return f.src.Next()
}

func (f *LinesFeed) Next() (Message, error) {
	if f.done {
		return Message{}, io.EOF
	}
	it, err := f.Item()
	if err != nil {
		f.done = true
		if errors.Is(err, io.EOF) {
			return Message{}, io.EOF
		}
		return Message{}, &InputError{err}
	}
	f.line = it.Line
	origin := fmt.Sprintf("line %d of %s", it.Line, f.where)
	rep := senmlgen.Validate(it.Body)
	if f.Warn != nil && !rep.Valid() {
		f.Warn(origin, rep.Findings)
	}
	m := Message{Index: f.n, Body: it.Body, Device: rep.BaseName, Origin: origin}
	f.n++
	return m, nil
}

func (f *LinesFeed) Unread(m Message) { f.unsent = m.Origin }

func (f *LinesFeed) Size() int64 { return -1 }

func (f *LinesFeed) Remaining() string {
	switch {
	case f.unsent != "":
		return f.unsent + " and any after it"
	case f.done:
		return ""
	}
	return fmt.Sprintf("the lines of %s after line %d", f.where, f.line)
}

func (f *LinesFeed) Close() { f.src.Close() }

func plural(n int64) string {
	if n == 1 {
		return ""
	}
	return "s"
}
