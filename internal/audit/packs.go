package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/thingsim/thingsim/sender"
	"github.com/thingsim/thingsim/senmlgen"
)

// TemplateError is a template audit cannot derive probes from.
type TemplateError struct {
	Origin string
	Err    error
}

func (e *TemplateError) Error() string { return fmt.Sprintf("%s: %v", e.Origin, e.Err) }

// template is one pack the probes derive from, in each layout it can be written in.
type template struct {
	name  string
	own   senmlgen.Layout
	forms [2]*form  // by layout; nil where it cannot be written
	why   [2]string // why a layout has no form
	note  string    // what is to be said of the template's own bytes
}

// form is a template in one layout, and what became of it when sent.
type form struct {
	tmpl    *template
	layout  senmlgen.Layout
	what    string
	body    []byte
	verdict verdict
}

// loadTemplates prepares the templates: the user's, each as given in its own layout and re-laid
// out in the platform's bytes in the other, or a generated pack in both layouts.
func (a *auditor) loadTemplates() error {
	if len(a.cfg.Templates) == 0 {
		a.generated = true
		t := &template{name: "a generated pack", own: senmlgen.Legacy}
		for _, l := range []senmlgen.Layout{senmlgen.Legacy, senmlgen.Merged} {
			g, err := senmlgen.New(senmlgen.Config{Profile: senmlgen.Measurements, Layout: l, Numbers: a.cfg.Numbers, Seed: a.cfg.Seed, Now: a.cfg.Now})
			if err != nil {
				return err
			}
			t.forms[l] = &form{tmpl: t, layout: l, what: "a generated pack, " + l.String() + " layout", body: g.AppendNext(nil)}
		}
		a.templates = []*template{t}
		return nil
	}
	for i, tp := range a.cfg.Templates {
		var v any
		if err := json.Unmarshal(tp.Body, &v); err != nil {
			return &TemplateError{tp.Origin, fmt.Errorf("not JSON: %v", err)}
		}
		if _, ok := v.([]any); !ok {
			return &TemplateError{tp.Origin, fmt.Errorf("not a SenML pack: a JSON array of records")}
		}
		t := &template{name: "your pack"}
		if len(a.cfg.Templates) > 1 {
			t.name = fmt.Sprintf("your pack %d", i+1)
		}
		t.name += " (" + tp.Origin + ")"
		p, layout, format, err := senmlgen.Parse(tp.Body)
		if err != nil {
			t.own = guessLayout(tp.Body)
			t.why[1-t.own] = fmt.Sprintf("it cannot be re-laid out: %v", err)
			t.forms[t.own] = &form{tmpl: t, layout: t.own, what: t.name + ", " + t.own.String() + " layout, as given", body: tp.Body}
			a.templates = append(a.templates, t)
			continue
		}
		t.own = layout
		format.Numbers = a.cfg.Numbers
		t.forms[layout] = &form{tmpl: t, layout: layout, what: t.name + ", " + layout.String() + " layout, as given", body: tp.Body}
		if again, err := p.Encode(format); err == nil && !bytes.Equal(again, tp.Body) {
			t.note = "its bytes are not the platform's (the platform writes the same data as " + string(truncate(again, 80)) + "); sent as given"
		}
		other := 1 - layout
		if q, err := senmlgen.Relayout(p, other); err != nil {
			t.why[other] = fmt.Sprintf("it cannot be re-laid out: %v", err)
		} else if body, err := q.Encode(format); err != nil {
			t.why[other] = fmt.Sprintf("it cannot be re-laid out: %v", err)
		} else {
			t.forms[other] = &form{tmpl: t, layout: other, what: t.name + ", re-laid out in the " + other.String() + " layout", body: body}
		}
		a.templates = append(a.templates, t)
	}
	return nil
}

// guessLayout tells the layout of a pack Parse refused: legacy when its first record holds only
// bn and bt.
func guessLayout(body []byte) senmlgen.Layout {
	var pack []map[string]json.RawMessage
	if json.Unmarshal(body, &pack) == nil && len(pack) > 0 {
		first := pack[0]
		if _, ok := first["bn"]; ok && len(first) <= 2 {
			if _, ok := first["bt"]; ok || len(first) == 1 {
				return senmlgen.Legacy
			}
		}
	}
	return senmlgen.Merged
}

func truncate(b []byte, n int) []byte {
	if len(b) <= n {
		return b
	}
	return append(append([]byte(nil), b[:n]...), "…"...)
}

// baseline sends every template in every layout, once per audit, diagnosing the refused ones:
// the valid checks report it, and the other checks derive from the first pack accepted.
func (a *auditor) baseline(ctx context.Context) {
	if a.based {
		return
	}
	a.based = true
	type sent struct {
		f   *form
		e   Exchange
		res *sender.Result
	}
	var all []sent
	for _, t := range a.templates {
		for _, l := range []senmlgen.Layout{t.own, 1 - t.own} {
			if f := t.forms[l]; f != nil {
				e, res := a.send(ctx, f.what, a.signed(f.body), true)
				if accepted(res) {
					// Asked at once, before the other layout of the same device and time is sent.
					f.verdict = a.confirm(ctx, "valid-"+l.String(), f.body, verdict{evidence: []Exchange{e}, res: res})
				}
				all = append(all, sent{f, e, res})
				if a.base == nil && accepted(res) {
					a.base = f
				}
			}
		}
	}
	a.learnTokenRefusal(ctx)
	secretLike := true
	for _, s := range all {
		stored := s.f.verdict
		s.f.verdict = a.judge(ctx, s.f.what, s.f.body, s.e, s.res, false)
		if stored.cause == CauseNotStored {
			s.f.verdict.cause, s.f.verdict.why = stored.cause, stored.why
		}
		secretLike = secretLike && s.f.verdict.secretLike && sameAnswer(s.e, all[0].e)
	}
	if a.base == nil && a.rescued != nil {
		// The platform's bytes were refused, the same data as a JSON library writes it accepted:
		// the other checks can still test the token check on what the endpoint does accept.
		a.base = a.rescued
		a.learnTokenRefusal(ctx)
	}
	if a.base != nil || len(all) == 0 {
		return
	}
	// Nothing was accepted: every other shape audit sends, each once, until one is.
	tried := map[string]bool{}
	for _, s := range all {
		tried[string(s.f.body)] = true
	}
	for _, p := range senmlgen.ProfileNames() {
		for _, l := range []senmlgen.Layout{senmlgen.Legacy, senmlgen.Merged} {
			g, err := senmlgen.New(senmlgen.Config{Profile: senmlgen.Profile(p), Layout: l, Numbers: a.cfg.Numbers, Seed: a.cfg.Seed, Now: a.cfg.Now})
			if err != nil {
				panic(err) // the profiles are the package's own
			}
			body := g.AppendNext(nil)
			if tried[string(body)] {
				continue
			}
			tried[string(body)] = true
			f := &form{what: "a valid " + p + " pack, " + l.String() + " layout", layout: l, body: body}
			e, res := a.send(ctx, f.what+" (looking for a pack the endpoint accepts)", a.signed(body), false)
			if accepted(res) {
				f.verdict = verdict{evidence: []Exchange{e}, res: res}
				a.base, a.found = f, true
				a.learnTokenRefusal(ctx)
				return
			}
			secretLike = secretLike && sameAnswer(e, all[0].e)
			if ctx.Err() != nil {
				return
			}
		}
	}
	a.secretMismatch = secretLike
}

// usedPack says which pack a forged probe was derived from, when audit had to look for it.
func (a *auditor) usedPack() string {
	if !a.found {
		return ""
	}
	return fmt.Sprintf(" (tested on %s, the first shape the endpoint accepted)", a.base.what)
}

// learnTokenRefusal sends the accepted pack with a wrong token, to learn how the endpoint
// refuses one.
func (a *auditor) learnTokenRefusal(ctx context.Context) {
	if a.base == nil {
		return
	}
	e, res := a.send(ctx, a.base.what+", with a wrong token (how the endpoint refuses one)", a.withToken(a.base.body, a.wrongToken(a.base.body)), false)
	a.reference, a.tokenRefusal = e, res.Status()
}

// appendRecord returns body with one more record at its end; the rest of its bytes are kept.
func appendRecord(body []byte, record string) []byte {
	end := bytes.LastIndexByte(body, ']')
	out := append([]byte(nil), body[:end]...)
	if t := bytes.TrimSpace(out); len(t) > 0 && t[len(t)-1] != '[' {
		out = append(out, ',')
	}
	return append(append(out, record...), body[end:]...)
}

// splice returns body with the n bytes at off replaced.
func splice(body []byte, off, n int, with string) []byte {
	out := append([]byte(nil), body[:off]...)
	return append(append(out, with...), body[off+n:]...)
}

// escapeBaseName returns body with the first letter of its base name written as a \u escape,
// which the platform never writes; nil when it has none.
func escapeBaseName(body []byte, tree *node) []byte {
	if tree.kind != '[' || len(tree.vals) == 0 || tree.vals[0].kind != '{' {
		return nil
	}
	bn := tree.vals[0].member("bn")
	if bn == nil || bn.kind != '"' || len(bn.raw) < 3 || bn.raw[1] == '\\' || bn.raw[1] >= 0x80 {
		return nil
	}
	return splice(body, bn.off+1, 1, fmt.Sprintf(`\u%04x`, bn.raw[1]))
}

// tamper returns body with its last number changed to one that means another value: the last
// digit of its mantissa raised by one, or, where that parses to the same double (a 17-digit value
// such as 21.500000000000004), the digit before it, and so on. It returns the number before and
// after, or nil when no number can be changed so.
func tamper(body []byte, tree *node) (changed []byte, from, to string) {
	var numbers []*node
	var walk func(n *node)
	walk = func(n *node) {
		if n.kind == '0' && bytes.ContainsAny(n.raw, "0123456789") {
			numbers = append(numbers, n)
		}
		for _, v := range n.vals {
			walk(v)
		}
	}
	walk(tree)
	for k := len(numbers) - 1; k >= 0; k-- {
		n := numbers[k]
		old, err := strconv.ParseFloat(string(n.raw), 64)
		if err != nil {
			continue
		}
		mantissa := n.raw
		if e := bytes.IndexAny(mantissa, "eE"); e >= 0 {
			mantissa = mantissa[:e]
		}
		for i := len(mantissa) - 1; i >= 0; i-- {
			if mantissa[i] < '0' || mantissa[i] > '9' {
				continue
			}
			raw := append([]byte(nil), n.raw...)
			raw[i] = '0' + (raw[i]-'0'+1)%10
			if v, err := strconv.ParseFloat(string(raw), 64); err == nil && v != old {
				return splice(body, n.off, len(n.raw), string(raw)), string(n.raw), string(raw)
			}
		}
	}
	return nil, "", ""
}
