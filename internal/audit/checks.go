package audit

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/thingsim/thingsim/internal/tlscheck"
	"github.com/thingsim/thingsim/sender"
	"github.com/thingsim/thingsim/senmlgen"
)

func checkValidLegacy(ctx context.Context, a *auditor) Result {
	return a.checkLayout(ctx, senmlgen.Legacy)
}

func checkValidMerged(ctx context.Context, a *auditor) Result {
	return a.checkLayout(ctx, senmlgen.Merged)
}

// layoutHints say what kind of parser refuses one layout of data it accepts in the other.
var layoutHints = [2]string{
	senmlgen.Legacy: "a parser that expects bn and bt on the first measurement reads only the merged layout; look records up by name and apply bn and bt as RFC 8428 says",
	senmlgen.Merged: "a positional parser reading pack[1]? It reads only the legacy layout; look records up by name and apply bn and bt as RFC 8428 says",
}

// checkLayout judges every template in one layout, as the baseline sent them.
func (a *auditor) checkLayout(ctx context.Context, l senmlgen.Layout) Result {
	a.baseline(ctx)
	var vs []verdict
	var notes []string
	for _, t := range a.templates {
		f := t.forms[l]
		if f == nil {
			notes = append(notes, fmt.Sprintf("%s is not sent in the %s layout: %s", t.name, l, t.why[l]))
			continue
		}
		if t.note != "" && l == t.own {
			notes = append(notes, t.name+": "+t.note)
		}
		v := f.verdict
		if o := t.forms[1-l]; v.cause == CauseContentRefused && o != nil && o.verdict.accepted() {
			v.cause = CauseLayoutSpecific
			v.why = fmt.Sprintf("refuses the %s layout of data it accepts in the %s layout (%s): %s", l, 1-l, v.why, layoutHints[l])
		}
		if v.cause == CauseContentRefused && a.generated {
			v.why += "; give audit a pack your endpoint accepts with --payload"
		}
		vs = append(vs, v)
	}
	if len(vs) == 0 {
		return Result{Outcome: Skip, Message: strings.Join(notes, "; ")}
	}
	r := a.packsResult(vs, false)
	if len(notes) > 0 {
		r.Message += " (" + strings.Join(notes, "; ") + ")"
	}
	return r
}

func checkProfiles(ctx context.Context, a *auditor) Result {
	if !a.generated {
		return Result{Outcome: Skip, Message: "runs on generated packs only: with --payload every probe derives from your packs"}
	}
	a.baseline(ctx)
	var vs []verdict
	for _, p := range senmlgen.ProfileNames() {
		g, err := senmlgen.New(senmlgen.Config{Profile: senmlgen.Profile(p), Numbers: a.cfg.Numbers, Seed: a.cfg.Seed, Now: a.cfg.Now})
		if err != nil {
			panic(err) // the profiles are the package's own
		}
		vs = append(vs, a.tryValid(ctx, "profiles", "a valid "+p+" pack", g.AppendNext(nil), false))
	}
	return a.packsResult(vs, true)
}

// source is the pack the variants and forged probes derive from: the first pack the endpoint
// accepted, else the first template as given.
func (a *auditor) source(ctx context.Context) []byte {
	a.baseline(ctx)
	if a.base != nil {
		return a.base.body
	}
	t := a.templates[0]
	return t.forms[t.own].body
}

// javaNumbers are records of numbers the platform's JVM writes and JSON libraries write otherwise.
const javaNumbers = `{"n":"thingsim-whole","v":3.0},{"n":"thingsim-small","v":1.0E-4},{"n":"thingsim-large","v":1.0E7}`

func checkJavaNumbers(ctx context.Context, a *auditor) Result {
	body := appendRecord(a.source(ctx), javaNumbers)
	return a.packsResult([]verdict{a.tryValid(ctx, "java-numbers", "the pack with 3 more records: 3.0, 1.0E-4 and 1.0E7", body, false)}, true)
}

// variant is a pack whose bytes differ from the accepted pack's in one way.
type variant struct {
	what     string
	body     []byte
	platform bool // the platform writes such bytes: required
	same     int  // the variant holding the same data in other bytes, -1 for the accepted pack, -2 for none
}

func variants(base []byte, tree *node) []variant {
	vs := []variant{
		{"a string with literal UTF-8 (café über)", appendRecord(base, `{"n":"thingsim-label","vs":"café über"}`), true, -2},
		{`a string with the escapes the platform writes (\" \\ \n \t \u0001)`, appendRecord(base, `{"n":"thingsim-note","vs":"say \"hi\" \\ \n\t\u0001"}`), true, -2},
		{`that string written with \u escapes (caf\u00e9 \u00fcber)`, appendRecord(base, `{"n":"thingsim-label","vs":"caf\u00e9 \u00fcber"}`), false, 0},
		{"the accepted pack with a \\u escape in its base name", escapeBaseName(base, tree), false, -1},
		{"the accepted pack with its members in reverse order", tree.append(nil, rawStyle{reversed: true}), false, -1},
		{"the accepted pack with white space between members", tree.append(nil, rawStyle{spaced: true}), false, -1},
		{`a character outside the BMP as Jackson 2 escapes it (ok \uD83D\uDC4D)`, appendRecord(base, `{"n":"thingsim-status","vs":"ok \uD83D\uDC4D"}`), false, -2},
		{"that character literal in UTF-8 (ok 👍)", appendRecord(base, `{"n":"thingsim-status","vs":"ok 👍"}`), false, 6},
	}
	out := vs[:0]
	for _, v := range vs {
		if v.body != nil {
			out = append(out, v)
		}
	}
	return out
}

func checkByteVariants(ctx context.Context, a *auditor) Result {
	a.baseline(ctx)
	switch {
	case a.base == nil:
		return Result{Outcome: Skip, Message: "no pack was accepted, and variants of a refused pack prove nothing (see valid-legacy)"}
	case a.base == a.rescued:
		return Result{Outcome: Skip, Message: "the platform's bytes were refused (see valid-legacy), and variants of a re-serialised pack prove nothing more"}
	}
	tree, err := parseRaw(a.base.body)
	if err != nil {
		return Result{Outcome: Skip, Message: "the accepted pack is not JSON: " + err.Error()}
	}
	vs := variants(a.base.body, tree)
	verdicts := make([]verdict, len(vs))
	r := Result{}
	var compatible, untested []string
	var failed, other grouped
	for i, v := range vs {
		same := v.same == -1 || v.same >= 0 && verdicts[v.same].accepted()
		verdicts[i] = a.tryValid(ctx, "", v.what, v.body, same)
		vd := verdicts[i]
		r.Evidence = append(r.Evidence, vd.evidence...)
		switch {
		case vd.accepted():
		case vd.cause == CauseContentRefused:
			untested = append(untested, v.what)
		case v.platform:
			if r.Cause == "" {
				r.Cause = vd.cause
			}
			failed.add(vd.why, v.what)
		case vd.cause == CauseReserialised || vd.cause == CauseTokenRefused:
			compatible = append(compatible, v.what)
		default:
			other.add(vd.why, v.what)
			if r.Cause == "" {
				r.Cause = vd.cause
			}
		}
	}
	switch {
	case len(failed.whys) > 0:
		r.Outcome, r.Message = Fail, "bytes the platform writes must verify: "+failed.String()
	case len(compatible) > 0:
		r.Outcome, r.Cause = Warn, CauseReserialisedCompatible
		r.Message = "verifies every byte form the platform writes, but not " + strings.Join(compatible, "; ") +
			": it checks the token over what its JSON library writes back, which happens to reproduce the platform's bytes today. Hash the body exactly as received"
	case len(other.whys) > 0:
		r.Outcome, r.Message = Warn, other.String()
	case len(untested) > 0:
		r.Outcome, r.Cause = Warn, CauseContentRefused
		r.Message = "refused for their content, so their bytes were not tested: " + strings.Join(untested, "; ")
	default:
		r.Outcome, r.Message = Pass, fmt.Sprintf("accepted all %d byte forms, the platform's and others", len(vs))
	}
	return r
}

func checkWrongToken(ctx context.Context, a *auditor) Result {
	body := a.source(ctx)
	c := a.sendControl(ctx, a.signed(body))
	e, res := a.send(ctx, "the pack with its token's last digit changed", a.withToken(body, a.wrongToken(body)), false)
	return a.refusal(c, e, res, CauseTokenNotChecked, "the endpoint accepted a wrong Things-Message-Token: it does not check the token, or does not refuse on a mismatch")
}

func checkMissingToken(ctx context.Context, a *auditor) Result {
	body := a.source(ctx)
	c := a.sendControl(ctx, a.signed(body))
	e, res := a.send(ctx, "the pack without a Things-Message-Token header", a.withToken(body, ""), false)
	return a.refusal(c, e, res, CauseTokenNotChecked, "the endpoint accepted a request without Things-Message-Token: anyone who knows the URL can post data")
}

func (a *auditor) otherSecretToken(body []byte) string {
	return OtherSecretToken(body, a.cfg.Destination.Secret.Reveal())
}

func checkOtherSecret(ctx context.Context, a *auditor) Result {
	body := a.source(ctx)
	c := a.sendControl(ctx, a.signed(body))
	e, res := a.send(ctx, "the pack signed with another secret", a.withToken(body, a.otherSecretToken(body)), false)
	return a.refusal(c, e, res, CauseWrongSecretAccepted, "the endpoint accepted a token made with another secret: it does not verify the token with this destination's secret")
}

func checkTamperedBody(ctx context.Context, a *auditor) Result {
	body := a.source(ctx)
	changed, from, to, ok := Tamper(body)
	if !ok {
		return Result{Outcome: Skip, Message: "the pack holds no number to change"}
	}
	c := a.sendControl(ctx, a.signed(changed))
	e, res := a.send(ctx, fmt.Sprintf("the pack with %s changed to %s, carrying the original token", from, to), a.withToken(changed, sender.Sign(body, a.cfg.Destination.Secret)), false)
	return a.refusal(c, e, res, CauseBodyNotChecked, "the endpoint accepted a changed body with the original token: the token is not checked against the body")
}

func checkUppercaseToken(ctx context.Context, a *auditor) Result {
	a.baseline(ctx)
	if a.base == nil {
		return Result{Outcome: Skip, Message: "no pack was accepted, so a refusal of an upper-case token would prove nothing"}
	}
	body := a.base.body
	token := strings.ToUpper(sender.Sign(body, a.cfg.Destination.Secret))
	e, res := a.send(ctx, "the accepted pack with its token in upper-case hex", a.withToken(body, token), false)
	r := Result{Evidence: []Exchange{e}}
	switch {
	case accepted(res):
		r.Outcome, r.Message = Pass, "accepts the token in upper-case hex too"
	case refused(res):
		r.Outcome, r.Cause, r.Message = Warn, CauseCaseSensitiveToken, fmt.Sprintf("refused an upper-case token (%d): the platform sends lower-case hex, so this works, but comparing case-insensitively is more robust", res.Status())
	default:
		r.Outcome, r.Cause, r.Message = Warn, answerCause(res), fmt.Sprintf("answered %s to an upper-case token: it should accept it, or refuse it with a 4xx", e.Got())
	}
	return r
}

func checkUnknownPlug(ctx context.Context, a *auditor) Result {
	if !a.cfg.StrictPlug {
		return Result{Outcome: Skip, Message: "run with --strict-plug when the endpoint knows its plug UUIDs (it looks secrets up by Things-Plug-UUID)"}
	}
	body := a.source(ctx)
	c := a.sendControl(ctx, a.signed(body))
	e, res := a.send(ctx, "the pack, validly signed, with an unknown plug UUID", a.template.Build(body, sender.Overrides{PlugUUID: uuid.NewString()}), false)
	return a.refusal(c, e, res, CauseUnknownPlugAccepted, "the endpoint accepted a plug UUID it does not know: an endpoint of several destinations must look the secret up by Things-Plug-UUID")
}

func checkDuplicate(ctx context.Context, a *auditor) Result {
	a.baseline(ctx)
	if a.base == nil {
		return Result{Outcome: Skip, Message: "no pack was accepted, so there is nothing to send twice"}
	}
	body := a.base.body
	e1, r1 := a.send(ctx, "the accepted pack", a.signed(body), true)
	e2, r2 := a.send(ctx, "the same pack again, byte for byte", a.signed(body), true)
	r := Result{Evidence: []Exchange{e1, e2}}
	if accepted(r1) && accepted(r2) {
		r.Outcome, r.Message = Pass, "answered 2xx both times: the platform's retries resend identical bytes"
		return r
	}
	r.Outcome, r.Cause = Warn, CauseDuplicateRefused
	r.Message = fmt.Sprintf("answered %s then %s: the platform resends identical bytes when an answer is lost, so a duplicate should be answered 2xx again (and stored once)", e1.Got(), e2.Got())
	return r
}

func checkMethodBody(ctx context.Context, a *auditor) Result {
	if a.cfg.Destination.HTTPMethod() != "GET" {
		return Result{Outcome: Skip, Message: "the destination uses POST, which always carries the body; valid-legacy shows it is read"}
	}
	body := a.source(ctx)
	c := a.sendControl(ctx, a.signed(body))
	e, res := a.send(ctx, "a GET whose body carries a wrong token", a.withToken(body, a.otherSecretToken(body)), false)
	r := a.refusal(c, e, res, CauseGETBodyIgnored, "")
	switch {
	case r.Outcome == Pass:
		r.Message = "reads and checks the body of a GET: " + r.Message
	case accepted(res):
		r.Message = "accepted a GET whose body carried a wrong token: the endpoint (or a proxy before it) most likely ignores GET bodies; the platform's GET carries the SenML body, so use POST"
	}
	return r
}

func checkLatency(_ context.Context, a *auditor) Result {
	if len(a.latency) == 0 {
		return Result{Outcome: Skip, Message: "no valid pack was accepted, so there is no answer to time"}
	}
	first := sender.DefaultTimeouts[0]
	if len(a.cfg.Timeouts) > 0 {
		first = a.cfg.Timeouts[0]
	}
	slowest := a.latency[0]
	for _, e := range a.latency {
		if e.DurationMS > slowest.DurationMS {
			slowest = e
		}
	}
	limit := sender.MillisOf(first)
	r := Result{Evidence: []Exchange{slowest}}
	if slowest.DurationMS > limit/2 {
		r.Outcome, r.Cause = Warn, CauseSlow
		r.Message = fmt.Sprintf("the slowest accepted answer took %.1fms, more than half the first attempt's timeout (%v): answer first, process later", slowest.DurationMS, first)
		return r
	}
	r.Outcome, r.Message = Pass, fmt.Sprintf("the slowest of %d accepted answers took %.1fms, well within the first attempt's timeout (%v)", len(a.latency), slowest.DurationMS, first)
	return r
}

func checkTLS(ctx context.Context, a *auditor) Result {
	switch {
	case a.cfg.TLS == nil:
		return Result{Outcome: Skip, Message: "no TLS check was asked for"}
	case !strings.HasPrefix(a.cfg.Destination.URL, "https://"):
		return Result{Outcome: Skip, Message: "plain HTTP (allowed by --relax): there is no TLS to check"}
	}
	rep, err := a.cfg.TLS(ctx)
	if err != nil {
		return Result{Outcome: Warn, Cause: CauseTLS, Message: "the TLS check could not run: " + err.Error()}
	}
	var why []string
	for _, f := range rep.Reasons {
		why = append(why, f.Kind+": "+f.Message)
	}
	ev := Exchange{Sent: fmt.Sprintf("TLS ClientHellos: 4 protocol versions, %d listed suites", len(rep.Suites)), Method: "TLS",
		Error: fmt.Sprintf("%d of %d listed suites accepted", len(rep.AcceptedSuites), len(rep.Suites))}
	untrustedOnly := len(rep.Reasons) > 0
	for _, f := range rep.Reasons {
		untrustedOnly = untrustedOnly && f.Kind == tlscheck.KindUntrusted
	}
	switch {
	case rep.Accepted() && len(rep.Warnings) > 0:
		var warns []string
		for _, f := range rep.Warnings {
			warns = append(warns, f.Kind+": "+f.Message)
		}
		return Result{Outcome: Warn, Cause: CauseTLS, Message: "the platform's TLS policy would accept the endpoint, with warnings: " + strings.Join(warns, "; "), Evidence: []Exchange{ev}}
	case rep.Accepted():
		return Result{Outcome: Pass, Message: "the platform's TLS policy would accept the endpoint", Evidence: []Exchange{ev}}
	case rep.Undecided():
		return Result{Outcome: Undecided, Cause: CauseTLS, Message: "thingsim cannot tell whether the platform would accept the endpoint: " + strings.Join(why, "; "), Evidence: []Exchange{ev}}
	case untrustedOnly:
		return Result{Outcome: Warn, Cause: CauseTLS, Message: "TLS is in order but for its certificate: " + strings.Join(why, "; "), Evidence: []Exchange{ev}}
	}
	return Result{Outcome: Fail, Cause: CauseTLS, Message: "the platform's TLS policy would refuse the endpoint: " + strings.Join(why, "; "), Evidence: []Exchange{ev}}
}

func hexValue(c byte) int {
	if c >= 'a' {
		return int(c-'a') + 10
	}
	return int(c - '0')
}
