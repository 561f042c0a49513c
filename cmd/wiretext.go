package cmd

import (
	"strconv"
	"unicode"
)

// wireText makes text that came from outside (a device name from a body, a request target, a
// header a server sent) safe to print on one line: as it is when every character is graphic,
// otherwise quoted with Go's escapes, so that a newline or an ESC sequence cannot forge or hide a
// line of thingsim's output.
func wireText(s string) string {
	for _, r := range s {
		if !unicode.IsGraphic(r) || r == unicode.ReplacementChar {
			return strconv.QuoteToGraphic(s)
		}
	}
	return s
}
