package senml

import (
	"bytes"
	"encoding/json"
	"io"
)

// The layouts Layout tells apart.
const (
	LayoutLegacy = "legacy" // the first record holds the base name (and time) alone
	LayoutMerged = "merged" // the first record holds them beside its measurement
	LayoutOther  = "other"  // not a pack in the platform's shape
)

// platformMembers are the members the platform writes.
var platformMembers = map[string]bool{"bn": true, "bt": true, "n": true, "u": true, "v": true, "vs": true, "vb": true, "vd": true, "t": true}

// Layout tells which of the platform's layouts a pack is in: LayoutLegacy, LayoutMerged, or
// LayoutOther when it is not in the platform's shape (an array of records holding only the
// members the platform writes, each once, bn and bt on the first record only, the first with bn).
func Layout(body []byte) string {
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return LayoutOther
	}
	layout := LayoutOther
	for i := 0; dec.More(); i++ {
		rec, err := members(dec)
		if err != nil {
			return LayoutOther
		}
		for k := range rec {
			if !platformMembers[k] || i > 0 && (k == "bn" || k == "bt") {
				return LayoutOther
			}
		}
		if i == 0 {
			if _, ok := rec["bn"]; !ok {
				return LayoutOther
			}
			layout = LayoutMerged
			if _, bt := rec["bt"]; len(rec) == 1 || len(rec) == 2 && bt {
				layout = LayoutLegacy
			}
		}
	}
	if _, err := dec.Token(); err != nil { // the closing bracket
		return LayoutOther
	}
	if _, err := dec.Token(); err != io.EOF {
		return LayoutOther // more after it
	}
	return layout
}
