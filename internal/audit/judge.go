package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/thingsim/thingsim/sender"
)

// verdict is what audit proved about one correctly signed pack.
type verdict struct {
	evidence []Exchange
	res      *sender.Result
	cause    Cause  // empty when accepted and, with --confirm, seen stored
	why      string // what was proven, when refused or not stored
	// secretLike: refused with 401 or 403, the same answer with the right token and a wrong one,
	// while no pack was accepted: a wrong secret, if every pack was refused so.
	secretLike bool
}

func (v verdict) accepted() bool { return v.res != nil && accepted(v.res) }

// tryValid sends a correctly signed pack with the destination's retries and, when it is refused,
// finds out why. sameData says the endpoint accepted the same data in other bytes: refused as a
// wrong token is, these bytes then prove that the token is checked over something else.
// check names the check for --confirm, which is not asked when it is empty.
func (a *auditor) tryValid(ctx context.Context, check, what string, body []byte, sameData bool) verdict {
	e, res := a.send(ctx, what, a.signed(body), true)
	v := a.judge(ctx, what, body, e, res, sameData)
	if v.accepted() && check != "" {
		v = a.confirm(ctx, check, body, v)
	}
	return v
}

// confirm asks Config.Confirm, if set, whether the accepted pack of v was stored.
func (a *auditor) confirm(ctx context.Context, check string, body []byte, v verdict) verdict {
	if a.cfg.Confirm == nil {
		return v
	}
	device, at := baseOf(body)
	err := a.cfg.Confirm(ctx, Confirmation{Check: check, Device: device, Time: at, PlugUUID: a.cfg.Destination.PlugUUID, Body: body})
	if err != nil && ctx.Err() == nil {
		v.cause = CauseNotStored
		v.why = fmt.Sprintf("answered %d: taken, but never seen stored: %v", v.res.Status(), err)
	}
	return v
}

// baseOf returns a pack's base name and base time (Unix seconds), each "" when it has none.
func baseOf(body []byte) (device, at string) {
	var pack []map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if dec.Decode(&pack) != nil {
		return "", ""
	}
	for _, r := range pack {
		if raw, ok := r["bn"]; ok && device == "" {
			json.Unmarshal(raw, &device)
		}
		if raw, ok := r["bt"]; ok && at == "" {
			if f, err := strconv.ParseFloat(string(raw), 64); err == nil {
				at = strconv.FormatFloat(f, 'f', -1, 64)
			}
		}
	}
	return device, at
}

// judge finds out why a correctly signed pack was refused. A 4xx is followed by the same bytes
// with a wrong token: another answer proves the token verified and the content was refused. The
// same answer is followed by the data as JSON libraries write it: another answer to one of those
// proves the token is checked over re-serialised bytes.
func (a *auditor) judge(ctx context.Context, what string, body []byte, e Exchange, res *sender.Result, sameData bool) verdict {
	v := verdict{evidence: []Exchange{e}, res: res}
	status := res.Status()
	switch {
	case accepted(res):
		return v
	case status == 0:
		v.cause, v.why = noAnswerCause(res), "no answer: "+e.Error
		return v
	case status >= 500:
		v.cause, v.why = CauseServerError, fmt.Sprintf("answered %d%s: the platform retries an error and discards the message after its last attempt", status, answerOf(e))
		return v
	case status < 400:
		v.cause, v.why = CauseRedirect, fmt.Sprintf("answered %d: the platform does not follow redirects", status)
		return v
	}
	w, wres := a.send(ctx, what+", with a wrong token", a.withToken(body, a.wrongToken(body)), false)
	v.evidence = append(v.evidence, w)
	switch ws := wres.Status(); {
	case ws >= 200 && ws <= 299:
		v.cause, v.why = CauseInconclusive, fmt.Sprintf("refused with %d when correctly signed, yet accepted with a wrong token (%d): its answers do not follow the token", status, ws)
		return v
	case ws != status:
		v.cause, v.why = CauseContentRefused, fmt.Sprintf("refused for its content: %d%s, while a wrong token gets %s, so the token verified", status, answerOf(e), w.Got())
		return v
	case !sameAnswer(e, w):
		v.cause, v.why = CauseContentRefused, fmt.Sprintf("refused for its content: %d with the right token%s and %d with a wrong one%s: the same status with another answer, so the refusal is not the token check's", status, answerOf(e), ws, answerOf(w))
		return v
	case sameData && (a.tokenRefusal == 0 || a.tokenRefusal == status):
		v.cause, v.why = CauseReserialised, fmt.Sprintf("refused with %d, as a wrong token is, while the same data in other bytes was accepted: the token is checked over what a JSON library writes back, not over the bytes received", status)
		return v
	}
	if tree, err := parseRaw(body); err == nil {
		tried := map[string]bool{string(body): true}
		for _, wr := range writers {
			again := wr.fn(tree)
			if tried[string(again)] {
				continue
			}
			tried[string(again)] = true
			r, rres := a.send(ctx, "the same data as "+wr.name+" writes it", a.signed(again), false)
			v.evidence = append(v.evidence, r)
			if a.rescued == nil && accepted(rres) {
				a.rescued = &form{what: "the data of " + what + " as " + wr.name + " writes it", body: again}
			}
			if rs := rres.Status(); rs != status && rs != 0 {
				v.cause = CauseReserialised
				v.why = fmt.Sprintf("refused with %d, as a wrong token is, but the same data as %s writes it, signed over those bytes, got %d: the endpoint hashes re-serialised JSON, not the body as received", status, wr.name, rs)
				return v
			}
		}
	}
	switch {
	case a.tokenRefusal == status && !sameAnswer(e, a.reference):
		v.evidence = append(v.evidence, a.reference)
		v.cause, v.why = CauseContentRefused, fmt.Sprintf("refused for its content: %d%s, while a wrong token on an accepted pack gets %d%s: the same status with another answer, so the refusal is not the token check's", status, answerOf(e), a.tokenRefusal, answerOf(a.reference))
	case a.tokenRefusal == status:
		v.evidence = append(v.evidence, a.reference)
		v.cause, v.why = CauseTokenRefused, fmt.Sprintf("refused with %d, as a wrong token is (on an accepted pack too): the token did not verify over these bytes", status)
	case a.tokenRefusal != 0:
		v.evidence = append(v.evidence, a.reference)
		v.cause, v.why = CauseContentRefused, fmt.Sprintf("refused for its content: %d%s with the right token and a wrong one, while a wrong token on an accepted pack gets %d, so the refusal is not the token check's", status, answerOf(e), a.tokenRefusal)
	default:
		v.cause, v.why = CauseInconclusive, fmt.Sprintf("refused with %d%s with the right token and a wrong one alike, and no pack was accepted: thingsim cannot tell a refused token from refused content; give audit a pack your endpoint accepts with --payload", status, answerOf(e))
		v.secretLike = status == 401 || status == 403
	}
	return v
}

// settled is v as the whole audit judges it: a refusal like a wrong token's is the secret's fault
// when every pack was refused so.
func (a *auditor) settled(v verdict) verdict {
	if v.secretLike && a.secretMismatch {
		v.cause = CauseSecretMismatch
		v.why = fmt.Sprintf("every pack signed with this secret, in every shape audit sends, was refused as a bad token would be (%d%s): check that the endpoint holds this secret for plug UUID %s", v.res.Status(), answerOf(v.evidence[0]), a.cfg.Destination.PlugUUID)
	}
	return v
}

// sameAnswer reports whether two refusals said the same: the same status and the same body, once
// what differs from one answer to the next (numbers, hex identifiers, UUIDs, times) is set aside.
func sameAnswer(x, y Exchange) bool {
	return x.Status == y.Status && answerShape(x.Answer) == answerShape(y.Answer)
}

// volatile matches what an error answer may carry that changes from one request to the next.
var volatile = regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[0-9a-fA-F]*[0-9][0-9a-fA-F]*`)

func answerShape(s string) string {
	return volatile.ReplaceAllString(strings.TrimSpace(s), "#")
}

// noAnswerCause sorts a message that got no answer.
func noAnswerCause(res *sender.Result) Cause {
	if n := len(res.Attempts); n > 0 {
		switch res.Attempts[n-1].Kind {
		case sender.KindTimeout:
			return CauseTimeout
		case sender.KindTLS:
			return CauseTLS
		}
	}
	return CauseConnection
}

// answerCause sorts an answer that is neither an acceptance nor a refusal.
func answerCause(res *sender.Result) Cause {
	switch s := res.Status(); {
	case s == 0:
		return noAnswerCause(res)
	case s < 400:
		return CauseRedirect
	}
	return CauseServerError
}

// answerOf quotes the start of a refusal's body, for messages.
func answerOf(e Exchange) string {
	a := strings.TrimSpace(e.Answer)
	if a == "" {
		return ""
	}
	if r := []rune(a); len(r) > 60 {
		a = string(r[:60]) + "…"
	}
	return fmt.Sprintf(" (%q)", a)
}

// control is a refusal probe's control: the same request, correctly signed.
type control struct {
	e   Exchange
	res *sender.Result
}

// sendControl sends body correctly signed: the control of a probe that forges it. It is sent
// with the destination's retries when the endpoint accepted a pack, once otherwise.
func (a *auditor) sendControl(ctx context.Context, req *sender.Request) control {
	e, res := a.send(ctx, "the control: the same pack, correctly signed", req, a.base != nil)
	return control{e, res}
}

// refusal judges a forged probe as refusalResult does, and says which pack it was derived from
// when audit had to look for one, or why its control proves nothing when the secret is wrong.
func (a *auditor) refusal(c control, e Exchange, res *sender.Result, cause Cause, acceptedWhy string) Result {
	r := refusalResult(c, e, res, cause, acceptedWhy)
	switch {
	case r.Cause == CauseInconclusive && a.secretMismatch:
		r.Message = fmt.Sprintf("the same pack correctly signed was refused as a wrong token is (%s; see valid-legacy: %s), so this refusal (%s) proves nothing", c.e.Got(), CauseSecretMismatch, e.Got())
	default:
		r.Message += a.usedPack()
	}
	return r
}

// refusalResult judges a probe of forged data against its control. The probe must be refused
// with a 4xx, and the refusal counts only when the control was accepted or refused otherwise.
func refusalResult(c control, e Exchange, res *sender.Result, cause Cause, acceptedWhy string) Result {
	r := Result{Evidence: []Exchange{c.e, e}}
	s, cs := res.Status(), c.res.Status()
	switch {
	case s >= 200 && s <= 299:
		r.Outcome, r.Cause, r.Message = Fail, cause, fmt.Sprintf("answered %d: %s", s, acceptedWhy)
	case cs == 0:
		r.Outcome, r.Cause, r.Message = Fail, CauseInconclusive, fmt.Sprintf("the control, the same pack correctly signed, was never answered (%s), so the answer to the forged one (%s) proves nothing", c.e.Error, e.Got())
	case s == 0:
		r.Outcome, r.Cause, r.Message = Fail, noAnswerCause(res), fmt.Sprintf("no answer (%s): forged data must be refused with a 4xx", e.Error)
	case s < 400 || s > 499:
		r.Outcome, r.Cause, r.Message = Fail, answerCause(res), fmt.Sprintf("answered %d: forged data must be refused with a 4xx (401 or 403), not an answer the platform would retry", s)
	case accepted(c.res):
		r.Outcome, r.Message = Pass, fmt.Sprintf("refused with %d; the same pack correctly signed was accepted (%d)", s, cs)
	case cs >= 400 && cs <= 499 && cs != s:
		r.Outcome, r.Message = Pass, fmt.Sprintf("refused with %d; the same pack correctly signed got %d: the token is checked before the content", s, cs)
	case cs == s:
		r.Outcome, r.Cause, r.Message = Fail, CauseInconclusive, fmt.Sprintf("it refuses even the correctly signed pack (%d%s), so its refusal (%d) proves nothing about its token check; give audit a pack it accepts with --payload", cs, answerOf(c.e), s)
	default:
		r.Outcome, r.Cause, r.Message = Fail, CauseInconclusive, fmt.Sprintf("refused with %d, but the correctly signed pack got %s, so the refusal proves nothing about its token check", s, c.e.Got())
	}
	return r
}

// packsResult judges a check of correctly signed packs. Packs refused for content that audit
// added (untested) are reported, not failed: audit could not test their bytes.
func (a *auditor) packsResult(vs []verdict, addedContent bool) Result {
	r := Result{}
	var untested, other []string
	var failed grouped
	for _, v := range vs {
		v = a.settled(v)
		r.Evidence = append(r.Evidence, v.evidence...)
		what := v.evidence[0].Sent
		switch {
		case v.cause == CauseNotStored:
			if r.Cause == "" {
				r.Cause = v.cause
			}
			failed.add(v.why, what)
		case v.accepted() && v.res.Outcome == sender.UnexpectedStatus:
			other = append(other, fmt.Sprintf("%s got %d", what, v.res.Status()))
		case v.accepted():
		case v.cause == CauseContentRefused && addedContent:
			untested = append(untested, what)
		default:
			if r.Cause == "" {
				r.Cause = v.cause
			}
			failed.add(v.why, what)
		}
	}
	switch {
	case len(failed.whys) > 0:
		r.Outcome, r.Message = Fail, failed.String()
	case len(untested) > 0:
		r.Outcome, r.Cause = Warn, CauseContentRefused
		r.Message = "refused for their content, so their bytes were not tested: " + strings.Join(untested, "; ")
	case len(other) > 0:
		// One rule with send: another 2xx is delivered, but not as the destination expects.
		r.Outcome, r.Cause = Fail, CauseUnexpectedStatus
		r.Message = fmt.Sprintf("%s, not the expected %d: the platform counts any 2xx as delivered, but the destination expects %d (send exits 1 on it too): answer %d, or set expectedResponseCode (--expect) to what the endpoint answers", strings.Join(other, "; "), a.expected, a.expected, a.expected)
	default:
		r.Outcome, r.Message = Pass, fmt.Sprintf("answered %d", a.expected)
		if len(vs) > 1 {
			r.Message = fmt.Sprintf("answered %d to all %d packs", a.expected, len(vs))
		}
		if a.cfg.Confirm != nil {
			what := "it"
			if len(vs) > 1 {
				what = "them"
			}
			r.Message += " and stored " + what + ", as --confirm saw"
		} else {
			r.Message += ": taken; whether stored is not seen (--confirm shows it)"
		}
	}
	return r
}

// grouped collects packs by what was proven of them, so that six packs refused for one reason
// read as one sentence.
type grouped struct {
	whys  []string
	packs map[string][]string
}

func (g *grouped) add(why, what string) {
	if g.packs == nil {
		g.packs = map[string][]string{}
	}
	if _, ok := g.packs[why]; !ok {
		g.whys = append(g.whys, why)
	}
	g.packs[why] = append(g.packs[why], what)
}

func (g *grouped) String() string {
	var parts []string
	for _, why := range g.whys {
		parts = append(parts, strings.Join(g.packs[why], ", ")+": "+why)
	}
	return strings.Join(parts, "; ")
}
