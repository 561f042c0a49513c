package senmlgen

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ParseMeasure reads a record from NAME=VALUE[:UNIT]. VALUE is a number ("v"), true or false
// ("vb"), a double-quoted string ("vs", quotes removed), or any other text ("vs"). The unit is what
// follows the last colon (after the closing quote of a quoted value), so an unquoted value holding
// a colon itself ends with one: clock=12:30: or clock="12:30".
func ParseMeasure(s string) (Record, error) {
	name, rest, ok := strings.Cut(s, "=")
	if !ok || name == "" {
		return Record{}, fmt.Errorf("measure %q: want NAME=VALUE[:UNIT]", s)
	}
	value, unit := rest, ""
	if strings.HasPrefix(rest, `"`) {
		// A quoted string ends at its closing quote; a unit may follow.
		if end := strings.LastIndexByte(rest, '"'); end > 0 {
			value = rest[:end+1]
			if after := rest[end+1:]; after != "" {
				if after[0] != ':' {
					return Record{}, fmt.Errorf("measure %q: want a colon and a unit after the quoted value", s)
				}
				unit = after[1:]
			}
		}
	} else if i := strings.LastIndexByte(rest, ':'); i >= 0 {
		value, unit = rest[:i], rest[i+1:]
	}
	r := Record{Name: name, Unit: unit}
	switch {
	case len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"':
		r.Kind, r.Text = StringValue, value[1:len(value)-1]
	case value == "true" || value == "false":
		r.Kind, r.Bool = BoolValue, value == "true"
	case value == "":
		return Record{}, fmt.Errorf("measure %q: the value is empty", s)
	default:
		if x, err := strconv.ParseFloat(value, 64); err == nil {
			if math.IsInf(x, 0) || math.IsNaN(x) {
				return Record{}, fmt.Errorf("measure %q: %s is not a number JSON can hold", s, value)
			}
			r.Kind, r.Number = NumberValue, x
		} else {
			r.Kind, r.Text = StringValue, value
		}
	}
	return r, nil
}

// ExactPack builds the pack of one device's given records at time t, in the given layout. Its
// records are written in the documentation's member order (DocOrder), so that
//
//	ExactPack("urn:dev:DEVEUI:0000000000000000:", time.Unix(1585650750, 0), Legacy, temperature=21.22:Celsius)
//
// is the HTTPS destination page's example body byte for byte.
func ExactPack(baseName string, t time.Time, layout Layout, records []Record) Pack {
	bt := float64(t.UnixMilli()) / 1000
	pack := make(Pack, 0, len(records)+1)
	if layout == Legacy {
		pack = append(pack, Record{BaseName: baseName, BaseTime: math.Floor(bt), HasBaseTime: true})
		return append(pack, records...)
	}
	pack = append(pack, records...)
	if len(pack) == 0 {
		pack = append(pack, Record{})
	}
	pack[0].BaseName, pack[0].BaseTime, pack[0].HasBaseTime = baseName, bt, true
	return pack
}
