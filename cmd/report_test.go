package cmd

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/thingsim/thingsim/internal/run"
	"github.com/thingsim/thingsim/sender"
)

// TestFormatDuration: a latency below a tenth of a millisecond is written in microseconds, not
// as "0.0ms"; others in milliseconds to a tenth, and seconds from one second.
func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "<1µs", 400 * time.Nanosecond: "<1µs", 45 * time.Microsecond: "45µs", 99 * time.Microsecond: "99µs",
		100 * time.Microsecond: "0.1ms", 1260 * time.Microsecond: "1.3ms", 1500 * time.Millisecond: "1.50s",
	} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

// TestSummaryRateIsTheSendRate: the summary's rate counts the messages that left over the time
// from the run's start to the last departure, not to the last answer.
func TestSummaryRateIsTheSendRate(t *testing.T) {
	ios, out, _ := testStreams()
	r := newRunReport(ios, true)
	r.lines = "none"
	d := &sender.Destination{Name: "t", URL: "https://example.com/x", Secret: sender.NewSecret("Kp7#ThingsTestSecret:2024/abcXYZ!"), PlugUUID: "fbc063cb-4dd4-41b3-917a-e2d1ea907f75"}
	s, err := sender.New(sender.Config{Destination: d})
	if err != nil {
		t.Fatal(err)
	}
	r.sender = s
	start := time.Now().Add(-time.Hour) // the answers came long after the last departure
	r.started = start
	for k := 0; k < 10; k++ {
		res := &sender.Result{Message: k, Outcome: sender.Delivered, Request: s.Template().New([]byte("[]")),
			Attempts: []sender.Attempt{{Number: 1, Start: start.Add(time.Duration(k+1) * 10 * time.Millisecond), OK: true, Response: sender.Response{Status: 200}}}}
		r.message(k%2, res, run.Message{Index: k}, time.Millisecond)
	}
	r.summary("")
	var ev struct {
		Rate float64 `json:"rate"`
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	json.Unmarshal([]byte(lines[len(lines)-1]), &ev)
	if ev.Rate != 100 { // 10 messages, the last leaving 100 ms after the start
		t.Errorf("rate %v, want 100: %s", ev.Rate, lines[len(lines)-1])
	}
}
