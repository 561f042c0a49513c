package report_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/thingsim/thingsim/report"
)

// Reading the JSON lines of `thingsim send --output json` in a program of your own.
func Example() {
	out := `{"event":"message","message":0,"outcome":"delivered","attempts":1,"status":200,"token":"…","plug_uuid":"fbc063cb-4dd4-41b3-917a-e2d1ea907f75","latency_ms":1.5}
{"event":"summary","messages":1,"delivered":1,"unexpected_status":0,"discarded":0,"interrupted":0,"attempts":1,"retries":0,"statuses":{"200":1},"errors":{},"latency_ms":{"p50":1.5,"p90":1.5,"p99":1.5,"p99_9":1.5,"max":1.5},"duration_s":0.002,"rate":500}`
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var kind struct{ Event string }
		json.Unmarshal(sc.Bytes(), &kind)
		switch kind.Event {
		case "message":
			var m report.Message
			json.Unmarshal(sc.Bytes(), &m)
			fmt.Println("message", m.Message, m.Outcome, m.Status)
		case "summary":
			var s report.Summary
			json.Unmarshal(sc.Bytes(), &s)
			fmt.Println("delivered", s.Delivered, "of", s.Messages, "p99", s.LatencyMS.P99, "ms")
		}
	}
	// Output:
	// message 0 delivered 200
	// delivered 1 of 1 p99 1.5 ms
}
