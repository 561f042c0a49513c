package sender

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strings"
)

// TokenHeader and PlugHeader are spelled as the platform's request template spells them.
const (
	TokenHeader = "Things-Message-Token"
	PlugHeader  = "Things-Plug-UUID"
)

// Sign returns the Things-Message-Token of body: the lower-case hex of sha256(body || secret). It is
// a plain hash of the concatenation, not an HMAC, over the exact bytes that go on the wire.
func Sign(body []byte, secret Secret) string {
	var buf [64]byte
	return string(AppendToken(buf[:0], body, secret))
}

// AppendToken appends body's token to dst without other allocations.
func AppendToken(dst, body []byte, secret Secret) []byte {
	h := sha256.New()
	h.Write(body)
	h.Write([]byte(secret.Reveal()))
	var sum [sha256.Size]byte
	return hex.AppendEncode(dst, h.Sum(sum[:0]))
}

// Verify reports whether token is body's token under secret, in constant time. Upper-case hex is
// accepted; surrounding white space is not.
func Verify(body []byte, secret Secret, token string) bool {
	want := AppendToken(make([]byte, 0, 64), body, secret)
	got := []byte(strings.ToLower(token))
	return subtle.ConstantTimeCompare(want, got) == 1
}
