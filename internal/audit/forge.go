package audit

import "github.com/thingsim/thingsim/verify"

// The forgeries audit sends, and thingsim vectors writes for a receiver's own tests: one catalogue,
// so that the vectors a receiver's unit tests use are the probes audit sends.

// WrongToken returns body's token under secret with its last hex digit changed: well-formed, and
// wrong only at its end, where a comparison of a prefix would not look.
func WrongToken(body []byte, secret string) string {
	token := []byte(verify.Token(body, secret))
	token[len(token)-1] = "1032547698badcfe"[hexValue(token[len(token)-1])] // flip the last bit
	return string(token)
}

// OtherSecretToken returns body's token under another secret than secret: what a sender that
// holds another destination's secret, or an old one, would send.
func OtherSecretToken(body []byte, secret string) string {
	return verify.Token(body, secret+"-other")
}

// Tamper returns body with its last number changed to one that means another value, and the
// number before and after; ok is false when body is not JSON or holds no number to change.
func Tamper(body []byte) (changed []byte, from, to string, ok bool) {
	tree, err := parseRaw(body)
	if err != nil {
		return nil, "", "", false
	}
	changed, from, to = tamper(body, tree)
	return changed, from, to, changed != nil
}
