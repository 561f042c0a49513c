package cmd

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/thingsim/thingsim/sender"
)

// runReport collects the outcome of every message of a run, writes it as text or JSON lines,
// keeps the messages that were not delivered in the dead-letter file, and sums them up. It is
// safe for concurrent use by the delivering workers.
type runReport struct {
	ios      *IOStreams
	json     bool
	sender   *sender.Sender
	deadFile *os.File
	deadPath string

	mu        sync.Mutex
	out       io.Writer
	messages  int
	outcomes  map[sender.Outcome]int
	attempts  int
	statuses  map[int]int
	errors    map[sender.ErrorKind]int
	latencies []time.Duration
	dead      int
	deadErr   error
}

func newRunReport(ios *IOStreams, jsonOut bool) *runReport {
	return &runReport{ios: ios, json: jsonOut, out: ios.Out, outcomes: map[sender.Outcome]int{},
		statuses: map[int]int{}, errors: map[sender.ErrorKind]int{}}
}

type attemptEvent struct {
	Event      string  `json:"event"`
	Message    int     `json:"message"`
	Attempt    int     `json:"attempt"`
	Status     int     `json:"status,omitempty"`
	Error      string  `json:"error,omitempty"`
	DurationMS float64 `json:"duration_ms"`
}

type messageEvent struct {
	Event     string         `json:"event"`
	Message   int            `json:"message"`
	Outcome   sender.Outcome `json:"outcome"`
	Attempts  int            `json:"attempts"`
	Status    int            `json:"status,omitempty"`
	Error     string         `json:"error,omitempty"`
	Token     string         `json:"token"`
	PlugUUID  string         `json:"plug_uuid"`
	Device    string         `json:"device,omitempty"`
	LatencyMS float64        `json:"latency_ms"`
}

type latencySummary struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

type summaryEvent struct {
	Event            string         `json:"event"`
	Messages         int            `json:"messages"`
	Delivered        int            `json:"delivered"`
	UnexpectedStatus int            `json:"unexpected_status"`
	Discarded        int            `json:"discarded"`
	Interrupted      int            `json:"interrupted"`
	Attempts         int            `json:"attempts"`
	Statuses         map[string]int `json:"statuses"`
	Errors           map[string]int `json:"errors"`
	LatencyMS        latencySummary `json:"latency_ms"`
	NotSent          string         `json:"not_sent,omitempty"`
	DeadLetters      int            `json:"dead_letters,omitempty"`
}

// attempt reports one attempt: a JSON event, or a progress line on stderr when it failed.
func (r *runReport) attempt(msg int, a sender.Attempt, attempts int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.json {
		ev := attemptEvent{Event: "attempt", Message: msg, Attempt: a.Number, Status: a.Status(), DurationMS: sender.MillisOf(a.Duration)}
		if a.Status() == 0 && a.Err != nil {
			ev.Error = a.Err.Error()
		}
		r.writeJSON(ev)
		return
	}
	if a.OK {
		return
	}
	next := "retrying"
	switch {
	case a.Kind == sender.KindInterrupted:
		return
	case a.Number >= attempts:
		next = "no attempts left"
	}
	fmt.Fprintf(r.ios.ErrOut, "%s\n", r.ios.errPalette().dim.Sprintf("  #%d attempt %d/%d: %s; %s", msg, a.Number, attempts, describeAttempt(a), next))
}

// message reports a message's outcome and keeps it as a dead letter when it was not delivered.
func (r *runReport) message(res *sender.Result, m message) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.messages++
	r.outcomes[res.Outcome]++
	r.attempts += len(res.Attempts)
	for _, a := range res.Attempts {
		if a.Status() != 0 {
			r.statuses[a.Status()]++
		} else if a.Kind != "" && a.Kind != sender.KindInterrupted {
			r.errors[a.Kind]++
		}
	}
	if res.Outcome != sender.Interrupted {
		r.latencies = append(r.latencies, res.Latency)
	}
	if res.Outcome == sender.Discarded || res.Outcome == sender.Interrupted {
		r.keep(res)
	}
	lastErr := ""
	if n := len(res.Attempts); n > 0 && res.Attempts[n-1].Err != nil {
		lastErr = res.Attempts[n-1].Err.Error()
	}
	if r.json {
		r.writeJSON(messageEvent{Event: "message", Message: res.Message, Outcome: res.Outcome, Attempts: len(res.Attempts),
			Status: res.Status(), Error: lastErr, Token: res.Request.Token, PlugUUID: r.sender.Template().PlugUUID(),
			Device: m.device, LatencyMS: sender.MillisOf(res.Latency)})
		return
	}
	p := r.ios.outPalette()
	id := fmt.Sprintf("#%d", res.Message)
	where := ""
	if m.device != "" {
		where += "  " + m.device
	}
	if m.origin != "" {
		where += " (" + m.origin + ")"
	}
	where = p.dim.Sprint(where)
	switch res.Outcome {
	case sender.Delivered:
		fmt.Fprintf(r.out, "%s %s delivered, %d%s in %s%s\n", p.ok.Sprint("✓"), id, res.Status(), afterAttempts(res), formatDuration(res.Latency), where)
	case sender.UnexpectedStatus:
		fmt.Fprintf(r.out, "%s %s unexpected status %d (expected %d)%s in %s%s\n", p.warn.Sprint("!"), id, res.Status(),
			r.sender.Expected(), afterAttempts(res), formatDuration(res.Latency), where)
	case sender.Discarded:
		fmt.Fprintf(r.out, "%s %s discarded after %d attempt%s (%s)%s\n", p.bad.Sprint("✗"), id, len(res.Attempts), plural(len(res.Attempts)), attemptList(res), where)
	case sender.Interrupted:
		fmt.Fprintf(r.out, "%s %s interrupted after %d attempt%s%s\n", p.bad.Sprint("✗"), id, len(res.Attempts), plural(len(res.Attempts)), where)
	}
}

// keep appends a dead letter; called with r.mu held.
func (r *runReport) keep(res *sender.Result) {
	if r.deadFile == nil || r.deadErr != nil {
		return
	}
	rec := r.sender.DeadLetter(res)
	line, err := rec.MarshalLine()
	if err == nil {
		_, err = r.deadFile.Write(line)
	}
	if err != nil {
		r.deadErr = fmt.Errorf("writing dead letter to %s: %v", r.deadPath, err)
		fmt.Fprintf(r.ios.ErrOut, "%s %v\n", r.ios.errPalette().bad.Sprint("error:"), r.deadErr)
		return
	}
	r.dead++
}

// summary writes the run's summary and returns whether every message was delivered as expected.
func (r *runReport) summary(notSent string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	lat := percentiles(r.latencies)
	ok := r.outcomes[sender.Delivered] == r.messages && r.deadErr == nil
	if r.json {
		ev := summaryEvent{Event: "summary", Messages: r.messages, Delivered: r.outcomes[sender.Delivered],
			UnexpectedStatus: r.outcomes[sender.UnexpectedStatus], Discarded: r.outcomes[sender.Discarded],
			Interrupted: r.outcomes[sender.Interrupted], Attempts: r.attempts, Statuses: map[string]int{}, Errors: map[string]int{},
			LatencyMS: lat, NotSent: notSent, DeadLetters: r.dead}
		for code, n := range r.statuses {
			ev.Statuses[fmt.Sprint(code)] = n
		}
		for kind, n := range r.errors {
			ev.Errors[string(kind)] = n
		}
		r.writeJSON(ev)
	} else {
		p := r.ios.outPalette()
		parts := []string{fmt.Sprintf("%d delivered", r.outcomes[sender.Delivered])}
		for _, o := range []struct {
			outcome sender.Outcome
			name    string
		}{{sender.UnexpectedStatus, "unexpected status"}, {sender.Discarded, "discarded"}, {sender.Interrupted, "interrupted"}} {
			if n := r.outcomes[o.outcome]; n > 0 || o.outcome != sender.Interrupted {
				parts = append(parts, fmt.Sprintf("%d %s", n, o.name))
			}
		}
		mark := p.ok.Sprint("✓")
		if !ok {
			mark = p.bad.Sprint("✗")
		}
		fmt.Fprintf(r.out, "%s %d message%s: %s (%d attempt%s)\n", mark, r.messages, plural(r.messages), strings.Join(parts, ", "), r.attempts, plural(r.attempts))
		if len(r.latencies) > 0 {
			fmt.Fprintf(r.out, "  latency p50 %s  p90 %s  p99 %s  max %s\n", ms(lat.P50), ms(lat.P90), ms(lat.P99), ms(lat.Max))
		}
		if len(r.statuses) > 0 || len(r.errors) > 0 {
			fmt.Fprintf(r.out, "  answers %s\n", countList(r.statuses, r.errors))
		}
	}
	e := r.ios.errPalette()
	if notSent != "" {
		fmt.Fprintf(r.ios.ErrOut, "%s not sent: %s\n", e.warn.Sprint("stopped:"), notSent)
	}
	undelivered := r.outcomes[sender.Discarded] + r.outcomes[sender.Interrupted]
	switch {
	case r.dead > 0:
		fmt.Fprintf(r.ios.ErrOut, "%d undelivered message%s kept in %s\n", r.dead, plural(r.dead), r.deadPath)
	case undelivered > 0 && r.deadFile == nil:
		fmt.Fprintf(r.ios.ErrOut, "%d message%s not delivered; --dead-letter FILE keeps them for a later replay\n", undelivered, plural(undelivered))
	}
	return ok
}

func (r *runReport) writeJSON(v any) {
	b, _ := json.Marshal(v)
	b = append(b, '\n')
	r.out.Write(b)
}

func afterAttempts(res *sender.Result) string {
	if len(res.Attempts) <= 1 {
		return ""
	}
	return fmt.Sprintf(" after %d attempts (%s)", len(res.Attempts), attemptList(res))
}

func attemptList(res *sender.Result) string {
	parts := make([]string, len(res.Attempts))
	for i, a := range res.Attempts {
		parts[i] = shortAttempt(a)
	}
	return strings.Join(parts, ", ")
}

// shortAttempt names an attempt's answer in a word: 503, timeout, tls.
func shortAttempt(a sender.Attempt) string {
	if a.Status() != 0 {
		return fmt.Sprint(a.Status())
	}
	return strings.ReplaceAll(string(a.Kind), "_", " ")
}

// describeAttempt says what went wrong with an attempt, with a hint where one helps.
func describeAttempt(a sender.Attempt) string {
	msg := a.Err.Error()
	if a.Kind == sender.KindStatus && len(a.Response.Body) > 0 {
		msg += ": " + printable(a.Response.Body, 120)
	}
	switch {
	case a.Kind == sender.KindTLS && strings.Contains(msg, "unknown authority"):
		msg += " (a staging or local CA goes in --ca-file)"
	case a.Kind == sender.KindTLS && strings.Contains(msg, "first record does not look like a TLS handshake"):
		msg += " (the endpoint speaks plain HTTP; the platform needs HTTPS)"
	}
	return msg
}

// printable shortens a response body to one line of printable text.
func printable(b []byte, limit int) string {
	var sb strings.Builder
	for _, r := range string(b) {
		if sb.Len() >= limit {
			sb.WriteString("…")
			break
		}
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			sb.WriteByte(' ')
		case r < 0x20 || r == 0x7f || r == '\uFFFD':
			sb.WriteByte('?')
		default:
			sb.WriteRune(r)
		}
	}
	return strings.TrimSpace(sb.String())
}

func countList(statuses map[int]int, errs map[sender.ErrorKind]int) string {
	var parts []string
	codes := make([]int, 0, len(statuses))
	for c := range statuses {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	for _, c := range codes {
		parts = append(parts, fmt.Sprintf("%d×%d", c, statuses[c]))
	}
	kinds := make([]string, 0, len(errs))
	for k := range errs {
		kinds = append(kinds, string(k))
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		parts = append(parts, fmt.Sprintf("%s×%d", strings.ReplaceAll(k, "_", " "), errs[sender.ErrorKind(k)]))
	}
	return strings.Join(parts, "  ")
}

// percentiles of the latencies by nearest rank, in milliseconds.
func percentiles(ds []time.Duration) latencySummary {
	if len(ds) == 0 {
		return latencySummary{}
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	at := func(q float64) float64 {
		i := int(q*float64(len(s)) + 0.999999)
		if i < 1 {
			i = 1
		}
		return sender.MillisOf(s[min(i, len(s))-1])
	}
	return latencySummary{P50: at(0.50), P90: at(0.90), P99: at(0.99), Max: sender.MillisOf(s[len(s)-1])}
}

func ms(x float64) string {
	if x >= 1000 {
		return fmt.Sprintf("%.2fs", x/1000)
	}
	return fmt.Sprintf("%.1fms", x)
}

func formatDuration(d time.Duration) string { return ms(sender.MillisOf(d)) }
