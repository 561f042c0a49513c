package senmlgen

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func posInf() float64 { return math.Inf(1) }
func negInf() float64 { return math.Inf(-1) }
func nan() float64    { return math.NaN() }

// TestPlatformPayloadsAreValid: what the platform sends raises no finding.
func TestPlatformPayloadsAreValid(t *testing.T) {
	files, _ := filepath.Glob("../testdata/payloads/*.json")
	if len(files) < 8 {
		t.Fatalf("found %d payload files", len(files))
	}
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if rep := Validate(body); !rep.Valid() || rep.Records < 2 || !strings.HasPrefix(rep.BaseName, "urn:dev:") {
			t.Errorf("%s: %+v", f, rep)
		}
	}
}

func TestValidateFindings(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{``, "not JSON"},
		{`{"bn":"x"}`, "not a SenML pack: the body is a JSON object"},
		{`[]`, "the pack has no records"},
		{`[{"n":"a","v":1}] x`, "data after the pack"},
		{`[{"n":"a","v":1}][]`, "data after the pack"},
		{`[{"n":"a","v":1}`, "ends before the JSON does"},
		{`[1]`, "record 0: a record must be a JSON object, not a number"},
		{`[{"n":"a","v":"1"}]`, `record 0, "v": must be a number, not a string`},
		{`[{"n":"a","vs":1}]`, `"vs": must be a string`},
		{`[{"n":"a","vb":"true"}]`, `"vb": must be true or false`},
		{`[{"n":"a","vd":"***"}]`, `"vd": is not base64 data`},
		{`[{"n":"a","v":1,"vs":"x"}]`, "holds 2 values"},
		{`[{"n":"a","u":"Cel"}]`, "has no value"},
		{`[{"v":1}]`, "the record's name is empty"},
		{`[{"n":"a b","v":1}]`, `holds " "`},
		{`[{"n":"-a","v":1}]`, "must start with a letter or a digit"},
		{`[{"n":"a","v":1,"n":"b"}]`, `"n": appears twice`},
		{`[{"bn":"d","i_":-23,"v":1}]`, `"i_": is a must-understand member`},
		{`[{"bver":1.5,"n":"a","v":1}]`, "positive integer"},
		{`[{"n":"a","v":1e999}]`, "out of range"},
		{`[[1,{"a":[]}],{"n":"a","v":1}]`, "record 0: a record must be a JSON object, not a array"},
	} {
		rep := Validate([]byte(tc.body))
		var all []string
		for _, f := range rep.Findings {
			all = append(all, f.String())
		}
		if !strings.Contains(strings.Join(all, "\n"), tc.want) {
			t.Errorf("%s: findings %q, want one containing %q", tc.body, all, tc.want)
		}
	}
}

func TestValidateAccepts(t *testing.T) {
	for _, body := range []string{
		`[{"bn":"urn:dev:DEVEUI:0000000000000000:","bt":1.58565075E9},{"n":"temperature","v":21.22,"u":"Celsius"}]`,
		`[{"bn":"d:","n":"a","s":3}]`,
		`[{"bn":"device-name","n":"humidity","vd":"aG9paG9pAA"}]`,
		` [ {"bn":"x:", "n":"y", "vb":false} ] `,
		`[{"bn":"x:","n":"y","v":1,"extension":{"nested":[1,2]}}]`,
	} {
		if rep := Validate([]byte(body)); !rep.Valid() {
			t.Errorf("%s: %v", body, rep.Findings)
		}
	}
}

// FuzzValidate: the validator never panics, and a pack the encoder writes from parsed measures
// validates clean.
func FuzzValidate(f *testing.F) {
	files, _ := filepath.Glob("../testdata/payloads/*.json")
	for _, file := range files {
		b, _ := os.ReadFile(file)
		f.Add(b)
	}
	f.Add([]byte(`[{"n":"a","v":1,"n":"b"}]`))
	f.Add([]byte(`[[[[{}]]]]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		rep := Validate(body)
		for _, fd := range rep.Findings {
			if fd.Message == "" {
				t.Fatalf("empty finding for %q", body)
			}
		}
	})
}
