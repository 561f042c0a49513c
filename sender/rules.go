package sender

import (
	"crypto/rand"
	"fmt"
	"io"
	"math/big"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/thingsim/thingsim/internal/reach"
	"github.com/thingsim/thingsim/internal/record"
)

// Violation is one broken destination rule.
type Violation struct {
	Field   string `json:"field"`   // the platform's field name: url, sharedSecret, additionalHeaders.X-Foo
	Message string `json:"message"` // the rule and the offending value; never a secret
	// Policy marks the platform's policy rules (https, port 443, a reachable host, the secret's
	// strength), which Relax turns into warnings. The rest keep the request well-formed and safe.
	Policy bool `json:"policy"`
}

// String names the field and the rule.
func (v Violation) String() string {
	if v.Field == "" {
		return v.Message
	}
	return v.Field + ": " + v.Message
}

// RuleError lists every violation of a destination, so that a user can fix them all at once.
type RuleError struct {
	Violations []Violation
}

// Error lists the violations, one per line.
func (e *RuleError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "the destination breaks %d rule", len(e.Violations))
	if len(e.Violations) != 1 {
		b.WriteString("s")
	}
	for _, v := range e.Violations {
		b.WriteString("\n  ")
		b.WriteString(v.String())
	}
	return b.String()
}

// Minimum secret lengths: the documentation's table says 32, a later paragraph 30.
const (
	MinSecretLength    = 32
	DocSecretLength    = 30
	secretSpecialChars = "#?!@$%^&(){}:.,/+*;"
)

// Check applies the platform's destination rules. It returns the warnings (advice that does not
// stop a delivery) and a *RuleError with every violation, or nil. With relax, the platform's
// policy rules become warnings, for local and staging targets; it never turns off certificate
// verification. Check also normalises the method to upper case.
func (d *Destination) Check(relax bool) (warnings []Violation, err error) {
	c := checker{relax: relax}
	if strings.TrimSpace(d.Name) == "" {
		c.fail("name", "is required")
	}
	c.url(d.URL)
	switch m := strings.ToUpper(d.Method); m {
	case "", "POST":
	case "GET":
		c.warn("httpMethod", "GET carries the body as POST does (the platform's template shows one request for both), but many servers and proxies drop the body of a GET")
	default:
		c.fail("httpMethod", fmt.Sprintf("must be GET or POST, not %q", d.Method))
	}
	d.Method = d.HTTPMethod()
	c.headers(d.Headers, d.Auth.headerName())
	c.auth(d.Auth)
	if s := d.ExpectedStatus; s != 0 && (s < 200 || s > 299) {
		c.fail("expectedResponseCode", fmt.Sprintf("must be a 2xx code (200-299), not %d: the platform treats any other code as a failed delivery", s))
	}
	c.secret(d.Secret)
	if d.PlugUUID != "" {
		if _, err := uuid.Parse(d.PlugUUID); err != nil {
			c.fail("plugUUID", fmt.Sprintf("%q is not a UUID", d.PlugUUID))
		}
	}
	if len(c.errors) > 0 {
		return c.warnings, &RuleError{Violations: c.errors}
	}
	return c.warnings, nil
}

// CheckSecret applies the platform's rules for a shared secret alone: the violations, or nil.
func CheckSecret(s Secret) []Violation {
	c := checker{}
	c.secret(s)
	return c.errors
}

// NewSharedSecret draws a shared secret of n characters (at least MinSecretLength) that passes the
// platform's rules: letters of both cases, digits and the platform's special characters, at least
// one of each, from crypto/rand.
func NewSharedSecret(n int) (Secret, error) { return SharedSecretFrom(rand.Reader, n) }

// SharedSecretFrom draws a shared secret as NewSharedSecret does, from the random bytes of src: a
// seeded source gives the same secret every time, for test fixtures.
func SharedSecretFrom(src io.Reader, n int) (Secret, error) {
	n = max(n, MinSecretLength)
	const (
		upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		lower = "abcdefghijklmnopqrstuvwxyz"
		digit = "0123456789"
	)
	classes := []string{upper, lower, digit, secretSpecialChars}
	all := upper + lower + digit + secretSpecialChars
	b := make([]byte, n)
	for {
		for i := range b {
			set := all
			if i < len(classes) {
				set = classes[i] // one of each class, then shuffled in below
			}
			k, err := rand.Int(src, big.NewInt(int64(len(set))))
			if err != nil {
				return Secret{}, fmt.Errorf("drawing a secret: %w", err)
			}
			b[i] = set[k.Int64()]
		}
		for i := len(b) - 1; i > 0; i-- {
			k, err := rand.Int(src, big.NewInt(int64(i+1)))
			if err != nil {
				return Secret{}, fmt.Errorf("drawing a secret: %w", err)
			}
			b[i], b[k.Int64()] = b[k.Int64()], b[i]
		}
		if s := NewSecret(string(b)); CheckSecret(s) == nil {
			return s, nil
		}
	}
}

type checker struct {
	relax            bool
	errors, warnings []Violation
}

func (c *checker) fail(field, msg string) {
	c.errors = append(c.errors, Violation{Field: field, Message: msg})
}

func (c *checker) warn(field, msg string) {
	c.warnings = append(c.warnings, Violation{Field: field, Message: msg})
}

// policy records a violation of the platform's policy: an error, or a warning when relaxed.
func (c *checker) policy(field, msg string) {
	v := Violation{Field: field, Message: msg, Policy: true}
	if c.relax {
		c.warnings = append(c.warnings, v)
		return
	}
	c.errors = append(c.errors, v)
}

func (c *checker) url(raw string) {
	if raw == "" {
		c.fail("url", "is required")
		return
	}
	c.urlRules(raw, RedactURL(raw))
}

// RedactURL hides the password of a URL's user information ("https://alice:[redacted]@host"), so
// that a URL can be shown in a message; it works on text that is not a valid URL too.
func RedactURL(raw string) string { return record.RedactURL(raw) }

// urlRules checks the URL raw, naming it in messages as shown.
func (c *checker) urlRules(raw, shown string) {
	if i := strings.IndexFunc(raw, unicode.IsSpace); i >= 0 {
		c.fail("url", fmt.Sprintf("%q holds white space at byte %d; encode it as %%20", shown, i))
		return
	}
	if !strings.Contains(raw, "://") && !strings.HasPrefix(raw, "/") {
		// host:port/path parses as a scheme "host" or fails on the colon: neither helps.
		c.fail("url", fmt.Sprintf("%q has no scheme: write it as https://%s", shown, shown))
		return
	}
	u, err := url.Parse(raw)
	if err != nil {
		c.fail("url", fmt.Sprintf("%q is not a URL: %v", shown, RedactURL(unwrapURLError(err).Error())))
		return
	}
	switch u.Scheme {
	case "https":
	case "http":
		c.policy("url", fmt.Sprintf("must start with https://, not http:// (%s)", shown))
	case "":
		c.fail("url", fmt.Sprintf("%q has no scheme; it must start with https://", shown))
		return
	default:
		c.fail("url", fmt.Sprintf("must start with https://, not %s:// (%s)", u.Scheme, shown))
		return
	}
	if u.User != nil {
		c.fail("url", "must not hold a user name or password (user@host): use the authentication settings instead")
	}
	if u.Fragment != "" || strings.HasSuffix(raw, "#") {
		c.fail("url", fmt.Sprintf("must not hold a fragment (#%s): it is never sent", u.Fragment))
	}
	host := u.Hostname()
	if host == "" {
		c.fail("url", fmt.Sprintf("%q has no host", shown))
		return
	}
	if port := u.Port(); port != "" && !(port == "443" && u.Scheme == "https") && !(u.Scheme == "http" && port == "80") {
		c.policy("url", fmt.Sprintf("port %s: the platform supports only the default port 443", port))
	}
	if reason := Unreachable(host); reason != "" {
		c.warn("url", fmt.Sprintf("the host %s is %s: the platform cannot reach it", host, reason))
	}
}

// Unreachable says why the platform could not reach a host from the internet (loopback, a private
// or link-local address, a single-label name), or "" when it could.
func Unreachable(host string) string { return reach.Unreachable(host) }

// reservedHeaders are set by the platform itself; a destination may not set them.
var reservedHeaders = []string{"Host", "Content-Type", "Content-Length", "Transfer-Encoding", "Connection", PlugHeader, TokenHeader}

func (c *checker) headers(hs []Header, authHeader string) {
	seen := map[string]bool{}
	for _, h := range hs {
		field := "additionalHeaders." + h.Name
		switch {
		case h.Name == "":
			c.fail("additionalHeaders", "a header name is empty")
			continue
		case strings.IndexFunc(h.Name, unicode.IsSpace) >= 0:
			c.fail(field, fmt.Sprintf("Do not put white space characters in your header name! (%q)", h.Name))
			continue
		case !isToken(h.Name):
			c.fail(field, fmt.Sprintf("%q is not a valid header name: only letters, digits and !#$%%&'*+-.^_`|~ are allowed", h.Name))
			continue
		}
		lower := strings.ToLower(h.Name)
		for _, r := range reservedHeaders {
			if strings.EqualFold(h.Name, r) {
				c.fail(field, "is set by the platform itself and cannot be configured")
			}
		}
		if authHeader != "" && strings.EqualFold(h.Name, authHeader) {
			c.fail(field, "is set by the authentication method; configure it there")
		}
		if seen[lower] {
			c.fail(field, "is configured twice")
		}
		seen[lower] = true
		if i := strings.IndexAny(h.Value, "\r\n\x00"); i >= 0 {
			c.fail(field, fmt.Sprintf("the value holds a %s at byte %d, which would break the request", controlName(h.Value[i]), i))
		}
	}
}

func (c *checker) auth(a Auth) {
	switch a.Method {
	case "", AuthNone:
		return
	case AuthBasic:
		if a.Username == "" {
			c.fail("authentication.username", "is required for basic authentication")
		}
		if strings.Contains(a.Username, ":") {
			c.fail("authentication.username", fmt.Sprintf("%q holds a colon, which basic authentication cannot carry", a.Username))
		}
		if a.Credential.IsZero() {
			c.fail("authentication.password", "is required for basic authentication")
		}
	case AuthBearer:
		if a.Credential.IsZero() {
			c.fail("authentication.token", "is required for bearer authentication")
		}
	case AuthAPIKey:
		if a.Credential.IsZero() {
			c.fail("authentication.apiKey", "is required for x-api-key authentication")
		}
		if a.Header != "" && !isToken(a.Header) {
			c.fail("authentication.header", fmt.Sprintf("%q is not a valid header name", a.Header))
		}
	default:
		c.fail("authentication.method", fmt.Sprintf("unknown method %q (want none, basic, bearer or x-api-key)", a.Method))
		return
	}
	if v := a.Credential.Reveal(); strings.ContainsAny(v, "\r\n\x00") {
		c.fail("authentication", "the credential holds a line break or NUL, which would break the request")
	}
}

func (c *checker) secret(s Secret) {
	v := s.Reveal()
	if v == "" {
		c.fail("sharedSecret", "is required")
		return
	}
	if trimmed := strings.TrimRightFunc(v, unicode.IsSpace); len(trimmed) != len(v) {
		c.warn("sharedSecret", fmt.Sprintf("ends with %d white-space character(s), such as a line break of a pasted file: they are part of the secret, so the endpoint must hold them too", utf8.RuneCountInString(v[len(trimmed):])))
	}
	n := utf8.RuneCountInString(v)
	switch {
	case n < DocSecretLength:
		c.policy("sharedSecret", fmt.Sprintf("must be at least %d characters long; it has %d", MinSecretLength, n))
	case n < MinSecretLength:
		c.policy("sharedSecret", fmt.Sprintf("has %d characters: the platform's documentation says \"at least %d\" in one place and %d in its table; the table is the rule, so it must be at least %d", n, DocSecretLength, MinSecretLength, MinSecretLength))
	}
	var missing []string
	if !strings.ContainsFunc(v, unicode.IsUpper) {
		missing = append(missing, "an upper-case letter")
	}
	if !strings.ContainsFunc(v, unicode.IsLower) {
		missing = append(missing, "a lower-case letter")
	}
	if !strings.ContainsFunc(v, unicode.IsDigit) {
		missing = append(missing, "a digit")
	}
	if !strings.ContainsAny(v, secretSpecialChars) {
		missing = append(missing, "one of "+secretSpecialChars)
	}
	if len(missing) > 0 {
		c.policy("sharedSecret", "must contain at least "+strings.Join(missing, ", "))
	}
}

// isToken reports whether s is an RFC 9110 token, as a header name must be.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

func controlName(c byte) string {
	switch c {
	case '\r':
		return "carriage return"
	case '\n':
		return "line feed"
	}
	return "NUL"
}

// unwrapURLError drops url.Error's repetition of the URL.
func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}
