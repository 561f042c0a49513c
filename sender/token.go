package sender

import "github.com/thingsim/thingsim/verify"

// TokenHeader and PlugHeader are spelled as the platform's request template spells them.
const (
	TokenHeader = verify.TokenHeader
	PlugHeader  = verify.PlugHeader
)

// Sign returns the Things-Message-Token of body: the lower-case hex of sha256(body || secret). It is
// a plain hash of the concatenation, not an HMAC, over the exact bytes that go on the wire.
func Sign(body []byte, secret Secret) string { return verify.Token(body, secret.Reveal()) }

// AppendToken appends body's token to dst, allocating nothing in the common case: the code of the
// verify package, which receivers import.
func AppendToken(dst, body []byte, secret Secret) []byte {
	return verify.AppendToken(dst, body, secret.Reveal())
}

// Verify reports whether token is body's token under secret, in constant time. Upper-case hex is
// accepted; surrounding white space is not.
func Verify(body []byte, secret Secret, token string) bool {
	return verify.Matches(body, token, secret.Reveal())
}
