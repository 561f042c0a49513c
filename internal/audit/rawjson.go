package audit

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// node is a JSON value as it was written: a scalar keeps its exact bytes, an object its members
// in order. Audit changes packs through it so that a variant differs from its pack only in what
// the variant is about.
type node struct {
	kind byte     // '{', '[', '"' for a string, '0' for a number, true, false or null
	raw  []byte   // a scalar's bytes as written, quotes and escapes included
	off  int      // where it starts in the text it was read from
	keys [][]byte // an object's keys as written, quotes included
	vals []*node  // an object's values or an array's elements
}

// parseRaw reads a JSON text into nodes.
func parseRaw(b []byte) (*node, error) {
	if !json.Valid(b) {
		return nil, errors.New("not valid JSON")
	}
	p := rawParser{b: b}
	return p.value(), nil
}

// rawParser reads text that json.Valid has accepted, so it need not check the grammar again.
type rawParser struct {
	b []byte
	i int
}

func (p *rawParser) space() {
	for p.i < len(p.b) && strings.IndexByte(" \t\r\n", p.b[p.i]) >= 0 {
		p.i++
	}
}

func (p *rawParser) value() *node {
	p.space()
	switch c, off := p.b[p.i], p.i; c {
	case '{', '[':
		n := &node{kind: c, off: off}
		p.i++
		for {
			p.space()
			if p.b[p.i] == '}' || p.b[p.i] == ']' {
				p.i++
				return n
			}
			if p.b[p.i] == ',' {
				p.i++
				p.space()
			}
			if c == '{' {
				n.keys = append(n.keys, p.str())
				p.space()
				p.i++ // the colon
			}
			n.vals = append(n.vals, p.value())
		}
	case '"':
		return &node{kind: '"', raw: p.str(), off: off}
	default:
		start := p.i
		for p.i < len(p.b) && strings.IndexByte(",]} \t\r\n", p.b[p.i]) < 0 {
			p.i++
		}
		return &node{kind: '0', raw: p.b[start:p.i], off: off}
	}
}

func (p *rawParser) str() []byte {
	start := p.i
	for p.i++; p.b[p.i] != '"'; p.i++ {
		if p.b[p.i] == '\\' {
			p.i++
		}
	}
	p.i++
	return p.b[start:p.i]
}

// rawStyle says how a tree is written back: its own bytes, with white space, or with every
// object's members in reverse order.
type rawStyle struct {
	spaced   bool
	reversed bool
}

func (n *node) append(dst []byte, s rawStyle) []byte {
	switch n.kind {
	case '{', '[':
		open, closing := n.kind, byte(']')
		if open == '{' {
			closing = '}'
		}
		dst = append(dst, open)
		for j := range n.vals {
			k := j
			if s.reversed && open == '{' {
				k = len(n.vals) - 1 - j
			}
			if j > 0 {
				dst = append(dst, ',')
				if s.spaced {
					dst = append(dst, ' ')
				}
			}
			if open == '{' {
				dst = append(append(dst, n.keys[k]...), ':')
				if s.spaced {
					dst = append(dst, ' ')
				}
			}
			dst = n.vals[k].append(dst, s)
		}
		return append(dst, closing)
	}
	return append(dst, n.raw...)
}

// member returns an object's value of key, nil when it has none.
func (n *node) member(key string) *node {
	for k, raw := range n.keys {
		if string(raw) == strconv.Quote(key) {
			return n.vals[k]
		}
	}
	return nil
}

// text decodes a string node.
func (n *node) text() string {
	var s string
	json.Unmarshal(n.raw, &s)
	return s
}

// A writer is how a JSON library writes a parsed value back: receivers that hash what their library
// writes instead of the bytes they got verify only packs their library writes the same way.
type writer struct {
	name string
	fn   func(*node) []byte
}

// writers are the libraries whose output a receiver most often hashes by mistake.
var writers = []writer{
	{"JSON.parse then JSON.stringify (JavaScript)", func(n *node) []byte { return appendJS(nil, n) }},
	{"json.loads then json.dumps (Python)", func(n *node) []byte { return appendPython(nil, n) }},
	{"encoding/json into a map (Go)", func(n *node) []byte {
		var v any
		json.Unmarshal(n.append(nil, rawStyle{}), &v)
		b, _ := json.Marshal(v)
		return b
	}},
}

// appendJS writes a value as JSON.stringify writes what JSON.parse read: compact, members in
// order, every number a double in JavaScript's shortest form.
func appendJS(dst []byte, n *node) []byte {
	return appendWith(dst, n, ",", ":", func(dst []byte, raw []byte) []byte {
		x, _ := strconv.ParseFloat(string(raw), 64)
		return appendJSNumber(dst, x)
	}, appendJSString)
}

// appendPython writes a value as json.dumps writes what json.loads read: ", " and ": " between
// members, integers as written, other numbers as Python's repr, non-ASCII as \u escapes.
func appendPython(dst []byte, n *node) []byte {
	return appendWith(dst, n, ", ", ": ", func(dst []byte, raw []byte) []byte {
		if !strings.ContainsAny(string(raw), ".eE") {
			return append(dst, pythonInt(string(raw))...)
		}
		x, _ := strconv.ParseFloat(string(raw), 64)
		return appendPythonFloat(dst, x)
	}, appendPythonString)
}

func appendWith(dst []byte, n *node, comma, colon string, num func([]byte, []byte) []byte, str func([]byte, string) []byte) []byte {
	switch n.kind {
	case '{', '[':
		closing := byte(']')
		if n.kind == '{' {
			closing = '}'
		}
		dst = append(dst, n.kind)
		for k, v := range n.vals {
			if k > 0 {
				dst = append(dst, comma...)
			}
			if n.kind == '{' {
				dst = append(str(dst, (&node{raw: n.keys[k]}).text()), colon...)
			}
			dst = appendWith(dst, v, comma, colon, num, str)
		}
		return append(dst, closing)
	case '"':
		return str(dst, n.text())
	}
	if c := n.raw[0]; c == '-' || c >= '0' && c <= '9' {
		return num(dst, n.raw)
	}
	return append(dst, n.raw...)
}

// pythonInt writes an integer as Python's int does: exactly, without leading zeros, -0 as 0.
func pythonInt(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimLeft(strings.TrimPrefix(s, "-"), "0")
	switch {
	case s == "":
		return "0"
	case neg:
		return "-" + s
	}
	return s
}

// shortest returns the shortest decimal digits that read back as x (x > 0) and the position of
// the decimal point: x = 0.digits × 10^point.
func shortest(x float64) (string, int) {
	s := strconv.FormatFloat(x, 'e', -1, 64) // d.ddde±XX
	mant, exp, _ := strings.Cut(s, "e")
	e, _ := strconv.Atoi(exp)
	return strings.Replace(mant, ".", "", 1), e + 1
}

// appendJSNumber writes x as ECMAScript's Number::toString does.
func appendJSNumber(dst []byte, x float64) []byte {
	if x == 0 {
		return append(dst, '0')
	}
	if x < 0 {
		dst, x = append(dst, '-'), -x
	}
	d, n := shortest(x)
	k := len(d)
	switch {
	case k <= n && n <= 21:
		return append(append(dst, d...), strings.Repeat("0", n-k)...)
	case 0 < n && n <= 21:
		return append(append(append(dst, d[:n]...), '.'), d[n:]...)
	case -6 < n && n <= 0:
		return append(append(append(dst, "0."...), strings.Repeat("0", -n)...), d...)
	}
	dst = append(dst, d[0])
	if k > 1 {
		dst = append(append(dst, '.'), d[1:]...)
	}
	dst = append(dst, 'e')
	if n-1 >= 0 {
		dst = append(dst, '+')
	}
	return strconv.AppendInt(dst, int64(n-1), 10)
}

// appendPythonFloat writes x as Python's repr of a float does.
func appendPythonFloat(dst []byte, x float64) []byte {
	if x == 0 {
		if 1/x < 0 {
			return append(dst, "-0.0"...)
		}
		return append(dst, "0.0"...)
	}
	if x < 0 {
		dst, x = append(dst, '-'), -x
	}
	d, n := shortest(x)
	k := len(d)
	switch {
	case -4 < n && n <= 0:
		return append(append(append(dst, "0."...), strings.Repeat("0", -n)...), d...)
	case 0 < n && n <= 16 && n >= k:
		return append(append(append(dst, d...), strings.Repeat("0", n-k)...), ".0"...)
	case 0 < n && n <= 16:
		return append(append(append(dst, d[:n]...), '.'), d[n:]...)
	}
	dst = append(dst, d[0])
	if k > 1 {
		dst = append(append(dst, '.'), d[1:]...)
	}
	e := n - 1
	sign := byte('+')
	if e < 0 {
		sign, e = '-', -e
	}
	return append(append(dst, 'e', sign), fmt.Sprintf("%02d", e)...)
}

// appendJSString writes s as JSON.stringify does: only '"', '\\' and control characters escaped,
// the short forms where JSON has them, lower-case hex otherwise.
func appendJSString(dst []byte, s string) []byte { return appendQuoted(dst, s, false) }

// appendPythonString writes s as json.dumps does by default (ensure_ascii): everything outside
// printable ASCII as \u escapes, characters beyond the BMP as surrogate pairs.
func appendPythonString(dst []byte, s string) []byte { return appendQuoted(dst, s, true) }

func appendQuoted(dst []byte, s string, ascii bool) []byte {
	dst = append(dst, '"')
	for _, r := range s {
		dst = appendEscape(dst, r, ascii)
	}
	return append(dst, '"')
}

func appendEscape(dst []byte, r rune, ascii bool) []byte {
	switch r {
	case '"':
		return append(dst, '\\', '"')
	case '\\':
		return append(dst, '\\', '\\')
	case '\b':
		return append(dst, '\\', 'b')
	case '\f':
		return append(dst, '\\', 'f')
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	}
	switch {
	case r < 0x20, ascii && r > 0x7e && r <= 0xffff:
		return fmt.Appendf(dst, `\u%04x`, r)
	case ascii && r > 0xffff:
		hi, lo := utf16.EncodeRune(r)
		return fmt.Appendf(dst, `\u%04x\u%04x`, hi, lo)
	}
	return utf8.AppendRune(dst, r)
}
