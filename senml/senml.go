// Package senml decodes the SenML packs (RFC 8428) that the KPN Things platform sends, in either
// of its layouts: the legacy one, whose first record holds only the base name and time, and the
// merged one, whose first record holds them beside its measurement. Decode resolves every record
// as RFC 8428 section 4.6 says: base name, time, unit, value and sum applied, relative times made
// absolute. Numbers are read from their JSON text exactly, as the platform writes them in Java's
// notation (1.58565075E9).
//
// Check the request's token over the raw body before decoding it (package verify).
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
	"time"
)

// Kind is the kind of a measurement's value.
type Kind int

// The kinds of value: SenML's v, vs, vb and vd, and NoValue for a record that holds only a sum.
const (
	Number Kind = iota
	String
	Bool
	Data
	NoValue
)

func (k Kind) String() string {
	return [...]string{"number", "string", "boolean", "data", "none"}[k]
}

// Measurement is one resolved record.
type Measurement struct {
	Device string // the base name in effect, such as urn:dev:DEVEUI:0004A30B001B714E:
	Name   string // the record's own name, such as temperature
	Unit   string // its unit, or the base unit; may be empty
	Kind   Kind
	Number float64 // Kind Number
	Text   string  // Kind String
	Bool   bool    // Kind Bool
	Data   []byte  // Kind Data, decoded from base64
	Sum    *float64
	Time   time.Time // absolute
}

// FullName is the measurement's name as RFC 8428 resolves it: base name and name concatenated.
func (m Measurement) FullName() string { return m.Device + m.Name }

// relativeLimit: times below 2^28 seconds are relative to the time of decoding (RFC 8428 4.5.3).
const relativeLimit = 1 << 28

// RecordError is an error in one record of a pack.
type RecordError struct {
	Record int    // 0-based
	Field  string // the member at fault, if one is
	Msg    string
}

func (e *RecordError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("senml: record %d: %s", e.Record, e.Msg)
	}
	return fmt.Sprintf("senml: record %d: %s: %s", e.Record, e.Field, e.Msg)
}

// Decode resolves a pack; relative times count from now.
func Decode(body []byte) ([]Measurement, error) { return DecodeAt(body, time.Now()) }

// DecodeAt resolves a pack with relative times counted from now. Records that hold only base
// fields (the legacy layout's first) give no measurement.
func DecodeAt(body []byte, now time.Time) ([]Measurement, error) {
	var out []Measurement
	err := Walk(body, now, func(m Measurement) error {
		out = append(out, m)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Walk resolves a pack as DecodeAt does, handing each measurement to fn as its record is read, so
// that a pack of a million records needs the memory of one: what fn keeps is its own. An error of
// fn ends the walk and is returned. A pack that fails in its last record has had its other
// measurements handed on: a caller that wants all or nothing walks twice.
func Walk(body []byte, now time.Time, fn func(Measurement) error) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	notArray := func(err error) error { return fmt.Errorf("senml: not a JSON array of records: %w", err) }
	if tok, err := dec.Token(); err != nil {
		return notArray(err)
	} else if tok != json.Delim('[') {
		return notArray(fmt.Errorf("it starts with %v", tok))
	}
	var base struct {
		name, unit   string
		time, value  float64
		sum          float64
		hasV, hasSum bool
	}
	for i := 0; dec.More(); i++ {
		rec, err := members(dec)
		if err != nil {
			return &RecordError{Record: i, Msg: err.Error()}
		}
		r := reader{i: i, rec: rec}
		if s, ok := r.str("bn"); ok {
			base.name = s
		}
		if x, ok := r.num("bt"); ok {
			base.time = x
		}
		if s, ok := r.str("bu"); ok {
			base.unit = s
		}
		if x, ok := r.num("bv"); ok {
			base.value, base.hasV = x, true
		}
		if x, ok := r.num("bs"); ok {
			base.sum, base.hasSum = x, true
		}
		if x, ok := r.num("bver"); ok && x > 10 {
			r.fail("bver", fmt.Sprintf("version %v is newer than RFC 8428's 10", x))
		}
		for k := range rec {
			if strings.HasSuffix(k, "_") {
				r.fail(k, "a member that must be understood, which this decoder does not know")
			}
		}
		m := Measurement{Device: base.name, Unit: base.unit}
		if n, ok := r.str("n"); ok {
			m.Name = n
		}
		if u, ok := r.str("u"); ok {
			m.Unit = u
		}
		values := 0
		if x, ok := r.num("v"); ok {
			m.Kind, m.Number = Number, x+base.value
			values++
		} else if base.hasV && !r.has("vs") && !r.has("vb") && !r.has("vd") && r.has("n") {
			m.Kind, m.Number = Number, base.value
			values++
		}
		if s, ok := r.str("vs"); ok {
			m.Kind, m.Text = String, s
			values++
		}
		if b, ok := r.boolean("vb"); ok {
			m.Kind, m.Bool = Bool, b
			values++
		}
		if s, ok := r.str("vd"); ok {
			d, err := decodeData(s)
			if err != nil {
				r.fail("vd", "not base64: "+err.Error())
			}
			m.Kind, m.Data = Data, d
			values++
		}
		if x, ok := r.num("s"); ok {
			s := x + base.sum
			m.Sum = &s
		} else if base.hasSum && values > 0 {
			s := base.sum
			m.Sum = &s
		}
		t, _ := r.num("t")
		if r.err != nil {
			return r.err
		}
		if values > 1 {
			return &RecordError{Record: i, Msg: "more than one of v, vs, vb and vd"}
		}
		if values == 0 && m.Sum == nil {
			if r.has("n") || r.has("u") || r.has("t") {
				return &RecordError{Record: i, Msg: "a record with a name, unit or time but no value (v, vs, vb, vd) or sum (s)"}
			}
			continue // base fields only
		}
		if values == 0 {
			m.Kind = NoValue // a sum alone
		}
		if m.FullName() == "" {
			return &RecordError{Record: i, Field: "n", Msg: "no name: neither n nor a base name bn"}
		}
		if sec := base.time + t; sec < minSeconds || sec > maxSeconds {
			field := "t"
			if r.has("bt") || !r.has("t") {
				field = "bt"
			}
			return &RecordError{Record: i, Field: field, Msg: fmt.Sprintf("the time %v (base time plus time) is out of range: a time is seconds since 1970 up to the year 9999, or below 2^28 seconds from now", sec)}
		}
		m.Time = absolute(base.time+t, now)
		if err := fn(m); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // the closing bracket
		return notArray(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("senml: more after the pack's closing bracket")
	}
	return nil
}

// The times a pack may hold, in seconds: relative ones no further back than about 3,000 years,
// absolute ones up to the end of the year 9999.
const (
	minSeconds = -1e11
	maxSeconds = 253402300799
)

// members reads the next record's members from dec, refusing one that appears twice: JSON
// decoders disagree on which of the two counts, so a pack that holds both means nothing for sure
// (receive and the validator refuse it too).
func members(dec *json.Decoder) (map[string]json.RawMessage, error) {
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	rec := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		if _, ok := rec[key]; ok {
			return nil, fmt.Errorf("%s: appears twice in the record", key)
		}
		rec[key] = v
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, err
	}
	return rec, nil
}

// absolute turns SenML seconds into a time: from the epoch, or from now below 2^28.
func absolute(sec float64, now time.Time) time.Time {
	if sec < relativeLimit {
		return now.Add(time.Duration(sec * float64(time.Second)))
	}
	whole, frac := math.Modf(sec)
	return time.Unix(int64(whole), int64(math.Round(frac*1e9))).UTC()
}

// decodeData reads a vd: base64url without padding as RFC 8428 says, or the standard alphabet
// with padding, which senders use too.
func decodeData(s string) ([]byte, error) {
	if d, err := base64.RawURLEncoding.DecodeString(s); err == nil {
		return d, nil
	}
	return base64.StdEncoding.DecodeString(s)
}

// reader reads one record's members, keeping the first error.
type reader struct {
	i   int
	rec map[string]json.RawMessage
	err error
}

func (r *reader) fail(field, msg string) {
	if r.err == nil {
		r.err = &RecordError{Record: r.i, Field: field, Msg: msg}
	}
}

func (r *reader) has(k string) bool { _, ok := r.rec[k]; return ok }

func (r *reader) str(k string) (string, bool) {
	raw, ok := r.rec[k]
	if !ok {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		r.fail(k, "not a string: "+truncate(raw))
		return "", false
	}
	return s, true
}

func (r *reader) num(k string) (float64, bool) {
	raw, ok := r.rec[k]
	if !ok {
		return 0, false
	}
	var n json.Number
	// json.Number would take a quoted number too; SenML's are bare.
	if c := bytes.TrimSpace(raw); len(c) == 0 || c[0] == '"' || json.Unmarshal(raw, &n) != nil {
		r.fail(k, "not a number: "+truncate(raw))
		return 0, false
	}
	x, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsInf(x, 0) {
		r.fail(k, "not a number a double holds: "+string(n))
		return 0, false
	}
	return x, true
}

func (r *reader) boolean(k string) (bool, bool) {
	raw, ok := r.rec[k]
	if !ok {
		return false, false
	}
	var b bool
	if json.Unmarshal(raw, &b) != nil {
		r.fail(k, "not true or false: "+truncate(raw))
		return false, false
	}
	return b, true
}

func truncate(raw []byte) string {
	if len(raw) > 40 {
		return string(raw[:40]) + "…"
	}
	return string(raw)
}
