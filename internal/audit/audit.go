// Package audit checks how an endpoint behaves as a receiver of the platform's HTTPS destination:
// that it accepts what the platform sends, byte for byte, and refuses what it must (a wrong,
// missing or foreign token, a tampered body). Each check sends a handful of requests and records
// what it sent and what came back.
package audit

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/thingsim/thingsim/internal/tlscheck"
	"github.com/thingsim/thingsim/sender"
	"github.com/thingsim/thingsim/senmlgen"
)

// Outcome of a check.
type Outcome string

// The outcomes.
const (
	Pass Outcome = "pass"
	Fail Outcome = "fail"
	Warn Outcome = "warn"
	Skip Outcome = "skip"
)

// Exchange is one request of a check and what came back: the evidence.
type Exchange struct {
	Sent       string  `json:"sent"`
	Method     string  `json:"method"`
	Token      string  `json:"token,omitempty"`
	Attempts   int     `json:"attempts"`
	Status     int     `json:"status,omitempty"`
	Error      string  `json:"error,omitempty"`
	DurationMS float64 `json:"duration_ms"`
}

// Got says in a few words what came back.
func (e Exchange) Got() string {
	if e.Status != 0 {
		return fmt.Sprint(e.Status)
	}
	return e.Error
}

// Result is a check's outcome, why, and its evidence.
type Result struct {
	Name     string     `json:"name"`
	Required bool       `json:"required"`
	Outcome  Outcome    `json:"result"`
	Message  string     `json:"message"`
	Evidence []Exchange `json:"evidence"`
	Duration time.Duration
}

// Config configures an audit. The destination must have passed its rules.
type Config struct {
	Destination *sender.Destination
	Transport   sender.Transport
	Attempts    int
	Timeouts    []time.Duration
	Backoff     []time.Duration
	UserAgent   string
	// StrictPlug runs unknown-plug: the endpoint is expected to refuse a plug UUID it does not know.
	StrictPlug bool
	// Checks to run, by name; empty means all.
	Checks []string
	// TLS runs the platform's TLS policy check of the endpoint (check-tls); nil skips the tls check.
	TLS func(ctx context.Context) (*tlscheck.Report, error)
	// Now dates the packs; Seed draws them.
	Now  time.Time
	Seed uint64
	// OnResult is called after each check, in order.
	OnResult func(Result)
}

// check is one named check.
type check struct {
	name     string
	required bool
	requests string // what it sends, for the plan
	run      func(ctx context.Context, a *auditor) Result
}

// Checks lists every check in the order they run.
var checks = []check{
	{"valid-legacy", true, "1 valid pack (legacy layout)", checkValidLegacy},
	{"valid-merged", true, "1 valid pack (merged layout)", checkValidMerged},
	{"profiles", true, "1 valid pack per profile (6)", checkProfiles},
	{"java-numbers", true, "1 valid pack with Java-style numbers, and its re-serialised form when refused", checkJavaNumbers},
	{"byte-variants", true, "4 valid packs whose bytes a JSON re-serialiser would change", checkByteVariants},
	{"wrong-token", true, "1 pack with a wrong token", checkWrongToken},
	{"missing-token", true, "1 pack without a token", checkMissingToken},
	{"other-secret", true, "1 pack signed with another secret", checkOtherSecret},
	{"tampered-body", true, "1 changed pack with the original token", checkTamperedBody},
	{"uppercase-token", false, "1 valid pack with its token in upper-case hex", checkUppercaseToken},
	{"unknown-plug", false, "1 valid pack with an unknown plug UUID (--strict-plug)", checkUnknownPlug},
	{"duplicate", false, "1 valid pack twice", checkDuplicate},
	{"method-body", false, "for GET: 1 GET with a wrong token in its body", checkMethodBody},
	{"latency", false, "nothing more: the answers above", checkLatency},
	{"tls", false, "TLS handshakes only: every listed cipher suite, protocol version and the certificate (check-tls)", checkTLS},
}

// Names returns the checks' names in the order they run.
func Names() []string {
	out := make([]string, len(checks))
	for i, c := range checks {
		out[i] = c.name
	}
	return out
}

// Plan says what each selected check sends, so that a user knows before anything goes out.
func Plan(names []string) []string {
	var out []string
	for _, c := range checks {
		if selected(names, c.name) {
			out = append(out, fmt.Sprintf("%s: %s", c.name, c.requests))
		}
	}
	return out
}

func selected(names []string, name string) bool {
	if len(names) == 0 {
		return true
	}
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}

// auditor runs the checks against one destination.
type auditor struct {
	cfg      Config
	valid    *sender.Sender // with the destination's retries
	probe    *sender.Sender // one attempt: bad data is sent once
	template *sender.Template
	expected int
	latency  []Exchange // every valid exchange, for the latency check
	gen      map[senmlgen.Layout]*senmlgen.Generator
}

// Run runs the selected checks in order and returns their results.
func Run(ctx context.Context, cfg Config) ([]Result, error) {
	if cfg.Now.IsZero() {
		cfg.Now = time.Now()
	}
	common := sender.Config{Destination: cfg.Destination, Transport: cfg.Transport, Timeouts: cfg.Timeouts, Backoff: cfg.Backoff, UserAgent: cfg.UserAgent}
	validCfg := common
	validCfg.Attempts = cfg.Attempts
	valid, err := sender.New(validCfg)
	if err != nil {
		return nil, err
	}
	probeCfg := common
	probeCfg.Attempts = 1
	probe, err := sender.New(probeCfg)
	if err != nil {
		return nil, err
	}
	a := &auditor{cfg: cfg, valid: valid, probe: probe, template: valid.Template(), expected: cfg.Destination.Expected(),
		gen: map[senmlgen.Layout]*senmlgen.Generator{}}
	var results []Result
	for _, c := range checks {
		if !selected(cfg.Checks, c.name) {
			continue
		}
		if ctx.Err() != nil {
			return results, ctx.Err()
		}
		start := time.Now()
		r := c.run(ctx, a)
		r.Name, r.Required, r.Duration = c.name, c.required, time.Since(start)
		if r.Evidence == nil {
			r.Evidence = []Exchange{}
		}
		if !c.required && r.Outcome == Fail {
			r.Outcome = Warn
		}
		results = append(results, r)
		if cfg.OnResult != nil {
			cfg.OnResult(r)
		}
	}
	return results, ctx.Err()
}

// pack returns the next generated pack of a profile and layout, as the platform writes it.
func (a *auditor) pack(p senmlgen.Profile, l senmlgen.Layout) []byte {
	g, err := senmlgen.New(senmlgen.Config{Profile: p, Layout: l, Seed: a.cfg.Seed, Now: a.cfg.Now})
	if err != nil {
		panic(err) // the profiles and layouts here are the package's own
	}
	return g.AppendNext(nil)
}

// sendValid delivers a correctly signed body with the destination's retries.
func (a *auditor) sendValid(ctx context.Context, what string, body []byte) (Exchange, *sender.Result) {
	res := a.valid.Deliver(ctx, 0, body)
	e := exchange(what, res)
	a.latency = append(a.latency, e)
	return e, res
}

// sendProbe sends a request once, as built.
func (a *auditor) sendProbe(ctx context.Context, what string, req *sender.Request) (Exchange, *sender.Result) {
	res := a.probe.DeliverRequest(ctx, 0, req)
	return exchange(what, res), res
}

func exchange(what string, res *sender.Result) Exchange {
	e := Exchange{Sent: what, Method: res.Request.Method, Token: res.Request.Token, Attempts: len(res.Attempts)}
	if n := len(res.Attempts); n > 0 {
		last := res.Attempts[n-1]
		e.Status = last.Status()
		if e.Status == 0 && last.Err != nil {
			e.Error = last.Err.Error()
		}
		e.DurationMS = sender.MillisOf(last.Duration)
	}
	return e
}

// accepted reports whether a valid message got a 2xx.
func accepted(res *sender.Result) bool {
	return res.Outcome == sender.Delivered || res.Outcome == sender.UnexpectedStatus
}

// refused reports whether bad data got a 4xx, the only right answer.
func refused(res *sender.Result) bool {
	s := res.Status()
	return s >= 400 && s <= 499
}

// validResult judges checks that send valid packs: all must get the expected code.
func (a *auditor) validResult(es []Exchange, results []*sender.Result, cause string) Result {
	r := Result{Evidence: es}
	var bad, other []string
	for i, res := range results {
		switch {
		case res.Outcome == sender.Delivered:
		case res.Outcome == sender.UnexpectedStatus:
			other = append(other, fmt.Sprintf("%s got %d", es[i].Sent, res.Status()))
		default:
			bad = append(bad, fmt.Sprintf("%s got %s", es[i].Sent, es[i].Got()))
		}
	}
	switch {
	case len(bad) > 0:
		r.Outcome = Fail
		r.Message = strings.Join(bad, "; ") + ". " + cause
	case len(other) > 0:
		r.Outcome = Warn
		r.Message = fmt.Sprintf("%s, not the expected %d: the platform counts any 2xx as delivered", strings.Join(other, "; "), a.expected)
	default:
		r.Outcome = Pass
		r.Message = fmt.Sprintf("answered %d", a.expected)
	}
	return r
}

// refusedResult judges a probe of bad data: it must get a 4xx.
func refusedResult(e Exchange, res *sender.Result, accepted string) Result {
	r := Result{Evidence: []Exchange{e}}
	switch s := res.Status(); {
	case s >= 400 && s <= 499:
		r.Outcome, r.Message = Pass, fmt.Sprintf("refused with %d", s)
	case s >= 200 && s <= 299:
		r.Outcome, r.Message = Fail, fmt.Sprintf("answered %d: %s", s, accepted)
	case s != 0:
		r.Outcome, r.Message = Fail, fmt.Sprintf("answered %d: bad data must be refused with a 4xx (401 or 403), not an error the platform would retry", s)
	default:
		r.Outcome, r.Message = Fail, fmt.Sprintf("no answer (%s): bad data must be refused with a 4xx", e.Error)
	}
	return r
}

// causeRefusedValid is the likely cause when a correctly signed pack is not accepted.
const causeRefusedValid = "A correctly signed pack must be accepted: the token is sha256(raw body bytes + shared secret) in lower-case hex; check the secret, and hash the body exactly as received, not re-serialised JSON"
