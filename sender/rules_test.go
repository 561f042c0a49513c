package sender

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

const goodSecret = "Kp7#ThingsTestSecret:2024/abcXYZ!"

func validDestination() Destination {
	return Destination{
		Name:     "My Server",
		URL:      "https://example.com/thingsdata?x=1",
		Method:   "post",
		Headers:  []Header{{Name: "Test-header", Value: "Hello world"}},
		Secret:   NewSecret(goodSecret),
		PlugUUID: "fbc063cb-4dd4-41b3-917a-e2d1ea907f75",
	}
}

func TestCheckValid(t *testing.T) {
	for name, change := range map[string]func(*Destination){
		"as is":          func(d *Destination) {},
		"port 443":       func(d *Destination) { d.URL = "https://example.com:443/x" },
		"no path":        func(d *Destination) { d.URL = "https://example.com" },
		"GET":            func(d *Destination) { d.Method = "get" },
		"no method":      func(d *Destination) { d.Method = "" },
		"expected 204":   func(d *Destination) { d.ExpectedStatus = 204 },
		"no plug UUID":   func(d *Destination) { d.PlugUUID = "" },
		"basic":          func(d *Destination) { d.Auth = Auth{Method: AuthBasic, Username: "alice", Credential: NewSecret("pw")} },
		"bearer":         func(d *Destination) { d.Auth = Auth{Method: AuthBearer, Credential: NewSecret("tok")} },
		"x-api-key":      func(d *Destination) { d.Auth = Auth{Method: AuthAPIKey, Credential: NewSecret("k"), Header: "X-Key"} },
		"odd header ok":  func(d *Destination) { d.Headers = []Header{{Name: "X-A!#$%&'*+.^_`|~", Value: "v"}} },
		"non-ASCII name": func(d *Destination) { d.Name = "Mijn server ✓" },
	} {
		d := validDestination()
		change(&d)
		if _, err := d.Check(false); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestCheckRules: every rule, broken one at a time, with the field and words the message must hold,
// and whether --relax turns it into a warning.
func TestCheckRules(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*Destination)
		field  string
		words  string
		policy bool
	}{
		{"no name", func(d *Destination) { d.Name = " " }, "name", "required", false},
		{"no url", func(d *Destination) { d.URL = "" }, "url", "required", false},
		{"http", func(d *Destination) { d.URL = "http://example.com/x" }, "url", "https://, not http://", true},
		{"ftp", func(d *Destination) { d.URL = "ftp://example.com/x" }, "url", "not ftp://", false},
		{"no scheme", func(d *Destination) { d.URL = "example.com/x" }, "url", "no scheme", false},
		{"custom port", func(d *Destination) { d.URL = "https://example.com:8443/x" }, "url", "port 8443", true},
		{"userinfo", func(d *Destination) { d.URL = "https://bob:pw@example.com/x" }, "url", "user name or password", false},
		{"fragment", func(d *Destination) { d.URL = "https://example.com/x#frag" }, "url", "fragment", false},
		{"empty fragment", func(d *Destination) { d.URL = "https://example.com/x#" }, "url", "fragment", false},
		{"white space", func(d *Destination) { d.URL = "https://example.com/a b" }, "url", "white space", false},
		{"unparseable", func(d *Destination) { d.URL = "https://exa mple.com:x/" }, "url", "white space", false},
		{"bad port", func(d *Destination) { d.URL = "https://example.com:x/" }, "url", "not a URL", false},
		{"no host", func(d *Destination) { d.URL = "https:///x" }, "url", "no host", false},
		{"PUT", func(d *Destination) { d.Method = "PUT" }, "httpMethod", `GET or POST, not "PUT"`, false},
		{"empty header name", func(d *Destination) { d.Headers = []Header{{Name: "", Value: "v"}} }, "additionalHeaders", "empty", false},
		{"space in header name", func(d *Destination) { d.Headers = []Header{{Name: "Test header", Value: "v"}} }, "additionalHeaders.Test header", "Do not put white space characters in your header name!", false},
		{"non-token header", func(d *Destination) { d.Headers = []Header{{Name: "X(y)", Value: "v"}} }, "additionalHeaders.X(y)", "not a valid header name", false},
		{"CR in value", func(d *Destination) { d.Headers = []Header{{Name: "X", Value: "a\r\nInjected: 1"}} }, "additionalHeaders.X", "carriage return", false},
		{"NUL in value", func(d *Destination) { d.Headers = []Header{{Name: "X", Value: "a\x00"}} }, "additionalHeaders.X", "NUL", false},
		{"reserved Host", func(d *Destination) { d.Headers = []Header{{Name: "host", Value: "x"}} }, "additionalHeaders.host", "set by the platform", false},
		{"reserved token", func(d *Destination) { d.Headers = []Header{{Name: "things-message-token", Value: "x"}} }, "additionalHeaders.things-message-token", "set by the platform", false},
		{"reserved plug", func(d *Destination) { d.Headers = []Header{{Name: "Things-Plug-UUID", Value: "x"}} }, "additionalHeaders.Things-Plug-UUID", "set by the platform", false},
		{"reserved content type", func(d *Destination) { d.Headers = []Header{{Name: "Content-type", Value: "x"}} }, "additionalHeaders.Content-type", "set by the platform", false},
		{"reserved length", func(d *Destination) { d.Headers = []Header{{Name: "Content-Length", Value: "1"}} }, "additionalHeaders.Content-Length", "set by the platform", false},
		{"reserved TE", func(d *Destination) { d.Headers = []Header{{Name: "Transfer-Encoding", Value: "chunked"}} }, "additionalHeaders.Transfer-Encoding", "set by the platform", false},
		{"reserved connection", func(d *Destination) { d.Headers = []Header{{Name: "Connection", Value: "close"}} }, "additionalHeaders.Connection", "set by the platform", false},
		{"auth header", func(d *Destination) {
			d.Auth = Auth{Method: AuthBearer, Credential: NewSecret("t")}
			d.Headers = []Header{{Name: "authorization", Value: "x"}}
		}, "additionalHeaders.authorization", "authentication method", false},
		{"api key header", func(d *Destination) {
			d.Auth = Auth{Method: AuthAPIKey, Credential: NewSecret("t")}
			d.Headers = []Header{{Name: "x-api-key", Value: "x"}}
		}, "additionalHeaders.x-api-key", "authentication method", false},
		{"header twice", func(d *Destination) { d.Headers = []Header{{Name: "X-A", Value: "1"}, {Name: "x-a", Value: "2"}} }, "additionalHeaders.x-a", "twice", false},
		{"basic without user", func(d *Destination) { d.Auth = Auth{Method: AuthBasic, Credential: NewSecret("pw")} }, "authentication.username", "required", false},
		{"basic user colon", func(d *Destination) { d.Auth = Auth{Method: AuthBasic, Username: "a:b", Credential: NewSecret("pw")} }, "authentication.username", "colon", false},
		{"basic without password", func(d *Destination) { d.Auth = Auth{Method: AuthBasic, Username: "a"} }, "authentication.password", "required", false},
		{"bearer without token", func(d *Destination) { d.Auth = Auth{Method: AuthBearer} }, "authentication.token", "required", false},
		{"api key without key", func(d *Destination) { d.Auth = Auth{Method: AuthAPIKey} }, "authentication.apiKey", "required", false},
		{"api key bad header", func(d *Destination) { d.Auth = Auth{Method: AuthAPIKey, Credential: NewSecret("k"), Header: "X Key"} }, "authentication.header", "not a valid header name", false},
		{"credential newline", func(d *Destination) { d.Auth = Auth{Method: AuthBearer, Credential: NewSecret("a\nb")} }, "authentication", "line break", false},
		{"unknown auth", func(d *Destination) { d.Auth = Auth{Method: "oauth"} }, "authentication.method", "unknown", false},
		{"expected 302", func(d *Destination) { d.ExpectedStatus = 302 }, "expectedResponseCode", "2xx", false},
		{"expected 500", func(d *Destination) { d.ExpectedStatus = 500 }, "expectedResponseCode", "not 500", false},
		{"no secret", func(d *Destination) { d.Secret = Secret{} }, "sharedSecret", "required", false},
		{"short secret", func(d *Destination) { d.Secret = NewSecret("Ab1#short") }, "sharedSecret", "at least 32 characters long; it has 9", true},
		{"doc secret", func(d *Destination) { d.Secret = NewSecret("C03fajLBWj$nbvOnQlV9N49zVFEobV#") }, "sharedSecret", `has 31 characters: the platform's documentation says "at least 30" in one place and 32 in its table`, true},
		{"no upper", func(d *Destination) { d.Secret = NewSecret(strings.ToLower(goodSecret)) }, "sharedSecret", "an upper-case letter", true},
		{"no lower", func(d *Destination) { d.Secret = NewSecret(strings.ToUpper(goodSecret)) }, "sharedSecret", "a lower-case letter", true},
		{"no digit", func(d *Destination) { d.Secret = NewSecret("Kp#ThingsTestSecret:abcXYZ!abcdefgh") }, "sharedSecret", "a digit", true},
		{"no special", func(d *Destination) { d.Secret = NewSecret("Kp7ThingsTestSecret2024abcXYZabcd") }, "sharedSecret", "one of #?!@$%^&(){}:.,/+*;", true},
		{"bad plug", func(d *Destination) { d.PlugUUID = "plug-1" }, "plugUUID", `"plug-1" is not a UUID`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := validDestination()
			tc.change(&d)
			_, err := d.Check(false)
			re, ok := err.(*RuleError)
			if !ok {
				t.Fatalf("got %v, want a *RuleError", err)
			}
			if !hasViolation(re.Violations, tc.field, tc.words) {
				t.Fatalf("violations %v lack %s: ...%s...", re.Violations, tc.field, tc.words)
			}
			if strings.Contains(err.Error(), "Kp7#ThingsTest") || strings.Contains(err.Error(), "C03faj") {
				t.Fatalf("the secret leaked into %q", err)
			}
			warnings, err := d.Check(true)
			if tc.policy {
				if err != nil {
					t.Fatalf("relaxed: still an error: %v", err)
				}
				if !slices.ContainsFunc(warnings, func(v Violation) bool { return v.Field == tc.field && v.Policy }) {
					t.Fatalf("relaxed: warnings %v lack the rule", warnings)
				}
			} else if err == nil {
				t.Fatal("relaxed: a rule that keeps requests well-formed became a warning")
			}
		})
	}
}

func TestCheckReportsEveryViolation(t *testing.T) {
	d := Destination{URL: "http://example.com:8080/#x", Method: "PUT", Headers: []Header{{Name: "A B", Value: "v"}}, Secret: NewSecret("short")}
	_, err := d.Check(false)
	re := err.(*RuleError)
	for _, field := range []string{"name", "url", "httpMethod", "additionalHeaders.A B", "sharedSecret"} {
		if !hasViolation(re.Violations, field, "") {
			t.Errorf("no violation of %s in %v", field, re.Violations)
		}
	}
	if len(re.Violations) < 7 { // name, http, port, fragment, method, header, length, classes
		t.Errorf("only %d violations: %v", len(re.Violations), re.Violations)
	}
	if !strings.HasPrefix(err.Error(), "the destination breaks ") {
		t.Errorf("message %q", err)
	}
}

func TestCheckWarnings(t *testing.T) {
	for url, words := range map[string]string{
		"https://127.0.0.1/x":     "loopback",
		"https://localhost/x":     "loopback",
		"https://[::1]/x":         "loopback",
		"https://10.1.2.3/x":      "private",
		"https://192.168.1.1/x":   "private",
		"https://169.254.1.1/x":   "link-local",
		"https://intranet/x":      "single-label",
		"https://[fe80::1%25]/x":  "",
		"https://example.com/get": "",
	} {
		d := validDestination()
		d.URL = url
		warnings, err := d.Check(false)
		if words == "" {
			continue
		}
		if err != nil || !hasViolation(warnings, "url", words) {
			t.Errorf("%s: warnings %v, err %v; want %q", url, warnings, err, words)
		}
	}
	d := validDestination()
	d.Method = "GET"
	if w, _ := d.Check(false); !hasViolation(w, "httpMethod", "drop the body") || d.Method != "GET" {
		t.Errorf("GET: %v", w)
	}
}

func hasViolation(vs []Violation, field, words string) bool {
	for _, v := range vs {
		if v.Field == field && strings.Contains(v.Message, words) {
			return true
		}
	}
	return false
}

// TestURLPasswordNeverShown: a password in a URL's user information never reaches a message.
func TestURLPasswordNeverShown(t *testing.T) {
	for _, raw := range []string{
		"http://alice:pw123secret@example.com/x",
		"https://alice:pw123secret@exa mple.com/x",
		"ftp://alice:pw123secret@example.com/x",
		"https://alice:pw123secret@/x",
	} {
		d := validDestination()
		d.URL = raw
		warnings, err := d.Check(true)
		text := fmt.Sprint(err, warnings)
		if strings.Contains(text, "pw123secret") || !strings.Contains(text, "url") {
			t.Errorf("%s: %s", raw, text)
		}
	}
	if got := RedactURL("https://alice:pw@host:8443/p?q=a@b"); got != "https://alice:[redacted]@host:8443/p?q=a@b" {
		t.Errorf("RedactURL: %s", got)
	}
	if got := RedactURL("https://host/p?u=a:b@c"); got != "https://host/p?u=a:b@c" {
		t.Errorf("RedactURL of a query: %s", got)
	}
}

func TestNewSharedSecret(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 200; i++ {
		s, err := NewSharedSecret(MinSecretLength)
		if err != nil {
			t.Fatal(err)
		}
		v := s.Reveal()
		if len(v) != MinSecretLength || CheckSecret(s) != nil {
			t.Fatalf("%d characters, %v", len(v), CheckSecret(s))
		}
		if seen[v] {
			t.Fatal("the same secret twice")
		}
		seen[v] = true
	}
	if v := CheckSecret(NewSecret("short")); len(v) == 0 {
		t.Fatal("a short secret passes")
	}
}
