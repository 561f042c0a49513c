package audit

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/thingsim/thingsim/sender"
	"github.com/thingsim/thingsim/senmlgen"
)

const auditDevice = "urn:dev:DEVEUI:0000000000000000:"

func checkValidLegacy(ctx context.Context, a *auditor) Result {
	e, res := a.sendValid(ctx, "a valid pack, legacy layout", a.pack(senmlgen.Measurements, senmlgen.Legacy))
	return a.validResult([]Exchange{e}, []*sender.Result{res}, causeRefusedValid)
}

func checkValidMerged(ctx context.Context, a *auditor) Result {
	e, res := a.sendValid(ctx, "a valid pack, merged layout", a.pack(senmlgen.Measurements, senmlgen.Merged))
	return a.validResult([]Exchange{e}, []*sender.Result{res}, causeRefusedValid)
}

func checkProfiles(ctx context.Context, a *auditor) Result {
	var es []Exchange
	var rs []*sender.Result
	for _, p := range senmlgen.ProfileNames() {
		e, res := a.sendValid(ctx, "a valid "+p+" pack", a.pack(senmlgen.Profile(p), senmlgen.Legacy))
		es, rs = append(es, e), append(rs, res)
	}
	return a.validResult(es, rs, causeRefusedValid)
}

// javaNumbers are the numbers the platform's JVM writes that re-serialisers write otherwise.
func javaNumbersPack(numbers senmlgen.NumberStyle) []byte {
	m := []senmlgen.Record{
		{Name: "temperature", Unit: "Cel", Kind: senmlgen.NumberValue, Number: 3},
		{Name: "tiny", Kind: senmlgen.NumberValue, Number: 1e-4},
		{Name: "big", Kind: senmlgen.NumberValue, Number: 1e7},
	}
	body, _ := senmlgen.ExactPack(auditDevice, time.Unix(1585650750, 0), senmlgen.Legacy, m).Encode(senmlgen.Format{Numbers: numbers, Order: senmlgen.CaptureOrder})
	return body
}

// reserialised writes what JSON.stringify or json.dumps make of the Java-style pack.
// Its members are in alphabetical order, which JavaScript, Python and Go libraries all keep or
// produce, so that only the numbers differ from the platform's bytes.
const reserialised = `[{"bn":"urn:dev:DEVEUI:0000000000000000:","bt":1585650750},{"n":"temperature","u":"Cel","v":3},{"n":"tiny","v":0.0001},{"n":"big","v":10000000}]`

func checkJavaNumbers(ctx context.Context, a *auditor) Result {
	body := javaNumbersPack(senmlgen.JavaNumbers)
	e, res := a.sendValid(ctx, "a valid pack with 1.58565075E9, 3.0, 1.0E-4 and 1.0E7", body)
	r := a.validResult([]Exchange{e}, []*sender.Result{res}, causeRefusedValid)
	if r.Outcome != Fail {
		return r
	}
	// Refused: is it the numbers? The same data as a re-serialiser writes it, signed over those bytes.
	e2, res2 := a.sendValid(ctx, "the same data as JSON.stringify writes it (1585650750, 3, 0.0001, 10000000)", []byte(reserialised))
	r.Evidence = append(r.Evidence, e2)
	if accepted(res2) {
		r.Message = fmt.Sprintf("refused the platform's Java-style numbers (%s) but accepted the same data written as a JSON library writes it: "+
			"the endpoint most likely hashes re-serialised JSON (JSON.parse then JSON.stringify, json.loads then json.dumps) instead of the raw body bytes. "+
			"Hash the body exactly as received", e.Got())
	}
	return r
}

func checkByteVariants(ctx context.Context, a *auditor) Result {
	variants := []struct{ what, body string }{
		{"a string with a \\u00e9 escape", `[{"bn":"urn:dev:DEVEUI:0000000000000001:","bt":1.58565075E9},{"n":"label","vs":"caf\u00e9"}]`},
		{"a string with a literal é (UTF-8)", `[{"bn":"urn:dev:DEVEUI:0000000000000001:","bt":1.58565075E9},{"n":"label","vs":"café"}]`},
		{"members in another order (v, u, n)", `[{"bt":1.58565075E9,"bn":"urn:dev:DEVEUI:0000000000000001:"},{"v":21.5,"u":"Cel","n":"temperature"}]`},
		{"a string with an emoji", `[{"bn":"urn:dev:DEVEUI:0000000000000001:","bt":1.58565075E9},{"n":"status","vs":"ok 👍"}]`},
	}
	var es []Exchange
	var rs []*sender.Result
	for _, v := range variants {
		e, res := a.sendValid(ctx, "a valid pack with "+v.what, []byte(v.body))
		es, rs = append(es, e), append(rs, res)
	}
	return a.validResult(es, rs, "Bytes that a JSON library would write differently must still verify: the endpoint most likely hashes re-serialised JSON instead of the raw body bytes")
}

func checkWrongToken(ctx context.Context, a *auditor) Result {
	body := a.pack(senmlgen.Measurements, senmlgen.Legacy)
	token := []byte(sender.Sign(body, a.cfg.Destination.Secret))
	token[len(token)-1] = "1032547698badcfe"[hexValue(token[len(token)-1])] // flip the last bit
	e, res := a.sendProbe(ctx, "a pack whose token has its last digit changed", a.template.Build(body, sender.Overrides{KeepToken: true, Token: string(token)}))
	return refusedResult(e, res, "the endpoint accepted a wrong Things-Message-Token: it does not check the token, or does not refuse on a mismatch")
}

func checkMissingToken(ctx context.Context, a *auditor) Result {
	body := a.pack(senmlgen.Measurements, senmlgen.Legacy)
	e, res := a.sendProbe(ctx, "a pack without a Things-Message-Token header", a.template.Build(body, sender.Overrides{KeepToken: true}))
	return refusedResult(e, res, "the endpoint accepted a request without Things-Message-Token: anyone who knows the URL can post data")
}

func checkOtherSecret(ctx context.Context, a *auditor) Result {
	body := a.pack(senmlgen.Measurements, senmlgen.Legacy)
	token := sender.Sign(body, sender.NewSecret(a.cfg.Destination.Secret.Reveal()+"-other"))
	e, res := a.sendProbe(ctx, "a pack signed with another secret", a.template.Build(body, sender.Overrides{KeepToken: true, Token: token}))
	return refusedResult(e, res, "the endpoint accepted a token made with another secret: it does not verify the token with this destination's secret")
}

func checkTamperedBody(ctx context.Context, a *auditor) Result {
	body := a.pack(senmlgen.Measurements, senmlgen.Legacy)
	token := sender.Sign(body, a.cfg.Destination.Secret)
	tampered := append([]byte(nil), body...)
	i := bytes.LastIndexAny(tampered, "0123456789")
	tampered[i] = '0' + (tampered[i]-'0'+1)%10
	e, res := a.sendProbe(ctx, "a pack with one digit changed, carrying the original token", a.template.Build(tampered, sender.Overrides{KeepToken: true, Token: token}))
	return refusedResult(e, res, "the endpoint accepted a changed body with the original token: the token is not checked against the body")
}

func checkUppercaseToken(ctx context.Context, a *auditor) Result {
	body := a.pack(senmlgen.Measurements, senmlgen.Legacy)
	token := strings.ToUpper(sender.Sign(body, a.cfg.Destination.Secret))
	e, res := a.sendProbe(ctx, "a valid pack with its token in upper-case hex", a.template.Build(body, sender.Overrides{KeepToken: true, Token: token}))
	r := Result{Evidence: []Exchange{e}}
	switch {
	case accepted(res):
		r.Outcome, r.Message = Pass, "accepts the token in upper-case hex too"
	case refused(res):
		r.Outcome, r.Message = Warn, fmt.Sprintf("refused an upper-case token (%d): the platform sends lower-case hex, so this works, but comparing case-insensitively is more robust", res.Status())
	default:
		r.Outcome, r.Message = Warn, fmt.Sprintf("answered %s to an upper-case token: it should accept it, or refuse it with a 4xx", e.Got())
	}
	return r
}

func checkUnknownPlug(ctx context.Context, a *auditor) Result {
	if !a.cfg.StrictPlug {
		return Result{Outcome: Skip, Message: "run with --strict-plug when the endpoint knows its plug UUIDs (it looks secrets up by Things-Plug-UUID)"}
	}
	body := a.pack(senmlgen.Measurements, senmlgen.Legacy)
	e, res := a.sendProbe(ctx, "a validly signed pack with an unknown plug UUID", a.template.Build(body, sender.Overrides{PlugUUID: uuid.NewString()}))
	r := refusedResult(e, res, "the endpoint accepted a plug UUID it does not know: an endpoint of several destinations must look the secret up by Things-Plug-UUID")
	return r
}

func checkDuplicate(ctx context.Context, a *auditor) Result {
	body := a.pack(senmlgen.Measurements, senmlgen.Legacy)
	e1, r1 := a.sendValid(ctx, "a valid pack", body)
	e2, r2 := a.sendValid(ctx, "the same pack again, byte for byte", body)
	r := Result{Evidence: []Exchange{e1, e2}}
	if accepted(r1) && accepted(r2) {
		r.Outcome, r.Message = Pass, "answered 2xx both times: the platform's retries resend identical bytes"
		return r
	}
	r.Outcome = Warn
	r.Message = fmt.Sprintf("answered %s then %s: the platform resends identical bytes when an answer is lost, so a duplicate should be answered 2xx again (and stored once)", e1.Got(), e2.Got())
	return r
}

func checkMethodBody(ctx context.Context, a *auditor) Result {
	if a.cfg.Destination.HTTPMethod() != "GET" {
		return Result{Outcome: Skip, Message: "the destination uses POST, which always carries the body; valid-legacy shows it is read"}
	}
	body := a.pack(senmlgen.Measurements, senmlgen.Legacy)
	token := sender.Sign(body, sender.NewSecret(a.cfg.Destination.Secret.Reveal()+"-other"))
	e, res := a.sendProbe(ctx, "a GET whose body carries a wrong token", a.template.Build(body, sender.Overrides{KeepToken: true, Token: token}))
	r := Result{Evidence: []Exchange{e}}
	switch {
	case refused(res):
		r.Outcome, r.Message = Pass, "reads and checks the body of a GET"
	case accepted(res):
		r.Outcome, r.Message = Warn, "accepted a GET whose body carried a wrong token: the endpoint (or a proxy before it) most likely ignores GET bodies; the platform's GET carries the SenML body, so use POST"
	default:
		r.Outcome, r.Message = Warn, fmt.Sprintf("answered %s to a GET with a body: servers and proxies often mishandle GET bodies; prefer POST", e.Got())
	}
	return r
}

func checkLatency(_ context.Context, a *auditor) Result {
	if len(a.latency) == 0 {
		return Result{Outcome: Skip, Message: "no valid pack was sent (select a valid-* check too)"}
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
	switch {
	case slowest.Error != "" && strings.Contains(slowest.Error, "no answer within"):
		r.Outcome, r.Message = Warn, fmt.Sprintf("%s timed out: the platform gives the first attempt %v", slowest.Sent, first)
	case slowest.DurationMS > limit/2:
		r.Outcome, r.Message = Warn, fmt.Sprintf("the slowest answer took %.1fms, more than half the first attempt's timeout (%v): answer first, process later", slowest.DurationMS, first)
	default:
		r.Outcome, r.Message = Pass, fmt.Sprintf("the slowest of %d answers took %.1fms, well within the first attempt's timeout (%v)", len(a.latency), slowest.DurationMS, first)
	}
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
		return Result{Outcome: Warn, Message: "the TLS check could not run: " + err.Error()}
	}
	var why []string
	for _, f := range rep.Reasons {
		why = append(why, f.Kind+": "+f.Message)
	}
	ev := Exchange{Sent: fmt.Sprintf("TLS ClientHellos: 4 protocol versions, %d listed suites", len(rep.Suites)), Method: "TLS",
		Error: fmt.Sprintf("%d of %d listed suites accepted", len(rep.AcceptedSuites), len(rep.Suites))}
	if rep.Accepted() {
		return Result{Outcome: Pass, Message: "the platform's TLS policy would accept the endpoint", Evidence: []Exchange{ev}}
	}
	return Result{Outcome: Fail, Message: "the platform's TLS policy would refuse the endpoint: " + strings.Join(why, "; "), Evidence: []Exchange{ev}}
}

func hexValue(c byte) int {
	if c >= 'a' {
		return int(c-'a') + 10
	}
	return int(c - '0')
}
