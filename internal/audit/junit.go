package audit

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"
)

// JUnit XML, as CI systems read it: one testsuite, one testcase per check. A failed required check
// is a <failure> whose type is its cause and whose message says what was proven; a warning
// passes, with the warning and its cause in <system-out>; a skipped check is <skipped/>.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr"`
	Skipped   int         `xml:"skipped,attr"`
	Time      string      `xml:"time,attr"`
	Timestamp string      `xml:"timestamp,attr"`
	Cases     []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Error     *junitMessage `xml:"error,omitempty"` // undecided: nothing proven either way
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes the results as JUnit XML. target names the endpoint in the suite's name.
func WriteJUnit(w io.Writer, target string, started time.Time, results []Result) error {
	suite := junitSuite{Name: "thingsim audit " + target, Timestamp: started.UTC().Format("2006-01-02T15:04:05")}
	var total time.Duration
	for _, r := range results {
		total += r.Duration
		c := junitCase{Name: r.Name, Classname: "thingsim.audit", Time: seconds(r.Duration)}
		evidence := evidenceText(r.Evidence)
		switch r.Outcome {
		case Fail:
			c.Failure = &junitMessage{Message: r.Message, Type: string(r.Cause), Text: evidence}
			suite.Failures++
		case Undecided:
			c.Error = &junitMessage{Message: r.Message, Type: string(r.Cause), Text: evidence}
			suite.Errors++
		case Skip:
			c.Skipped = &junitMessage{Message: r.Message}
			suite.Skipped++
		case Warn:
			c.SystemOut = fmt.Sprintf("warning (%s): %s\n%s", r.Cause, r.Message, evidence)
		default:
			c.SystemOut = r.Message + "\n" + evidence
		}
		suite.Cases = append(suite.Cases, c)
	}
	suite.Tests = len(results)
	suite.Time = seconds(total)
	doc := junitSuites{Name: "thingsim audit", Tests: suite.Tests, Failures: suite.Failures, Errors: suite.Errors, Skipped: suite.Skipped, Time: suite.Time, Suites: []junitSuite{suite}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// evidenceText lists what a check sent and what came back, a line each.
func evidenceText(es []Exchange) string {
	var b strings.Builder
	for _, e := range es {
		fmt.Fprintf(&b, "sent %s (%s", e.Sent, e.Method)
		if e.Attempts > 1 {
			fmt.Fprintf(&b, ", %d attempts", e.Attempts)
		}
		fmt.Fprintf(&b, "): got %s in %.1fms", e.Got(), e.DurationMS)
		if e.Answer != "" {
			b.WriteString(", answer" + answerOf(e))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// EvidenceLines is evidenceText as lines, for text output.
func EvidenceLines(es []Exchange) []string {
	return strings.Split(strings.TrimSuffix(evidenceText(es), "\n"), "\n")
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }
