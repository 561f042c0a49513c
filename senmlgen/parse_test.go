package senmlgen

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestParseRoundTrip: every payload shape the platform sends parses and writes back byte for byte,
// and its other layout written and parsed again gives the same pack back.
func TestParseRoundTrip(t *testing.T) {
	files, _ := filepath.Glob("../testdata/payloads/*.json")
	if len(files) == 0 {
		t.Fatal("no payloads")
	}
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		body = bytes.TrimSuffix(body, []byte("\n"))
		p, layout, format, err := Parse(body)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if want := strings.Contains(f, "merged"); (layout == Merged) != want {
			t.Errorf("%s: layout %v", f, layout)
		}
		again, _ := p.Encode(format)
		if !bytes.Equal(again, body) {
			t.Errorf("%s: written back as\n%s", f, again)
		}
		other := Legacy
		if layout == Legacy {
			other = Merged
		}
		q, err := Relayout(p, other)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		qb, _ := q.Encode(format)
		q2, l2, _, err := Parse(qb)
		if err != nil || l2 != other {
			t.Fatalf("%s: the %v form %s: %v %v", f, other, qb, l2, err)
		}
		back, _ := Relayout(q2, layout)
		if bb, _ := back.Encode(format); !bytes.Equal(bb, body) {
			t.Errorf("%s: through %v and back:\n%s", f, other, bb)
		}
	}
}

// TestRelayoutGenerated: every generated profile, in either layout, parses back to the generator's
// bytes and goes through the other layout and back unchanged.
func TestRelayoutGenerated(t *testing.T) {
	for _, name := range ProfileNames() {
		for _, l := range []Layout{Legacy, Merged} {
			g, _ := New(Config{Profile: Profile(name), Layout: l, Seed: 3, Now: time.Unix(1767323045, 0)})
			for i := 0; i < 20; i++ {
				body := g.AppendNext(nil)
				p, layout, format, err := Parse(body)
				if err != nil || layout != l {
					t.Fatalf("%s %v: %v %v", name, l, layout, err)
				}
				other, _ := Relayout(p, 1-l)
				back, _ := Relayout(other, l)
				if got, _ := back.Encode(format); !bytes.Equal(got, body) {
					t.Fatalf("%s %v:\n got %s\nwant %s", name, l, got, body)
				}
			}
		}
	}
}

func TestParseRefuses(t *testing.T) {
	for body, want := range map[string]string{
		`{}`:                                    "not a JSON array",
		`[]`:                                    "no base name",
		`[{"n":"x","v":1}]`:                     "no base name",
		`[{"bn":"a","bt":1},{"n":"x","s":1}]`:   `record 1: "s" is not a member`,
		`[{"bn":"a","bt":1},{"n":"x","v":"1"}]`: `record 1, "v": want a number`,
		`[{"bn":"a","bt":1},{"bn":"b","v":1}]`:  `"bn" after the first record`,
		`[{"bn":"a","n":"x","v":1,"vs":"y"}]`:   "2 value members",
		`[{"bn":"a","n":"x","v":1,"v":2}]`:      `"v" twice`,
		`[{"bn":"a","bt":1}][]`:                 "more after",
		`[{"bn":"a","bt":1},{}]`:                "record 1: no value",
		`[{"bn":"a","n":"x"}]`:                  "record 0: no value",
	} {
		if _, _, _, err := Parse([]byte(body)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", body, err, want)
		}
	}
}

// FuzzParse: any input parses or fails with an error, and a pack it reads writes back to bytes
// that parse to the same pack, in either layout.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("../testdata/payloads/*.json")
	for _, p := range files {
		b, _ := os.ReadFile(p)
		f.Add(b)
	}
	f.Add([]byte(`[{"bn":"a","bt":1e400}]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		p, layout, format, err := Parse(body)
		if err != nil {
			return
		}
		for _, l := range []Layout{layout, 1 - layout} {
			q, err := Relayout(p, l)
			if err != nil {
				continue
			}
			b, err := q.Encode(format)
			if err != nil {
				continue // a number JSON cannot hold
			}
			if _, got, _, err := Parse(b); err != nil || got != l && len(q) > 1 {
				t.Fatalf("%s as %v: %s: %v %v", body, l, b, got, err)
			}
		}
	})
}
