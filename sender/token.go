package sender

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strings"
	"sync"
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

// AppendToken appends body's token to dst. It hashes body and secret in one call over a pooled
// buffer, so that the hot path allocates nothing.
func AppendToken(dst, body []byte, secret Secret) []byte {
	bp := hashBuffers.Get().(*[]byte)
	buf := append(append((*bp)[:0], body...), secret.value...)
	sum := sha256.Sum256(buf)
	if cap(buf) <= 64<<10 { // keep ordinary buffers, not a rare huge one
		*bp = buf
		hashBuffers.Put(bp)
	}
	return hex.AppendEncode(dst, sum[:])
}

var hashBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// Verify reports whether token is body's token under secret, in constant time. Upper-case hex is
// accepted; surrounding white space is not.
func Verify(body []byte, secret Secret, token string) bool {
	want := AppendToken(make([]byte, 0, 64), body, secret)
	got := []byte(strings.ToLower(token))
	return subtle.ConstantTimeCompare(want, got) == 1
}
