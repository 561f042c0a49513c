// Package verify checks the requests of the KPN Things platform's HTTPS destination in your own
// receiver: the Things-Message-Token header is hex(sha256(body || sharedSecret)), a plain hash of
// the body's bytes as they arrived followed by the destination's shared secret.
//
// # Why the raw body matters
//
// The token covers the exact bytes the platform sent. A receiver that parses the JSON and hashes
// what its own JSON library writes back (JSON.stringify, json.dumps, encoding/json, Jackson) hashes
// other bytes: the platform writes numbers as Java does (1.58565075E9, 3.0), which those libraries
// write otherwise, so the check fails on real traffic, or passes only while the bytes happen to
// agree. Hash the body before anything decodes it: Middleware does, and hands the same bytes on.
//
// Compare tokens in constant time (Check does): comparing with == tells an attacker, byte by byte,
// how much of a forged token is right.
//
// The package needs nothing beyond the standard library; thingsim signs with the same code.
package verify

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
)

// The platform's header names, spelled as its request template spells them. Go's net/http
// canonicalises header names, so r.Header.Get(TokenHeader) finds them however they arrive.
const (
	TokenHeader = "Things-Message-Token"
	PlugHeader  = "Things-Plug-UUID"
)

// Errors of Check, to tell apart with errors.Is. None of them holds a secret or the expected token.
var (
	ErrMissingToken   = errors.New("verify: the request has no Things-Message-Token")
	ErrMalformedToken = errors.New("verify: the Things-Message-Token is not 64 hex digits")
	ErrMismatch       = errors.New("verify: the Things-Message-Token does not match the body")
	ErrNoSecret       = errors.New("verify: no shared secret to check the token with")
)

// MismatchError is Check's error when the token is well-formed and does not match: errors.Is(err,
// ErrMismatch) holds. NearMiss, when not empty, names what the token does match, the likely cause,
// for your logs: never send it to the client, who could learn from it.
type MismatchError struct {
	NearMiss string
}

func (e *MismatchError) Error() string {
	if e.NearMiss == "" {
		return ErrMismatch.Error()
	}
	return ErrMismatch.Error() + " (it matches " + e.NearMiss + ")"
}

// Is makes errors.Is(err, ErrMismatch) hold.
func (e *MismatchError) Is(target error) bool { return target == ErrMismatch }

// Token returns the Things-Message-Token of body under secret: the lower-case hex of
// sha256(body || secret).
func Token(body []byte, secret string) string {
	var buf [64]byte
	return string(AppendToken(buf[:0], body, secret))
}

// AppendToken appends body's token under secret to dst, allocating nothing in the common case.
func AppendToken(dst, body []byte, secret string) []byte {
	bp := hashBuffers.Get().(*[]byte)
	buf := append(append((*bp)[:0], body...), secret...)
	sum := sha256.Sum256(buf)
	clear(buf[len(body):])  // the secret does not stay in a pooled buffer
	if cap(buf) <= 64<<10 { // keep ordinary buffers, not a rare huge one
		*bp = buf
		hashBuffers.Put(bp)
	}
	return hex.AppendEncode(dst, sum[:])
}

var hashBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// Matches reports whether token is body's token under secret, in constant time. Upper-case hex is
// accepted; anything else that is not the token is not.
func Matches(body []byte, token, secret string) bool {
	if len(token) != 64 {
		return false
	}
	var want, got [64]byte
	AppendToken(want[:0], body, secret)
	for i := 0; i < 64; i++ {
		c := token[i]
		if 'A' <= c && c <= 'F' {
			c += 'a' - 'A'
		}
		got[i] = c
	}
	return subtle.ConstantTimeCompare(want[:], got[:]) == 1
}

// Check checks token against body under each of secrets (more than one while a secret is being
// rotated), in constant time for each. It returns nil when one matches, and otherwise
// ErrMissingToken, ErrMalformedToken, ErrNoSecret or a *MismatchError.
func Check(body []byte, token string, secrets ...string) error {
	return CheckKnowing(body, token, secrets, nil)
}

// CheckKnowing is Check, with others: secrets that must not verify but that a sender may sign with
// by mistake, such as the one a rotation replaced or another destination's. A token that matches
// one of them is refused, and its MismatchError names which (by position: "other secret 2 of 3").
func CheckKnowing(body []byte, token string, secrets, others []string) error {
	switch {
	case token == "":
		return ErrMissingToken
	case !wellFormed(token):
		return ErrMalformedToken
	}
	some := false // an empty secret is none: it would refuse every request as a mismatch
	for _, s := range secrets {
		if s == "" {
			continue
		}
		some = true
		if Matches(body, token, s) {
			return nil
		}
	}
	if !some {
		return ErrNoSecret
	}
	for i, o := range others {
		if o != "" && Matches(body, token, o) {
			return &MismatchError{NearMiss: fmt.Sprintf("the body under another secret you know (other secret %d of %d)", i+1, len(others))}
		}
	}
	return &MismatchError{NearMiss: nearMiss(body, token, secrets)}
}

// wellFormed reports whether token is 64 hex digits, of either case.
func wellFormed(token string) bool {
	if len(token) != 64 {
		return false
	}
	for i := 0; i < len(token); i++ {
		c := token[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// NearMissLimit is the largest body whose refusal looks for a near miss beyond a trailing newline:
// decoding and writing back a body costs many hashes of it, and a forged request must not cost a
// receiver much more than a genuine one. The platform's packs are far smaller.
const NearMissLimit = 16 << 10

// nearMiss names the body a token matches when it does not match the body that arrived: the body
// with a trailing newline added or removed (echo adds one), or, up to NearMissLimit, the same data
// written by another JSON writer (a sender that signed before re-serialising, or a hand check that
// re-serialised). Past the limit it costs one hash of the body per secret.
func nearMiss(body []byte, token string, secrets []string) string {
	var candidates []nearBody
	add := func(what string, b []byte) {
		if !bytes.Equal(b, body) {
			candidates = append(candidates, nearBody{what, b})
		}
	}
	if trimmed := bytes.TrimRight(body, "\r\n"); len(trimmed) != len(body) {
		add("the body without its trailing newline", trimmed)
	} else {
		add("the body with a trailing newline", append(bytes.Clone(body), '\n'))
	}
	if len(body) > NearMissLimit {
		return firstMatch(candidates, token, secrets)
	}
	var compact bytes.Buffer
	if json.Compact(&compact, body) == nil {
		add("the body with its white space removed", compact.Bytes())
	}
	var v any
	if dec := json.NewDecoder(bytes.NewReader(body)); dec.Decode(&v) == nil {
		if b, err := json.Marshal(v); err == nil {
			add("the body re-serialised (by Go's encoding/json; other JSON writers differ as much)", b)
		}
	}
	return firstMatch(candidates, token, secrets)
}

// nearBody is a body a token may match instead of the one that arrived, and what it is.
type nearBody struct {
	what string
	body []byte
}

func firstMatch(candidates []nearBody, token string, secrets []string) string {
	for _, c := range candidates {
		for _, s := range secrets {
			if s != "" && Matches(c.body, token, s) {
				return c.what
			}
		}
	}
	return ""
}
