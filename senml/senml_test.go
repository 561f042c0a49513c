package senml

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Now, Resolved, Of, Same and Naive are exported to generated_test.go, an external test.
var Now = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

// Resolved is a measurement as the test's own resolution writes it.
type Resolved struct {
	name, unit, value string
	t                 float64
}

// naive resolves a pack of the platform's fields (bn, bt, n, u, v, vs, vb, vd, t) the simplest way,
// through encoding/json's generic values: an independent reading to compare Decode with.
func Naive(t *testing.T, body []byte) []Resolved {
	var recs []map[string]any
	if err := json.Unmarshal(body, &recs); err != nil {
		t.Fatal(err)
	}
	var bn string
	var bt float64
	var out []Resolved
	for _, r := range recs {
		if v, ok := r["bn"].(string); ok {
			bn = v
		}
		if v, ok := r["bt"].(float64); ok {
			bt = v
		}
		var value string
		switch {
		case r["v"] != nil:
			value = "number " + fmtFloat(r["v"].(float64))
		case r["vs"] != nil:
			value = "string " + r["vs"].(string)
		case r["vb"] != nil:
			value = "boolean " + map[bool]string{true: "true", false: "false"}[r["vb"].(bool)]
		case r["vd"] != nil:
			d, err := base64.StdEncoding.DecodeString(r["vd"].(string))
			if err != nil {
				d, _ = base64.RawURLEncoding.DecodeString(r["vd"].(string))
			}
			value = "data " + string(d)
		default:
			continue
		}
		n, _ := r["n"].(string)
		u, _ := r["u"].(string)
		tt, _ := r["t"].(float64)
		out = append(out, Resolved{bn + n, u, value, bt + tt})
	}
	return out
}

func fmtFloat(x float64) string { b, _ := json.Marshal(x); return string(b) }

func Of(m Measurement) Resolved {
	var value string
	switch m.Kind {
	case Number:
		value = "number " + fmtFloat(m.Number)
	case String:
		value = "string " + m.Text
	case Bool:
		value = "boolean " + map[bool]string{true: "true", false: "false"}[m.Bool]
	case Data:
		value = "data " + string(m.Data)
	}
	return Resolved{m.FullName(), m.Unit, value, float64(m.Time.UnixNano()) / 1e9}
}

func Same(a, b []Resolved) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].name != b[i].name || a[i].unit != b[i].unit || a[i].value != b[i].value || math.Abs(a[i].t-b[i].t) > 1e-6 {
			return false
		}
	}
	return true
}

// TestPayloadShapes: Decode agrees with the independent resolution on every payload shape the
// platform sends.
func TestPayloadShapes(t *testing.T) {
	files, _ := filepath.Glob("../testdata/payloads/*.json")
	if len(files) < 8 {
		t.Fatalf("only %d payload shapes", len(files))
	}
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		ms, err := DecodeAt(body, Now)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		var got []Resolved
		for _, m := range ms {
			got = append(got, Of(m))
		}
		if want := Naive(t, body); !Same(got, want) {
			t.Errorf("%s:\n got %v\nwant %v", f, got, want)
		}
	}
}

func TestResolution(t *testing.T) {
	body := []byte(`[{"bn":"urn:dev:x:","bt":1.7E9,"bu":"Cel","bv":10,"bs":100,"bver":10},` +
		`{"n":"a","v":1.5},{"n":"b","u":"%RH","v":2,"t":-5},{"n":"c","s":3},{"n":"d","vs":"on","t":0.25},` +
		`{"bn":"urn:dev:y:","bt":0,"n":"e","vb":false,"t":60},{"n":"f","vd":"aGk"}]`)
	ms, err := DecodeAt(body, Now)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 6 {
		t.Fatalf("%d measurements", len(ms))
	}
	check := func(i int, name, unit string, num float64, at time.Time) {
		t.Helper()
		m := ms[i]
		if m.FullName() != name || m.Unit != unit || (m.Kind == Number && m.Number != num) || !m.Time.Equal(at) {
			t.Errorf("measurement %d: %+v", i, m)
		}
	}
	base := time.Unix(1_700_000_000, 0)
	check(0, "urn:dev:x:a", "Cel", 11.5, base)
	check(1, "urn:dev:x:b", "%RH", 12, base.Add(-5*time.Second))
	if ms[2].Sum == nil || *ms[2].Sum != 103 || ms[2].Kind != Number || ms[2].Number != 10 {
		t.Errorf("a sum record with the base value: %+v", ms[2])
	}
	check(3, "urn:dev:x:d", "Cel", 0, base.Add(250*time.Millisecond))
	check(4, "urn:dev:y:e", "Cel", 0, Now.Add(time.Minute)) // relative: below 2^28
	if ms[5].Kind != Data || string(ms[5].Data) != "hi" {
		t.Errorf("vd: %+v", ms[5])
	}
	sumOnly, err := DecodeAt([]byte(`[{"bn":"urn:dev:x:","bt":1.7E9,"n":"energy","u":"J","s":42}]`), Now)
	if err != nil || len(sumOnly) != 1 || sumOnly[0].Kind != NoValue || *sumOnly[0].Sum != 42 {
		t.Errorf("a sum alone: %+v %v", sumOnly, err)
	}
}

func TestErrors(t *testing.T) {
	for _, c := range []struct {
		body, want string
	}{
		{`{"bn":"x"}`, "senml: not a JSON array of records"},
		{`[{"bn":"x:","n":"a","v":1}] []`, "senml: more after the pack's closing bracket"},
		{`[{"bn":"x:","n":"a","v":"1"}]`, `senml: record 0: v: not a number: "1"`},
		{`[{"bn":"x:","n":"a","v":1,"vs":"1"}]`, "senml: record 0: more than one of v, vs, vb and vd"},
		{`[{"bn":"x:","bt":1.7E9},{"n":"a","u":"m"}]`, "senml: record 1: a record with a name, unit or time but no value (v, vs, vb, vd) or sum (s)"},
		{`[{"n":"","v":1}]`, "senml: record 0: n: no name: neither n nor a base name bn"},
		{`[{"bn":"x:","n":"a","vd":"!!"}]`, "senml: record 0: vd: not base64"},
		{`[{"bn":"x:","n":"a","vb":1}]`, "senml: record 0: vb: not true or false: 1"},
		{`[{"bn":"x:","n":"a","v":1,"crit_":1}]`, "senml: record 0: crit_: a member that must be understood"},
		{`[{"bn":"x:","n":"a","v":1e999}]`, "senml: record 0: v: not a number a double holds: 1e999"},
		{`[null]`, "senml: record 0: not a JSON object"},
	} {
		_, err := DecodeAt([]byte(c.body), Now)
		if err == nil || !bytes.HasPrefix([]byte(err.Error()), []byte(c.want)) {
			t.Errorf("%s: %v, want %s", c.body, err, c.want)
		}
		var re *RecordError
		if bytes.Contains([]byte(c.want), []byte("record ")) && !errors.As(err, &re) {
			t.Errorf("%s: not a *RecordError: %T", c.body, err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("../testdata/payloads/*.json")
	for _, file := range files {
		b, _ := os.ReadFile(file)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ms, err := DecodeAt(body, Now)
		if err != nil {
			return
		}
		for _, m := range ms {
			if m.FullName() == "" {
				t.Fatalf("a measurement without a name from %q", body)
			}
		}
	})
}

// TestRefusedPacks: a member twice in a record and a time no calendar holds are refused, naming
// the record and the member.
func TestRefusedPacks(t *testing.T) {
	for _, c := range []struct{ body, want string }{
		{`[{"bn":"urn:dev:a:","bn":"urn:dev:b:","bt":1.7E9},{"n":"t","v":1}]`, "senml: record 0: bn: appears twice in the record"},
		{`[{"bn":"urn:dev:a:","bt":1.7E9},{"n":"t","v":1,"v":2}]`, "senml: record 1: v: appears twice in the record"},
		{`[{"bn":"urn:dev:a:","bt":1e300},{"n":"t","v":1}]`, "senml: record 1: bt: the time 1e+300"},
		{`[{"bn":"urn:dev:a:","bt":1.7E9},{"n":"t","v":1,"t":1e12}]`, "senml: record 1: t: the time"},
		{`[{"bn":"urn:dev:a:","n":"t","v":1,"t":-1e300}]`, "senml: record 0: t: the time"},
		{`[{"bn":"urn:dev:a:","n":"t","v":1}] x`, "senml: more after the pack's closing bracket"},
		{`[null]`, "senml: record 0: not a JSON object"},
		{`{"bn":"x"}`, "senml: not a JSON array of records"},
	} {
		_, err := DecodeAt([]byte(c.body), time.Unix(1767323045, 0))
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s: %v, want %s…", c.body, err, c.want)
		}
	}
}

// TestWalkStreams: Walk hands on each measurement as it reads it, and stops at fn's error.
func TestWalkStreams(t *testing.T) {
	body := []byte(`[{"bn":"urn:dev:a:","bt":1.7E9},{"n":"a","v":1},{"n":"b","v":2},{"n":"c","v":3}]`)
	stop := errors.New("enough")
	var names []string
	err := Walk(body, time.Now(), func(m Measurement) error {
		names = append(names, m.Name)
		if m.Name == "b" {
			return stop
		}
		return nil
	})
	if err != stop || strings.Join(names, ",") != "a,b" {
		t.Errorf("%v after %v", err, names)
	}
}
