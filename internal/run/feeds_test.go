package run

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/thingsim/thingsim/internal/capture"
)

type numbered struct{ n int }

func (p *numbered) Next(dst []byte) ([]byte, string) {
	p.n++
	return append(dst, `[{"bn":"urn:dev:x:","bt":1.7E9}]`...), "urn:dev:x:"
}

// TestFeeds: each feed yields its messages in order, takes back what was not sent, and says what
// is left.
func TestFeeds(t *testing.T) {
	g := Generated(&numbered{}, 3)
	m, _ := g.Next()
	m.Release()
	m, _ = g.Next()
	g.Unread(m)
	if g.Remaining() != "2 generated messages" || g.Size() != 3 {
		t.Errorf("generated: %q", g.Remaining())
	}
	for i := 0; i < 2; i++ {
		if _, err := g.Next(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := g.Next(); err != io.EOF || g.Remaining() != "" {
		t.Errorf("generated at its end: %v %q", err, g.Remaining())
	}

	p := Copies([]byte("[]"), "", "body.json", 2)
	p.Next()
	if p.Remaining() != "1 of 2 copies of body.json" {
		t.Errorf("copies: %q", p.Remaining())
	}

	l, err := NewLinesFeed(capture.Lines("packs", strings.NewReader("[1]\n\n[2]\n[3]\n"), nil), "packs")
	if err != nil {
		t.Fatal(err)
	}
	first, _ := l.Next()
	second, _ := l.Next()
	if string(first.Body) != "[1]" || second.Origin != "line 3 of packs" {
		t.Errorf("lines: %q, %q", first.Body, second.Origin)
	}
	l.Unread(second)
	if l.Remaining() != "line 3 of packs and any after it" {
		t.Errorf("lines: %q", l.Remaining())
	}

	long := strings.Repeat("x", 2<<20)
	if _, err := NewLinesFeed(capture.Lines("big", strings.NewReader(long), nil), "big"); err == nil {
		t.Error("a first line past the limit is accepted")
	}
	l, _ = NewLinesFeed(capture.Lines("big", strings.NewReader("[1]\n"+long), nil), "big")
	l.Next()
	var ie *InputError
	if _, err := l.Next(); !errors.As(err, &ie) {
		t.Errorf("a later line past the limit: %v", err)
	}
}
