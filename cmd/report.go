package cmd

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/thingsim/thingsim/internal/run"
	"github.com/thingsim/thingsim/internal/slo"
	"github.com/thingsim/thingsim/report"
	"github.com/thingsim/thingsim/sender"
)

// runReport collects the outcome of every message of a run, writes it as text or JSON lines,
// keeps the messages that were not delivered in the dead-letter file, and sums them up. Each
// worker counts into a tally of its own, merged for progress and the summary, so that the hot path
// shares no lock; output lines and dead letters are serialised.
type runReport struct {
	ios      *IOStreams
	json     bool
	lines    string // which messages get a line: all, failed or none
	sender   *sender.Sender
	deadFile *os.File
	deadPath string
	started  time.Time

	mu      sync.Mutex // output and dead letters
	out     io.Writer
	dead    int
	deadErr error
	// stop ends the run when a dead letter cannot be kept: sending more would lose more.
	stop func()

	tallies run.Tallies

	objectives  []slo.Objective
	verdicts    []report.SLO
	interrupted bool      // Ctrl-C ended the run: the objectives are judged on what ran
	ended       time.Time // when the run ended, for a merged one; zero: now
	// waited counts the messages that waited for a worker at the bound of bound workers.
	waited, bound int
	enc           *json.Encoder
}

func newRunReport(ios *IOStreams, jsonOut bool) *runReport {
	return &runReport{ios: ios, json: jsonOut, lines: "all", out: ios.Out, started: time.Now()}
}

// totals merges every worker's tally.
func (r *runReport) totals() *run.Tally { return r.tallies.Totals() }

// attempt reports one attempt: a JSON event, or a progress line on stderr when it failed.
func (r *runReport) attempt(msg int, a sender.Attempt, attempts int) {
	if r.lines == "none" || r.lines == "failed" && a.OK {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.json {
		ev := report.Attempt{Event: "attempt", Message: msg, Attempt: a.Number, Status: a.Status(), DurationMS: sender.MillisOf(a.Duration)}
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

// message reports a message's outcome, counted by worker w with the latency measured for it,
// and keeps it as a dead letter when it was not delivered.
func (r *runReport) message(w int, res *sender.Result, m run.Message, latency time.Duration) {
	r.tallies.Count(w, res, latency)

	failed := res.Outcome != sender.Delivered
	if failed && (res.Outcome == sender.Discarded || res.Outcome == sender.Interrupted) {
		r.mu.Lock()
		r.keep(res)
		r.mu.Unlock()
	}
	if r.lines == "none" || r.lines == "failed" && !failed {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	lastErr := ""
	if n := len(res.Attempts); n > 0 && res.Attempts[n-1].Err != nil {
		lastErr = res.Attempts[n-1].Err.Error()
	}
	if r.json {
		r.writeJSON(report.Message{Event: "message", Message: res.Message, Outcome: res.Outcome, Attempts: len(res.Attempts),
			Status: res.Status(), Error: lastErr, Token: res.Request.Token, PlugUUID: r.sender.Template().PlugUUID(),
			Device: m.Device, LatencyMS: sender.MillisOf(latency)})
		return
	}
	p := r.ios.outPalette()
	id := fmt.Sprintf("#%d", res.Message)
	where := ""
	if m.Device != "" {
		where += "  " + wireText(m.Device)
	}
	if m.Origin != "" {
		where += " (" + wireText(m.Origin) + ")"
	}
	where = p.dim.Sprint(where)
	switch res.Outcome {
	case sender.Delivered:
		fmt.Fprintf(r.out, "%s %s delivered, %d%s in %s%s\n", p.ok.Sprint("✓"), id, res.Status(), afterAttempts(res), formatDuration(latency), where)
	case sender.UnexpectedStatus:
		fmt.Fprintf(r.out, "%s %s unexpected status %d (expected %d)%s in %s%s\n", p.warn.Sprint("!"), id, res.Status(),
			r.sender.Expected(), afterAttempts(res), formatDuration(latency), where)
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
		fmt.Fprintf(r.ios.ErrOut, "%s %v: no message starts from now on, since what fails could not be kept\n", r.ios.errPalette().bad.Sprint("error:"), r.deadErr)
		if r.stop != nil {
			r.stop()
		}
		return
	}
	r.dead++
}

// summary writes the run's summary and returns whether every message was delivered as expected.
func (r *runReport) summary(notSent string) bool {
	t := r.totals()
	elapsed := time.Since(r.started)
	if !r.ended.IsZero() {
		elapsed = r.ended.Sub(r.started)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	lat := report.Latency{P50: sender.MillisOf(t.Latency.Quantile(0.50)), P90: sender.MillisOf(t.Latency.Quantile(0.90)),
		P99: sender.MillisOf(t.Latency.Quantile(0.99)), P999: sender.MillisOf(t.Latency.Quantile(0.999)), Max: sender.MillisOf(t.Latency.Max())}
	delivered := t.Outcomes[sender.Delivered]
	ok := delivered == t.Messages && r.deadErr == nil
	// The achieved send rate: the messages that left, over the time from the run's first intended
	// send to the last departure; the answers after it are not the sender's pace.
	rate, span := 0.0, t.LastDeparture.Sub(r.started)
	if span > 0 {
		rate = float64(t.Messages) / span.Seconds()
	}
	for _, o := range r.objectives {
		v := o.Judge(slo.Measures{Quantile: func(q float64) time.Duration {
			if q >= 1 {
				return t.Latency.Max()
			}
			return t.Latency.Quantile(q)
		}, Messages: t.Messages, Failed: t.Outcomes[sender.Discarded] + t.Outcomes[sender.UnexpectedStatus], Rate: rate})
		r.verdicts = append(r.verdicts, v)
		ok = ok && v.Pass
	}
	if r.json {
		ev := report.Summary{Event: "summary", Messages: t.Messages, Delivered: delivered, SLO: r.verdicts,
			UnexpectedStatus: t.Outcomes[sender.UnexpectedStatus], Discarded: t.Outcomes[sender.Discarded],
			Interrupted: t.Outcomes[sender.Interrupted], Attempts: t.Attempts, Retries: t.Attempts - t.Messages,
			Statuses: statusCounts(t), Errors: errorCounts(t), LatencyMS: lat,
			DurationS: math.Round(elapsed.Seconds()*1000) / 1000, Rate: math.Round(rate*10) / 10, NotSent: notSent, DeadLetters: r.dead, WaitedForWorker: r.waited}
		r.writeJSON(ev)
	} else {
		p := r.ios.outPalette()
		parts := []string{fmt.Sprintf("%d delivered", delivered)}
		for _, o := range []struct {
			outcome sender.Outcome
			name    string
		}{{sender.UnexpectedStatus, "unexpected status"}, {sender.Discarded, "discarded"}, {sender.Interrupted, "interrupted"}} {
			if n := t.Outcomes[o.outcome]; n > 0 || o.outcome != sender.Interrupted {
				parts = append(parts, fmt.Sprintf("%d %s", n, o.name))
			}
		}
		mark := p.ok.Sprint("✓")
		if !ok {
			mark = p.bad.Sprint("✗")
		}
		fmt.Fprintf(r.out, "%s %d message%s: %s (%d attempt%s)\n", mark, t.Messages, plural(int(t.Messages)), strings.Join(parts, ", "), t.Attempts, plural(int(t.Attempts)))
		if t.Latency.Count() > 0 {
			q := t.Latency.Quantile
			fmt.Fprintf(r.out, "  latency p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n",
				formatDuration(q(0.50)), formatDuration(q(0.90)), formatDuration(q(0.99)), formatDuration(q(0.999)), formatDuration(t.Latency.Max()))
		}
		if t.Messages > 1 {
			fmt.Fprintf(r.out, "  %.1f messages/s sent over %s; %d retr%s\n", rate, span.Round(time.Millisecond), t.Attempts-t.Messages, pluralY(t.Attempts-t.Messages))
		}
		if len(t.Statuses) > 0 || len(t.Errors) > 0 {
			fmt.Fprintf(r.out, "  answers %s\n", countList(t.Statuses, t.Errors))
		}
		for _, v := range r.verdicts {
			mark := p.ok.Sprint("✓")
			if !v.Pass {
				mark = p.bad.Sprint("✗")
			}
			fmt.Fprintf(r.out, "%s %s\n", mark, slo.Text(v))
		}
	}
	if len(r.verdicts) > 0 && r.interrupted {
		fmt.Fprintf(r.ios.ErrOut, "%s the service levels were judged on the %d message%s that ran before the interrupt\n",
			r.ios.errPalette().warn.Sprint("note:"), t.Messages, plural(int(t.Messages)))
	}
	e := r.ios.errPalette()
	if r.waited > 0 {
		busy := fmt.Sprintf("all %d workers (--concurrency) were busy", r.bound)
		if r.bound == 1 {
			busy = "the one worker (--concurrency 1) was busy"
		}
		fmt.Fprintf(r.ios.ErrOut, "%s %d message%s came due while %s, and waited for one: their latency counts the wait, which the bound, not the endpoint, may have caused (give --concurrency above the rate × the endpoint's latency)\n",
			e.warn.Sprint("note:"), r.waited, plural(r.waited), busy)
	}
	if notSent != "" {
		fmt.Fprintf(r.ios.ErrOut, "%s not sent: %s\n", e.warn.Sprint("stopped:"), notSent)
	}
	undelivered := t.Outcomes[sender.Discarded] + t.Outcomes[sender.Interrupted]
	switch {
	case r.dead > 0:
		fmt.Fprintf(r.ios.ErrOut, "%d undelivered message%s kept in %s\n", r.dead, plural(r.dead), r.deadPath)
	case undelivered > 0 && r.deadFile == nil:
		fmt.Fprintf(r.ios.ErrOut, "%d message%s not delivered; --dead-letter FILE keeps them for a later replay\n", undelivered, plural(int(undelivered)))
	}
	return ok
}

func pluralY(n int64) string {
	if n == 1 {
		return "y"
	}
	return "ies"
}

// statusCounts and errorCounts are a tally's answers and errors as JSON keys them.
func statusCounts(t *run.Tally) map[string]int64 {
	out := make(map[string]int64, len(t.Statuses))
	for code, n := range t.Statuses {
		out[strconv.Itoa(code)] = n
	}
	return out
}

func errorCounts(t *run.Tally) map[string]int64 {
	out := make(map[string]int64, len(t.Errors))
	for kind, n := range t.Errors {
		out[string(kind)] = n
	}
	return out
}

// writeJSON writes v as a JSON line; the caller holds r.mu.
func (r *runReport) writeJSON(v any) {
	if r.enc == nil {
		r.enc = json.NewEncoder(r.out) // a line in one write
		r.enc.SetEscapeHTML(false)     // p99<500ms, not p99\u003c500ms
	}
	r.enc.Encode(v)
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
	msg := wireText(a.Err.Error())
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

func countList[N int | int64](statuses map[int]N, errs map[sender.ErrorKind]N) string {
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

// formatDuration writes a latency for people: in milliseconds to a tenth, in seconds from one
// second, and below a tenth of a millisecond in microseconds, which "0.0ms" would hide (loopback
// answers in tens of them).
func formatDuration(d time.Duration) string {
	switch ms := sender.MillisOf(d); {
	case d < 100*time.Microsecond && d >= time.Microsecond:
		return fmt.Sprintf("%dµs", d.Microseconds())
	case d < time.Microsecond:
		return "<1µs"
	case ms >= 1000:
		return fmt.Sprintf("%.2fs", ms/1000)
	default:
		return fmt.Sprintf("%.1fms", ms)
	}
}
