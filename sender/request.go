package sender

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
)

// ContentTypeHeader is spelled as the platform's request template spells it.
const ContentTypeHeader = "Content-type"

// Request is one message ready to go: the exact body and the headers in the order and spelling
// they go on the wire. Host and Content-Length are written by the transport from URL and Body.
type Request struct {
	Method string
	URL    *url.URL
	Header []Header
	Body   []byte
	Token  string
	// target is URL's text when the template made the request: made once, not once a message.
	target string
}

// uri returns the request's URL as text.
func (r *Request) uri() string {
	if r.target != "" {
		return r.target
	}
	return r.URL.String()
}

// Template builds the requests of one destination. It is made once; each message then only adds
// its token.
type Template struct {
	method  string
	url     *url.URL
	target  string // url's text
	secret  Secret
	before  []Header // Things-Plug-UUID
	after   []Header // Content-type, additional headers, auth, User-Agent
	authKey string   // the auth header's name, for redaction
	// credentials are the values Scrub hides: the shared secret and the auth credential, as
	// given and as they go on the wire.
	credentials [][]byte
	plug        string
}

// PlugUUID returns the plug UUID the requests carry.
func (t *Template) PlugUUID() string { return t.plug }

// NewTemplate prepares a checked destination's requests. userAgent may be empty.
func NewTemplate(d *Destination, userAgent string) (*Template, error) {
	if d.PlugUUID == "" {
		return nil, fmt.Errorf("destination %q has no plug UUID", d.Name)
	}
	u, err := url.Parse(d.URL)
	if err != nil {
		return nil, fmt.Errorf("destination url: %w", unwrapURLError(err))
	}
	if u.Path == "" {
		u.Path = "/"
	}
	t := &Template{method: d.HTTPMethod(), url: u, target: u.String(), secret: d.Secret, authKey: d.Auth.headerName(), plug: d.PlugUUID}
	t.credentials = credentialsOf(d)
	t.before = []Header{{Name: PlugHeader, Value: d.PlugUUID}}
	t.after = append(t.after, Header{Name: ContentTypeHeader, Value: "application/json"})
	t.after = append(t.after, d.Headers...)
	switch d.Auth.Method {
	case AuthBasic:
		cred := base64.StdEncoding.EncodeToString([]byte(d.Auth.Username + ":" + d.Auth.Credential.Reveal()))
		t.after = append(t.after, Header{Name: "Authorization", Value: "Basic " + cred})
	case AuthBearer:
		t.after = append(t.after, Header{Name: "Authorization", Value: "Bearer " + d.Auth.Credential.Reveal()})
	case AuthAPIKey:
		t.after = append(t.after, Header{Name: t.authKey, Value: d.Auth.Credential.Reveal()})
	}
	if userAgent != "" {
		t.after = append(t.after, Header{Name: "User-Agent", Value: userAgent})
	}
	return t, nil
}

// URL returns the destination's URL, with "/" for an empty path.
func (t *Template) URL() *url.URL { return t.url }

// New signs body and returns its request. The body is used as it is, never copied or re-encoded.
func (t *Template) New(body []byte) *Request {
	return t.Build(body, Overrides{})
}

// WithToken returns body's request carrying the given token as it is (to replay a captured token
// or to send a wrong one on purpose).
func (t *Template) WithToken(body []byte, token string) *Request {
	return t.Build(body, Overrides{Token: token, KeepToken: true})
}

// Overrides change what a request carries, for replays of captured messages and for probes.
// The zero value changes nothing.
type Overrides struct {
	// KeepToken sends Token as it is instead of signing the body; an empty Token then sends no
	// Things-Message-Token header at all.
	KeepToken bool
	Token     string
	// PlugUUID replaces the destination's plug UUID when not empty.
	PlugUUID string
	// Extra headers go after the destination's additional headers.
	Extra []Header
}

// Build returns body's request with the overrides applied.
func (t *Template) Build(body []byte, o Overrides) *Request {
	token := o.Token
	if !o.KeepToken {
		token = Sign(body, t.secret)
	}
	h := make([]Header, 0, len(t.before)+1+len(t.after)+len(o.Extra))
	h = append(h, t.before...)
	if o.PlugUUID != "" {
		h[0].Value = o.PlugUUID
	}
	if token != "" || !o.KeepToken {
		h = append(h, Header{Name: TokenHeader, Value: token})
	}
	h = append(h, t.after...)
	h = append(h, o.Extra...)
	return &Request{Method: t.method, URL: t.url, Header: h, Body: body, Token: token, target: t.target}
}

// Redacted returns the request's headers with credentials replaced by [redacted], in wire order,
// for dry runs, dead letters and reports.
func (t *Template) Redacted(r *Request) []Header {
	out := make([]Header, len(r.Header))
	for i, h := range r.Header {
		if t.authKey != "" && strings.EqualFold(h.Name, t.authKey) {
			h.Value = redactCredential(h.Value)
		}
		out[i] = h
	}
	return out
}

// redactCredential keeps an auth scheme's name ("Basic", "Bearer") and hides the rest.
func redactCredential(v string) string {
	if scheme, _, ok := strings.Cut(v, " "); ok && (scheme == "Basic" || scheme == "Bearer") {
		return scheme + " " + redacted
	}
	return redacted
}

// Dump writes the request as HTTP/1.1 text, as the platform's documentation shows it, with
// credentials redacted: what --dry-run prints. Lines end in "\n" for reading; the body follows
// the blank line byte for byte.
func (t *Template) Dump(r *Request) []byte {
	var b strings.Builder
	target := r.URL.RequestURI()
	fmt.Fprintf(&b, "%s %s HTTP/1.1\nHost: %s\n", r.Method, target, r.URL.Host)
	for _, h := range t.Redacted(r) {
		fmt.Fprintf(&b, "%s: %s\n", h.Name, h.Value)
	}
	fmt.Fprintf(&b, "Content-Length: %d\n\n", len(r.Body))
	b.Write(r.Body)
	return []byte(b.String())
}

// minScrubbed is the shortest credential Scrub looks for: shorter ones would hide ordinary text.
const minScrubbed = 4

func credentialsOf(d *Destination) [][]byte {
	var out [][]byte
	add := func(v string) {
		if len(v) >= minScrubbed {
			out = append(out, []byte(v))
		}
	}
	add(d.Secret.Reveal())
	if d.Auth.Method != "" && d.Auth.Method != AuthNone {
		add(d.Auth.Credential.Reveal())
	}
	if d.Auth.Method == AuthBasic {
		add(base64.StdEncoding.EncodeToString([]byte(d.Auth.Username + ":" + d.Auth.Credential.Reveal())))
	}
	return out
}

// Scrub returns b with every credential of the destination replaced by [redacted]: what an
// endpoint echoes back in an answer must not reach output, logs or reports. b is returned as it
// is when it holds none.
func (t *Template) Scrub(b []byte) []byte {
	for _, c := range t.credentials {
		if bytes.Contains(b, c) {
			b = bytes.ReplaceAll(b, c, []byte(redacted))
		}
	}
	return b
}
