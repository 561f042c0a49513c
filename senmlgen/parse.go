package senmlgen

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Parse reads a pack in the shape the platform writes: an array of records whose members are only
// bn, bt, n, u, v, vs, vb, vd and t, each at most once, bn and bt on the first record only. It
// returns the pack, its layout (legacy when the first record holds bn and nothing but bt) and the
// format that writes it back: the member order of its first record with a unit. Encoding the pack
// in that format gives the bytes the platform would write for the same data; they equal body when
// body was written by the platform.
//
// Parse is strict because its packs are re-written: a member it does not know would be lost.
func Parse(body []byte) (Pack, Layout, Format, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	format := Format{Order: CaptureOrder}
	orderSeen := false
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return nil, Legacy, format, errors.New("not a JSON array of records")
	}
	var pack Pack
	for dec.More() {
		i := len(pack)
		var members []json.RawMessage
		var names []string
		if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
			return nil, Legacy, format, fmt.Errorf("record %d: not a JSON object", i)
		}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return nil, Legacy, format, fmt.Errorf("record %d: %v", i, err)
			}
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return nil, Legacy, format, fmt.Errorf("record %d: %v", i, err)
			}
			names, members = append(names, tok.(string)), append(members, raw)
		}
		if _, err := dec.Token(); err != nil {
			return nil, Legacy, format, fmt.Errorf("record %d: %v", i, err)
		}
		r, order, err := record(i, names, members)
		if err != nil {
			return nil, Legacy, format, err
		}
		if order >= 0 && !orderSeen {
			format.Order, orderSeen = MemberOrder(order), true
		}
		pack = append(pack, r)
	}
	if _, err := dec.Token(); err != nil {
		return nil, Legacy, format, fmt.Errorf("after record %d: %v", len(pack)-1, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, Legacy, format, errors.New("more after the pack's closing bracket")
	}
	if len(pack) == 0 || pack[0].BaseName == "" {
		return nil, Legacy, format, errors.New("the first record has no base name (bn)")
	}
	layout := Merged
	if pack[0].Name == "" && pack[0].Kind == NoValue && !pack[0].HasTime && pack[0].Unit == "" {
		layout = Legacy
	}
	return pack, layout, format, nil
}

// record reads one record's members. order is the MemberOrder its unit shows, -1 without a unit.
func record(i int, names []string, members []json.RawMessage) (Record, int, error) {
	var r Record
	order, valueAt, unitAt := -1, -1, -1
	seen := map[string]bool{}
	for k, name := range names {
		raw := members[k]
		if seen[name] {
			return r, order, fmt.Errorf("record %d: %q twice", i, name)
		}
		seen[name] = true
		var err error
		switch name {
		case "bn", "n", "u", "vs", "vd":
			var s string
			if err = json.Unmarshal(raw, &s); err != nil {
				return r, order, fmt.Errorf("record %d, %q: want a string", i, name)
			}
			switch name {
			case "bn":
				r.BaseName = s
			case "n":
				r.Name = s
			case "u":
				r.Unit, unitAt = s, k
			case "vs":
				r.Kind, r.Text, valueAt = StringValue, s, k
			case "vd":
				r.Kind, r.Text, valueAt = DataValue, s, k
			}
		case "bt", "t", "v":
			x, err := strconv.ParseFloat(string(raw), 64)
			if err != nil || raw[0] == '"' {
				return r, order, fmt.Errorf("record %d, %q: want a number", i, name)
			}
			switch name {
			case "bt":
				r.BaseTime, r.HasBaseTime = x, true
			case "t":
				r.Time, r.HasTime = x, true
			case "v":
				r.Kind, r.Number, valueAt = NumberValue, x, k
			}
		case "vb":
			if err = json.Unmarshal(raw, &r.Bool); err != nil {
				return r, order, fmt.Errorf("record %d, \"vb\": want true or false", i)
			}
			r.Kind, valueAt = BoolValue, k
		default:
			return r, order, fmt.Errorf("record %d: %q is not a member the platform writes", i, name)
		}
		if (name == "bn" || name == "bt") && i > 0 {
			return r, order, fmt.Errorf("record %d: %q after the first record", i, name)
		}
	}
	if valueAt >= 0 && unitAt >= 0 {
		order = int(CaptureOrder)
		if unitAt > valueAt {
			order = int(DocOrder)
		}
	}
	if n := len(valueMembers(seen)); n > 1 {
		return r, order, fmt.Errorf("record %d: %d value members", i, n)
	}
	if r.Kind == NoValue && (i > 0 || r.Name != "" || r.Unit != "" || r.HasTime) {
		return r, order, fmt.Errorf("record %d: no value (v, vs, vb or vd)", i)
	}
	return r, order, nil
}

func valueMembers(seen map[string]bool) []string {
	var out []string
	for _, m := range []string{"v", "vs", "vb", "vd"} {
		if seen[m] {
			out = append(out, m)
		}
	}
	return out
}

// Relayout returns the pack in the other layout, or a copy in the same one: the legacy layout
// puts bn and bt in a first record of their own, the merged layout on the first measurement.
// Values and times are kept as they are.
func Relayout(p Pack, to Layout) (Pack, error) {
	if len(p) == 0 {
		return nil, errors.New("an empty pack")
	}
	base := Record{BaseName: p[0].BaseName, BaseTime: p[0].BaseTime, HasBaseTime: p[0].HasBaseTime}
	measurements := append(Pack(nil), p...)
	if p[0].Name == "" && p[0].Kind == NoValue && !p[0].HasTime && p[0].Unit == "" {
		measurements = measurements[1:]
	} else {
		measurements[0].BaseName, measurements[0].BaseTime, measurements[0].HasBaseTime = "", 0, false
	}
	if to == Legacy {
		return append(Pack{base}, measurements...), nil
	}
	if len(measurements) == 0 {
		return nil, errors.New("a pack without measurements has no merged layout")
	}
	measurements[0].BaseName, measurements[0].BaseTime, measurements[0].HasBaseTime = base.BaseName, base.BaseTime, base.HasBaseTime
	return measurements, nil
}
