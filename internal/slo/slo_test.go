package slo

import (
	"bytes"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/thingsim/thingsim/report"
)

func TestParseAndJudge(t *testing.T) {
	m := Measures{Quantile: func(q float64) time.Duration { return time.Duration(q * float64(100*time.Millisecond)) },
		Messages: 200, Failed: 3, Rate: 199.5}
	for _, c := range []struct {
		expr  string
		value float64
		unit  string
		pass  bool
	}{
		{"p50<60ms", 50, "ms", true},
		{"p99 < 90ms", 99, "ms", false},
		{"p99.9<1s", 99.9, "ms", true},
		{"max<100ms", 100, "ms", false},
		{"failed<2%", 1.5, "%", true},
		{"failed<1.5", 1.5, "%", false},
		{"rate>=199/s", 199.5, "messages/s", true},
		{"rate>=12000/m", 199.5, "messages/s", false},
	} {
		o, err := Parse(c.expr)
		if err != nil {
			t.Errorf("%s: %v", c.expr, err)
			continue
		}
		if v := o.Judge(m); v.Value != c.value || v.Unit != c.unit || v.Pass != c.pass {
			t.Errorf("%s: %+v", c.expr, v)
		}
	}
	for _, bad := range []string{"p42<1s", "p99<fast", "p99>1s", "failed<200%", "rate>=0/s", "rate<5/s", "p99<=1s", "latency"} {
		if _, err := ParseAll([]string{bad}); err == nil || !strings.Contains(err.Error(), Grammar) {
			t.Errorf("%s: %v", bad, err)
		}
	}
	if v := (Objective{Expr: "p99<1s", metric: "p99", quantile: 0.99, bound: 1000}).Judge(Measures{Quantile: func(float64) time.Duration { return 0 }}); v.Pass {
		t.Error("a latency objective met by a run of no message")
	}
}

func TestJUnit(t *testing.T) {
	o1, _ := Parse("p99<1s")
	o2, _ := Parse("failed<1%")
	m := Measures{Quantile: func(float64) time.Duration { return time.Millisecond }, Messages: 10, Failed: 5, Rate: 10}
	var b bytes.Buffer
	if err := WriteJUnit(&b, "https://x/things", time.Now(), time.Second, []report.SLO{o1.Judge(m), o2.Judge(m)}, "10 messages"); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Suites   []struct {
			Cases []struct {
				Failure *struct{} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil || doc.Tests != 2 || doc.Failures != 1 || doc.Suites[0].Cases[1].Failure == nil {
		t.Errorf("%v\n%s", err, &b)
	}
	// The schema audit's JUnit is held to: the same writer.
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		t.Skip("xmllint is missing: .ci/run installs it (Debian libxml2-utils)")
	}
	path := filepath.Join(t.TempDir(), "slo.xml")
	os.WriteFile(path, b.Bytes(), 0o644)
	if out, err := exec.Command(xmllint, "--noout", "--schema", filepath.Join("..", "audit", "testdata", "junit.xsd"), path).CombinedOutput(); err != nil {
		t.Fatalf("xmllint: %v\n%s\n%s", err, out, &b)
	}
}
