// Package senmlgen builds SenML packs (RFC 8428) byte for byte as the KPN Things platform writes
// them, generates plausible device traffic in the platform's shapes, and validates packs that users
// supply.
//
// The platform's bytes matter because the Things-Message-Token is a hash over them: numbers are
// written as Java's Double.toString writes them, members in the order the platform writes them,
// strings escaped as Jackson escapes them. No SenML library does that, so the model and encoder
// here are small and hand-written.
package senmlgen

import (
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// ValueKind says which value member a record carries.
type ValueKind uint8

const (
	// NoValue is a record without a value: the legacy layout's base-only first record.
	NoValue ValueKind = iota
	// NumberValue is "v".
	NumberValue
	// StringValue is "vs".
	StringValue
	// BoolValue is "vb".
	BoolValue
	// DataValue is "vd", base64 text.
	DataValue
)

// Record is one SenML record. Fields that are empty (or, for times, not marked present) are left
// out of the encoding.
type Record struct {
	BaseName    string
	BaseTime    float64
	HasBaseTime bool
	Name        string
	Unit        string
	Kind        ValueKind
	Number      float64 // for NumberValue
	Text        string  // for StringValue and DataValue
	Bool        bool    // for BoolValue
	Time        float64
	HasTime     bool
}

// Pack is a SenML pack: the records in the order they are written.
type Pack []Record

// MemberOrder says where a record's unit goes relative to its value.
type MemberOrder uint8

const (
	// CaptureOrder is the order of real platform captures: bn, bt, n, u, value, t.
	CaptureOrder MemberOrder = iota
	// DocOrder is the order of the platform documentation's examples: bn, bt, n, value, u, t.
	DocOrder
)

// Format says how a pack is written.
type Format struct {
	Numbers NumberStyle
	Order   MemberOrder
}

// Append appends the pack's compact JSON encoding to dst. It fails only on a number JSON cannot
// hold (NaN, ±Inf).
func (p Pack) Append(dst []byte, f Format) ([]byte, error) {
	dst = append(dst, '[')
	for i := range p {
		if i > 0 {
			dst = append(dst, ',')
		}
		var err error
		if dst, err = p[i].append(dst, f); err != nil {
			return dst, fmt.Errorf("record %d: %w", i, err)
		}
	}
	return append(dst, ']'), nil
}

// Encode returns the pack's compact JSON encoding.
func (p Pack) Encode(f Format) ([]byte, error) {
	return p.Append(make([]byte, 0, 64*len(p)+16), f)
}

func (r *Record) append(dst []byte, f Format) ([]byte, error) {
	e := memberWriter{dst: append(dst, '{'), format: f}
	if r.BaseName != "" {
		e.str("bn", r.BaseName)
	}
	if r.HasBaseTime {
		e.num("bt", r.BaseTime)
	}
	if r.Name != "" {
		e.str("n", r.Name)
	}
	if f.Order == CaptureOrder && r.Unit != "" {
		e.str("u", r.Unit)
	}
	switch r.Kind {
	case NumberValue:
		e.num("v", r.Number)
	case StringValue:
		e.str("vs", r.Text)
	case BoolValue:
		e.key("vb")
		e.dst = strconv.AppendBool(e.dst, r.Bool)
	case DataValue:
		e.str("vd", r.Text)
	}
	if f.Order == DocOrder && r.Unit != "" {
		e.str("u", r.Unit)
	}
	if r.HasTime {
		e.num("t", r.Time)
	}
	return append(e.dst, '}'), e.err
}

// memberWriter appends the members of one JSON object.
type memberWriter struct {
	dst    []byte
	format Format
	n      int
	err    error
}

func (e *memberWriter) key(k string) {
	if e.n > 0 {
		e.dst = append(e.dst, ',')
	}
	e.n++
	e.dst = append(e.dst, '"')
	e.dst = append(e.dst, k...)
	e.dst = append(e.dst, '"', ':')
}

func (e *memberWriter) str(k, v string) {
	e.key(k)
	e.dst = AppendString(e.dst, v)
}

func (e *memberWriter) num(k string, x float64) {
	if x != x || x > maxFloat || x < -maxFloat {
		if e.err == nil {
			e.err = fmt.Errorf("%q is %v, which JSON cannot hold", k, x)
		}
	}
	e.key(k)
	e.dst = AppendNumber(e.dst, x, e.format.Numbers)
}

const maxFloat = 1.7976931348623157e308

// escaped marks the bytes AppendString looks at: control characters, '"', '\\', and the first
// byte of a character outside the BMP. One table look-up per byte keeps plain text fast.
var escaped = func() (t [256]bool) {
	for c := range t {
		t[c] = c < 0x20 || c == '"' || c == '\\' || c >= 0xF0
	}
	return t
}()

// AppendString appends s as a JSON string the way Jackson's writeValueAsBytes writes it: '"', '\\'
// and control characters are escaped (\b \t \n \f \r by their short forms, the rest as \u00XX),
// and so is a character outside the Basic Multilingual Plane, as its UTF-16 surrogate pair in
// upper-case hex (\uD83D\uDC4D), which Jackson 2 does unless told otherwise; everything else,
// non-ASCII included, is written as it is (TestJacksonWritesTheSameBytes compares with Jackson).
func AppendString(dst []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !escaped[c] {
			continue
		}
		if c >= 0xF0 {
			r, size := utf8.DecodeRuneInString(s[i:])
			if size == 4 {
				dst = append(dst, s[start:i]...)
				hi, lo := utf16.EncodeRune(r)
				for _, u := range []rune{hi, lo} {
					dst = append(dst, '\\', 'u', hex[u>>12], hex[u>>8&0xF], hex[u>>4&0xF], hex[u&0xF])
				}
				i += size - 1
				start = i + 1
			}
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"':
			dst = append(dst, '\\', '"')
		case '\\':
			dst = append(dst, '\\', '\\')
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\f':
			dst = append(dst, '\\', 'f')
		case '\r':
			dst = append(dst, '\\', 'r')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
