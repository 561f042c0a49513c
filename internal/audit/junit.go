package audit

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/thingsim/thingsim/internal/junit"
)

// JUnit XML, as CI systems read it: one testsuite, one testcase per check. A failed required check
// is a <failure> whose type is its cause and whose message says what was proven; a warning
// passes, with the warning and its cause in <system-out>; a skipped check is <skipped/>.

// WriteJUnit writes the results as JUnit XML. target names the endpoint in the suite's name.
func WriteJUnit(w io.Writer, target string, started time.Time, results []Result) error {
	suite := junit.NewSuite("thingsim audit "+target, started)
	var total time.Duration
	for _, r := range results {
		total += r.Duration
		c := junit.Case{Name: r.Name, Classname: "thingsim.audit", Time: junit.Seconds(r.Duration)}
		evidence := evidenceText(r.Evidence)
		switch r.Outcome {
		case Fail:
			c.Failure = &junit.Message{Message: r.Message, Type: string(r.Cause), Text: evidence}
		case Undecided:
			c.Error = &junit.Message{Message: r.Message, Type: string(r.Cause), Text: evidence}
		case Skip:
			c.Skipped = &junit.Message{Message: r.Message}
		case Warn:
			c.SystemOut = fmt.Sprintf("warning (%s): %s\n%s", r.Cause, r.Message, evidence)
		default:
			c.SystemOut = r.Message + "\n" + evidence
		}
		suite.Add(c)
	}
	suite.Time = junit.Seconds(total)
	return junit.Write(w, "thingsim audit", suite)
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
