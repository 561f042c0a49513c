// Package audit checks how an endpoint behaves as a receiver of the platform's HTTPS destination:
// that it accepts what the platform sends, byte for byte, and refuses what it must (a wrong,
// missing or foreign token, a tampered body). Each check sends a handful of requests and records
// what it sent and what came back.
//
// A verdict holds only what its evidence proves. A refusal of forged data counts when the same
// pack, correctly signed, was accepted or refused otherwise (its control); a refused valid pack is
// sent again with a wrong token to tell a refused token from refused content; a check that cannot
// tell says so. Every check that fails or warns names its Cause.
package audit

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/thingsim/thingsim/internal/tlscheck"
	"github.com/thingsim/thingsim/report"
	"github.com/thingsim/thingsim/sender"
	"github.com/thingsim/thingsim/senmlgen"
)

// Outcome of a check.
type Outcome string

// The outcomes.
const (
	Pass Outcome = "pass"
	Fail Outcome = "fail" // with evidence against the endpoint
	Warn Outcome = "warn"
	Skip Outcome = "skip"
	// Undecided: a required check that nothing proved either way (cause inconclusive or
	// content_refused): thingsim cannot tell, and says so instead of failing the endpoint.
	Undecided Outcome = "undecided"
)

// Cause says why a check failed or warned, as data a CI system can group on.
type Cause string

// The causes.
const (
	// CauseTokenNotChecked: a wrong or missing token was accepted.
	CauseTokenNotChecked Cause = "token_not_checked"
	// CauseBodyNotChecked: a changed body with the original token was accepted.
	CauseBodyNotChecked Cause = "body_not_checked"
	// CauseWrongSecretAccepted: a token made with another secret was accepted.
	CauseWrongSecretAccepted Cause = "wrong_secret_accepted"
	// CauseInconclusive: the evidence cannot tell: the control was answered as the probe was, or
	// a pack was refused alike with the right and a wrong token while no pack was accepted.
	CauseInconclusive Cause = "inconclusive"
	// CauseContentRefused: the token verified (a wrong one was answered otherwise) and the
	// pack's content was refused.
	CauseContentRefused Cause = "content_refused"
	// CauseSecretMismatch: every correctly signed pack, in every shape audit sends, was refused
	// with the status and answer a wrong token gets: the endpoint does not hold this secret for the
	// destination's plug UUID.
	CauseSecretMismatch Cause = "secret_mismatch"
	// CauseNotStored: a pack was answered 2xx, but the --confirm command never saw it stored.
	CauseNotStored Cause = "not_stored"
	// CauseTokenRefused: a correctly signed pack was refused as a wrong token is.
	CauseTokenRefused Cause = "token_refused"
	// CauseReserialised: the token verified over re-serialised bytes, not the bytes sent.
	CauseReserialised Cause = "reserialised"
	// CauseReserialisedCompatible: every byte form the platform writes verifies, forms it does
	// not write do not: the endpoint re-serialises with a writer that reproduces the platform's.
	CauseReserialisedCompatible Cause = "reserialised_compatible"
	// CauseLayoutSpecific: one layout is accepted, the other refused for its content.
	CauseLayoutSpecific Cause = "layout_specific"
	// CauseServerError: a 5xx, which the platform retries.
	CauseServerError Cause = "server_error"
	// CauseRedirect: a 3xx, which the platform does not follow.
	CauseRedirect Cause = "redirect"
	// CauseTimeout: no answer within the attempt's timeout.
	CauseTimeout Cause = "timeout"
	// CauseConnection: the connection was refused or dropped.
	CauseConnection Cause = "connection"
	// CauseTLS: the TLS handshake failed, or the platform's TLS policy would refuse the endpoint.
	CauseTLS Cause = "tls"
	// CauseUnexpectedStatus: a 2xx other than the expected code.
	CauseUnexpectedStatus Cause = "unexpected_status"
	// CauseCaseSensitiveToken: an upper-case token was refused.
	CauseCaseSensitiveToken Cause = "case_sensitive_token"
	// CauseUnknownPlugAccepted: a plug UUID the endpoint does not know was accepted.
	CauseUnknownPlugAccepted Cause = "unknown_plug_accepted"
	// CauseDuplicateRefused: a pack sent again was not answered 2xx.
	CauseDuplicateRefused Cause = "duplicate_refused"
	// CauseGETBodyIgnored: a GET whose body carried a wrong token was accepted.
	CauseGETBodyIgnored Cause = "get_body_ignored"
	// CauseSlow: answers take more than half the first attempt's timeout.
	CauseSlow Cause = "slow"
)

// Exchange is one request of a check and what came back: the evidence, as --output json writes it.
type Exchange = report.Exchange

// Result is a check's outcome, why, and its evidence.
type Result struct {
	Name     string     `json:"name"`
	Required bool       `json:"required"`
	Outcome  Outcome    `json:"result"`
	Cause    Cause      `json:"cause,omitempty"`
	Message  string     `json:"message"`
	Evidence []Exchange `json:"evidence"`
	Duration time.Duration
}

// Template is a pack the endpoint really gets: audit derives its probes from templates.
type Template struct {
	Origin string // where it came from, for messages ("body.json", "packs.jsonl line 3")
	Body   []byte
}

// Config configures an audit. The destination must have passed its rules.
type Config struct {
	Destination *sender.Destination
	// Templates are the packs every probe is derived from; without them audit generates one.
	Templates []Template
	Transport sender.Transport
	Attempts  int
	Timeouts  []time.Duration
	Backoff   []time.Duration
	UserAgent string
	// StrictPlug runs unknown-plug: the endpoint is expected to refuse a plug UUID it does not know.
	StrictPlug bool
	// Checks to run, by name; empty means all.
	Checks []string
	// TLS runs the platform's TLS policy check of the endpoint (check-tls); nil skips the tls check.
	TLS func(ctx context.Context) (*tlscheck.Report, error)
	// Now dates the packs; Seed draws them.
	Now  time.Time
	Seed uint64
	// Numbers is how the platform's JVM writes numbers: the generated packs and the templates
	// re-laid out are written so (default senmlgen.JavaNumbers, JDK 19 and later).
	Numbers senmlgen.NumberStyle
	// OnResult is called after each check, in order.
	OnResult func(Result)
	// Confirm, when set, is asked after each accepted pack of valid-legacy, valid-merged, profiles
	// and java-numbers whether the endpoint stored it; an error says it was never seen stored.
	Confirm func(ctx context.Context, c Confirmation) error
}

// Confirmation is what Config.Confirm is told of an accepted pack.
type Confirmation struct {
	Check    string // the check that sent it
	Device   string // the pack's base name
	Time     string // the pack's base time, Unix seconds as a decimal
	PlugUUID string
	Body     []byte // the exact bytes sent
}

// ExitCode is the exit status that results earn: 0 when every required check passed (warnings
// allowed), 1 when at least one failed with evidence against the endpoint, 3 when none failed but
// some were undecided: nothing was proven against the endpoint, and not everything for it.
func ExitCode(results []Result) int {
	code := 0
	for _, r := range results {
		switch r.Outcome {
		case Fail:
			return 1
		case Undecided:
			code = 3
		}
	}
	return code
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
	{"valid-legacy", true, "each pack in the legacy layout; a refused one again with a wrong token, and as JSON libraries write it", checkValidLegacy},
	{"valid-merged", true, "each pack in the merged layout, diagnosed as valid-legacy", checkValidMerged},
	{"profiles", true, "1 valid pack per profile (6), without --payload only", checkProfiles},
	{"java-numbers", true, "1 valid pack with 3.0, 1.0E-4 and 1.0E7", checkJavaNumbers},
	{"byte-variants", true, "8 valid packs: 2 byte forms the platform writes, 6 it does not", checkByteVariants},
	{"wrong-token", true, "a control (the pack correctly signed), then the pack with a wrong token", checkWrongToken},
	{"missing-token", true, "a control, then the pack without a token", checkMissingToken},
	{"other-secret", true, "a control, then the pack signed with another secret", checkOtherSecret},
	{"tampered-body", true, "a control, then a changed pack with the original token", checkTamperedBody},
	{"uppercase-token", false, "1 valid pack with its token in upper-case hex", checkUppercaseToken},
	{"unknown-plug", false, "a control, then the pack with an unknown plug UUID (--strict-plug)", checkUnknownPlug},
	{"duplicate", false, "1 accepted pack twice", checkDuplicate},
	{"method-body", false, "for GET: a control, then a GET with a wrong token in its body", checkMethodBody},
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
	latency  []Exchange // every accepted valid exchange, for the latency check

	templates []*template // what the probes derive from
	generated bool        // the templates are audit's own
	based     bool        // the baseline has run
	// base is the first pack the endpoint accepted, nil when it accepted none; the forged checks
	// and the variants derive from it.
	base *form
	// rescued is the first re-serialised form of a refused pack that the endpoint accepted.
	rescued *form
	// reference is base sent with a wrong token; tokenRefusal the status it got, 0 when unknown.
	reference    Exchange
	tokenRefusal int
	// found is set when base is none of the templates but a shape audit found the endpoint
	// accepts (a profile, a layout): the forged checks say which pack they used.
	found bool
	// secretMismatch: no pack was accepted, and every one was refused as a wrong token is.
	secretMismatch bool
}

// Run runs the selected checks in order and returns their results. It fails only on a
// configuration it cannot use: a template that is not JSON, a destination the sender refuses.
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
	a := &auditor{cfg: cfg, valid: valid, probe: probe, template: valid.Template(), expected: cfg.Destination.Expected()}
	if err := a.loadTemplates(); err != nil {
		return nil, err
	}
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
		if r.Outcome == Fail && (r.Cause == CauseInconclusive || r.Cause == CauseContentRefused) {
			r.Outcome = Undecided
		}
		if !c.required && (r.Outcome == Fail || r.Outcome == Undecided) {
			r.Outcome = Warn
		}
		results = append(results, r)
		if cfg.OnResult != nil {
			cfg.OnResult(r)
		}
	}
	return results, ctx.Err()
}

// send delivers a request with the destination's retries, or once.
func (a *auditor) send(ctx context.Context, what string, req *sender.Request, retries bool) (Exchange, *sender.Result) {
	s := a.probe
	if retries {
		s = a.valid
	}
	res := s.DeliverRequest(ctx, 0, req)
	e := exchange(what, res)
	if accepted(res) && retries {
		a.latency = append(a.latency, e)
	}
	return e, res
}

// signed builds body's request, correctly signed.
func (a *auditor) signed(body []byte) *sender.Request { return a.template.New(body) }

// withToken builds body's request with the given token; an empty token sends none.
func (a *auditor) withToken(body []byte, token string) *sender.Request {
	return a.template.Build(body, sender.Overrides{KeepToken: true, Token: token})
}

// wrongToken returns body's token with its last digit changed.
func (a *auditor) wrongToken(body []byte) string {
	return WrongToken(body, a.cfg.Destination.Secret.Reveal())
}

// maxAnswer is how much of a refusal's body an exchange keeps.
const maxAnswer = 200

func exchange(what string, res *sender.Result) Exchange {
	e := Exchange{Sent: what, Method: res.Request.Method, Token: res.Request.Token, Attempts: len(res.Attempts)}
	if n := len(res.Attempts); n > 0 {
		last := res.Attempts[n-1]
		e.Status = last.Status()
		if e.Status == 0 && last.Err != nil {
			e.Error = last.Err.Error()
		}
		if e.Status >= 300 {
			body := last.Response.Body
			if len(body) > maxAnswer {
				body = body[:maxAnswer]
			}
			e.Answer = strings.ToValidUTF8(string(body), "\ufffd")
		}
		e.DurationMS = sender.MillisOf(last.Duration)
	}
	return e
}

// accepted reports whether a message got a 2xx.
func accepted(res *sender.Result) bool {
	return res.Outcome == sender.Delivered || res.Outcome == sender.UnexpectedStatus
}

// refused reports whether a message got a 4xx, the only right answer to bad data.
func refused(res *sender.Result) bool {
	s := res.Status()
	return s >= 400 && s <= 499
}
