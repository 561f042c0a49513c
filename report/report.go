// Package report holds what thingsim's commands write with --output json, as exported types that
// the commands, their documentation's tests and a program reading the output share: the events of
// a run (send and replay: attempt, message, summary; a dry run's request; replay's token_check),
// audit's check and summary, decode's resolved records, validate's answer and the file of test
// vectors. Every event carries its kind in Event; numbers of milliseconds end in _ms.
package report

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/thingsim/thingsim/sender"
)

// Attempt is the event of one delivery attempt ("attempt").
type Attempt struct {
	Event      string  `json:"event"`
	Message    int     `json:"message"`
	Attempt    int     `json:"attempt"`
	Status     int     `json:"status,omitempty"`
	Error      string  `json:"error,omitempty"`
	DurationMS float64 `json:"duration_ms"`
}

// Message is the event of one message, once its attempts are over ("message").
type Message struct {
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

// Latency are a run's latency percentiles, in milliseconds.
type Latency struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p99_9"`
	Max  float64 `json:"max"`
}

// Summary is the last event of a run ("summary").
type Summary struct {
	Event            string           `json:"event"`
	Messages         int64            `json:"messages"`
	Delivered        int64            `json:"delivered"`
	UnexpectedStatus int64            `json:"unexpected_status"`
	Discarded        int64            `json:"discarded"`
	Interrupted      int64            `json:"interrupted"`
	Attempts         int64            `json:"attempts"`
	Retries          int64            `json:"retries"`
	Statuses         map[string]int64 `json:"statuses"`
	Errors           map[string]int64 `json:"errors"`
	LatencyMS        Latency          `json:"latency_ms"`
	DurationS        float64          `json:"duration_s"`
	Rate             float64          `json:"rate"`
	NotSent          string           `json:"not_sent,omitempty"`
	// WaitedForWorker counts the messages of a fixed rate that came due while all --concurrency
	// workers were busy and started late for want of one: their latency counts the wait, which the
	// bound may have caused rather than the endpoint.
	WaitedForWorker int `json:"waited_for_worker,omitempty"`
	DeadLetters     int `json:"dead_letters,omitempty"`
	// SLO are the verdicts of --slo, judged on the whole run (on what ran, when it was interrupted).
	SLO []SLO `json:"slo,omitempty"`
}

// SLO is the verdict of one service level objective of --slo: its value on the run, in its unit
// (ms, %, messages/s), and whether it was met.
type SLO struct {
	Objective string  `json:"objective"`
	Value     float64 `json:"value"`
	Unit      string  `json:"unit"`
	Pass      bool    `json:"pass"`
}

// Request is a dry run's event of a request it would send ("request"), credentials redacted.
type Request struct {
	Event   string          `json:"event"`
	Message int             `json:"message"`
	Method  string          `json:"method"`
	URL     string          `json:"url"`
	Headers []sender.Header `json:"headers"`
	Token   string          `json:"token"`
	Body    json.RawMessage `json:"body,omitempty"`
	BodyB64 string          `json:"body_base64"`
}

// TokenCheck is replay's event of a captured token checked against a secret ("token_check").
type TokenCheck struct {
	Event   string `json:"event"`
	Message int    `json:"message"`
	Origin  string `json:"origin"`
	Token   string `json:"token"`
	Valid   bool   `json:"valid"`
}

// Exchange is one request of an audit check and what came back: the evidence.
type Exchange struct {
	Sent       string  `json:"sent"`
	Method     string  `json:"method"`
	Token      string  `json:"token,omitempty"`
	Attempts   int     `json:"attempts"`
	Status     int     `json:"status,omitempty"`
	Error      string  `json:"error,omitempty"`
	Answer     string  `json:"answer,omitempty"` // the first bytes of a refusal's body
	DurationMS float64 `json:"duration_ms"`
}

// Got says in a few words what came back.
func (e Exchange) Got() string {
	if e.Status != 0 {
		return fmt.Sprint(e.Status)
	}
	return e.Error
}

// Check is audit's event of one check ("check"). Result is pass, fail, undecided, warn or skip;
// Cause says why a check did not pass.
type Check struct {
	Event    string     `json:"event"`
	Name     string     `json:"name"`
	Result   string     `json:"result"`
	Cause    string     `json:"cause,omitempty"`
	Required bool       `json:"required"`
	Message  string     `json:"message"`
	Evidence []Exchange `json:"evidence"`
}

// AuditSummary is audit's last event ("summary"). Result is pass, fail or undecided, as the exit
// code is 0, 1 or 3.
type AuditSummary struct {
	Event     string `json:"event"`
	Result    string `json:"result"`
	Checks    int    `json:"checks"`
	Passed    int    `json:"passed"`
	Failed    int    `json:"failed"`
	Undecided int    `json:"undecided"`
	Warnings  int    `json:"warnings"`
	Skipped   int    `json:"skipped"`
}

// Resolved is one measurement as decode writes it: a resolved record of RFC 8428.
type Resolved struct {
	Name   string   `json:"n"`
	Unit   string   `json:"u,omitempty"`
	Value  *float64 `json:"v,omitempty"`
	String *string  `json:"vs,omitempty"`
	Bool   *bool    `json:"vb,omitempty"`
	Data   *string  `json:"vd,omitempty"`
	Sum    *float64 `json:"s,omitempty"`
	Time   float64  `json:"t"`
}

// Validation is validate's answer.
type Validation struct {
	Valid      bool               `json:"valid"`
	Name       string             `json:"name"`
	Violations []sender.Violation `json:"violations"`
	Warnings   []sender.Violation `json:"warnings"`
}

// Vectors is the file of test vectors that vectors writes.
type Vectors struct {
	About    string       `json:"about"`
	Secret   string       `json:"secret"`
	PlugUUID string       `json:"plug_uuid"`
	Cases    []VectorCase `json:"cases"`
}

// VectorCase is one request of the test vectors and what a correct receiver does with it.
type VectorCase struct {
	Name       string         `json:"name"`
	Method     string         `json:"method"`
	Path       string         `json:"path"`
	Headers    []VectorHeader `json:"headers"`
	BodyBase64 string         `json:"body_base64"`
	Body       string         `json:"body"`
	Expect     string         `json:"expect"` // accept (a 2xx) or refuse (a 4xx)
	Why        string         `json:"why"`
}

// VectorHeader is a header of a vector's request, spelled as it is sent.
type VectorHeader struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Result is a run's mergeable result, the line that --result writes: its counts and its latency
// histogram, so that the shards of one run (--shard I/N) add up, with thingsim merge, to the
// summary the whole run would have given. Run identifies the whole run: merge refuses results of
// different runs.
type Result struct {
	Event            string           `json:"event"` // "result"
	Run              string           `json:"run"`
	Shard            int              `json:"shard"`
	Shards           int              `json:"shards"`
	Target           string           `json:"target"`
	Started          time.Time        `json:"started"`
	LastDeparture    time.Time        `json:"last_departure"`
	Finished         time.Time        `json:"finished"`
	Messages         int64            `json:"messages"`
	Delivered        int64            `json:"delivered"`
	UnexpectedStatus int64            `json:"unexpected_status"`
	Discarded        int64            `json:"discarded"`
	Interrupted      int64            `json:"interrupted"`
	Attempts         int64            `json:"attempts"`
	Statuses         map[string]int64 `json:"statuses"`
	Errors           map[string]int64 `json:"errors"`
	// Histogram holds the latencies in nanoseconds, in HdrHistogram's V2 compressed encoding
	// (base64), which other HdrHistogram tools read.
	Histogram string `json:"histogram"`
	// Concurrency is the shard's bound of messages in flight; WaitedForWorker as in Summary.
	Concurrency     int `json:"concurrency,omitempty"`
	WaitedForWorker int `json:"waited_for_worker,omitempty"`
}
