package senml

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Finding is one remark of the validator on a pack. Findings are advisory: a pack a user supplies is
// sent as it is whatever they say.
type Finding struct {
	Record  int    // 0-based index of the record, -1 for the pack as a whole
	Member  string // the member concerned ("bt"), empty for the record or pack
	Message string
}

// String names where the finding is and what it says.
func (f Finding) String() string {
	switch {
	case f.Record < 0:
		return f.Message
	case f.Member != "":
		return fmt.Sprintf("record %d, %q: %s", f.Record, f.Member, f.Message)
	default:
		return fmt.Sprintf("record %d: %s", f.Record, f.Message)
	}
}

// Report is what the validator learned of a pack.
type Report struct {
	Records  int    // number of records
	BaseName string // the first base name, usually the device's
	Findings []Finding
}

// Valid reports whether the validator found nothing to remark.
func (r Report) Valid() bool { return len(r.Findings) == 0 }

// Validate checks a pack against RFC 8428 (JSON representation) with the platform's profile: the
// legacy layout's record holding only base members is the platform's, not an error; JSON's
// upper-case exponent (1.58565075E9) is valid JSON anyway; "vd" may be padded. It never fails:
// whatever is wrong, including not being JSON at all, is a finding.
func Validate(body []byte) Report {
	v := validator{dec: json.NewDecoder(bytes.NewReader(body))}
	v.dec.UseNumber()
	v.pack()
	return v.report
}

type validator struct {
	dec      *json.Decoder
	report   Report
	baseName string
}

func (v *validator) add(record int, member, format string, args ...any) {
	v.report.Findings = append(v.report.Findings, Finding{Record: record, Member: member, Message: fmt.Sprintf(format, args...)})
}

func (v *validator) pack() {
	tok, err := v.dec.Token()
	if err != nil {
		v.add(-1, "", "not JSON: %s", jsonError(err))
		return
	}
	if tok != json.Delim('[') {
		v.add(-1, "", "not a SenML pack: the body is a JSON %s, not an array of records", jsonKind(tok))
		return
	}
	for i := 0; v.dec.More(); i++ {
		v.report.Records++
		if !v.record(i) {
			return
		}
	}
	if _, err := v.dec.Token(); err != nil {
		v.add(-1, "", "not JSON: %s", jsonError(err))
		return
	}
	if v.report.Records == 0 {
		v.add(-1, "", "the pack has no records")
	}
	if _, err := v.dec.Token(); err != io.EOF {
		v.add(-1, "", "data after the pack's closing bracket")
	}
}

// baseMembers are the members a record may hold with no value: the legacy layout's first record.
var baseMembers = map[string]bool{"bn": true, "bt": true, "bu": true, "bv": true, "bs": true, "bver": true}

// record checks record i; false means the JSON itself is broken and checking stops.
func (v *validator) record(i int) bool {
	tok, err := v.dec.Token()
	if err != nil {
		v.add(i, "", "not JSON: %s", jsonError(err))
		return false
	}
	if tok != json.Delim('{') {
		v.add(i, "", "a record must be a JSON object, not a %s", jsonKind(tok))
		return v.skip(tok)
	}
	seen := map[string]bool{}
	values, onlyBase, hasSum := 0, true, false
	name := ""
	for v.dec.More() {
		tok, err := v.dec.Token()
		if err != nil {
			v.add(i, "", "not JSON: %s", jsonError(err))
			return false
		}
		key := tok.(string) // an object's keys are always strings
		var val any
		if err := v.dec.Decode(&val); err != nil {
			v.add(i, key, "not JSON: %s", jsonError(err))
			return false
		}
		if seen[key] {
			v.add(i, key, "appears twice in the record")
		}
		seen[key] = true
		if !baseMembers[key] {
			onlyBase = false
		}
		switch key {
		case "bn":
			if s, ok := v.wantString(i, key, val); ok {
				v.baseName = s
				if v.report.BaseName == "" {
					v.report.BaseName = s
				}
			}
		case "n":
			name, _ = v.wantString(i, key, val)
		case "bu", "u":
			v.wantString(i, key, val)
		case "bt", "bv", "bs", "t", "ut":
			v.wantNumber(i, key, val)
		case "s":
			hasSum = true
			v.wantNumber(i, key, val)
		case "bver":
			if x, ok := v.wantNumber(i, key, val); ok && (x < 1 || x != math.Trunc(x)) {
				v.add(i, key, "the version must be a positive integer, not %v", val)
			}
		case "v":
			values++
			v.wantNumber(i, key, val)
		case "vs":
			values++
			v.wantString(i, key, val)
		case "vb":
			values++
			if _, ok := val.(bool); !ok {
				v.add(i, key, "must be true or false, not a %s", jsonKind(val))
			}
		case "vd":
			values++
			if s, ok := v.wantString(i, key, val); ok && !isBase64(s) {
				v.add(i, key, "is not base64 data")
			}
		default:
			if strings.HasSuffix(key, "_") {
				v.add(i, key, "is a must-understand member this validator does not know (RFC 8428 section 4.4)")
			}
		}
	}
	if _, err := v.dec.Token(); err != nil { // the closing brace
		v.add(i, "", "not JSON: %s", jsonError(err))
		return false
	}
	switch {
	case values > 1:
		v.add(i, "", "holds %d values; a record has at most one of v, vs, vb, vd", values)
	case values == 0 && !hasSum && !onlyBase:
		v.add(i, "", "has no value (v, vs, vb or vd) and no sum (s)")
	}
	if values > 0 || hasSum {
		v.checkName(i, v.baseName+name)
	}
	return true
}

// checkName applies RFC 8428 section 4.5.1 to a resolved name.
func (v *validator) checkName(i int, name string) {
	if name == "" {
		v.add(i, "n", "the record's name is empty: neither bn nor n gives one")
		return
	}
	for j := 0; j < len(name); j++ {
		c := name[j]
		alnum := c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		if j == 0 && !alnum {
			v.add(i, "n", "the name %q must start with a letter or a digit", name)
			return
		}
		if !alnum && !strings.ContainsRune("-:./_", rune(c)) {
			v.add(i, "n", "the name %q holds %q, which RFC 8428 does not allow in names", name, string(rune(c)))
			return
		}
	}
}

func (v *validator) wantString(i int, key string, val any) (string, bool) {
	s, ok := val.(string)
	if !ok {
		v.add(i, key, "must be a string, not a %s", jsonKind(val))
	}
	return s, ok
}

func (v *validator) wantNumber(i int, key string, val any) (float64, bool) {
	n, ok := val.(json.Number)
	if !ok {
		v.add(i, key, "must be a number, not a %s", jsonKind(val))
		return 0, false
	}
	x, err := strconv.ParseFloat(string(n), 64)
	if err != nil {
		v.add(i, key, "the number %s is out of range", n)
		return 0, false
	}
	return x, true
}

// skip consumes the rest of a value whose first token was tok.
func (v *validator) skip(tok json.Token) bool {
	if d, ok := tok.(json.Delim); ok && (d == '[' || d == '{') {
		for depth := 1; depth > 0; {
			t, err := v.dec.Token()
			if err != nil {
				v.add(-1, "", "not JSON: %s", jsonError(err))
				return false
			}
			switch t {
			case json.Delim('['), json.Delim('{'):
				depth++
			case json.Delim(']'), json.Delim('}'):
				depth--
			}
		}
	}
	return true
}

func isBase64(s string) bool {
	for _, enc := range []*base64.Encoding{base64.RawURLEncoding, base64.URLEncoding, base64.StdEncoding, base64.RawStdEncoding} {
		if _, err := enc.DecodeString(s); err == nil {
			return true
		}
	}
	return false
}

func jsonKind(v any) string {
	switch v := v.(type) {
	case json.Delim:
		if v == '{' {
			return "object"
		}
		return "array"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case json.Number, float64:
		return "number"
	case bool:
		return "boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

func jsonError(err error) string {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "the body ends before the JSON does"
	}
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Sprintf("%s (at byte %d)", syn.Error(), syn.Offset)
	}
	return err.Error()
}
