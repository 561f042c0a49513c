package verify

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestTokenVectors: the token of every case of testdata/tokens.tsv, the platform documentation's
// example among them.
func TestTokenVectors(t *testing.T) {
	f, err := os.Open("../testdata/tokens.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "#") || sc.Text() == "" {
			continue
		}
		fields := strings.Split(sc.Text(), "\t")
		if len(fields) < 3 {
			t.Fatalf("a line of %d fields: %q", len(fields), sc.Text())
		}
		body, secret, token := unescape(fields[0]), unescape(fields[1]), fields[2]
		if got := Token([]byte(body), secret); got != token {
			t.Errorf("case %d: token %s, want %s", n, got, token)
		}
		if err := Check([]byte(body), strings.ToUpper(token), secret); err != nil {
			t.Errorf("case %d: Check of the upper-case token: %v", n, err)
		}
		n++
	}
	if n < 3 {
		t.Fatalf("only %d vectors", n)
	}
}

// unescape reads the table's \n, \r, \t and \\ escapes.
func unescape(s string) string {
	return strings.NewReplacer(`\n`, "\n", `\r`, "\r", `\t`, "\t", `\\`, `\`).Replace(s)
}

func TestCheck(t *testing.T) {
	const secret, other = "Kp7#ThingsTestSecret:2024/abcXYZ!", "Zz9@AnotherSecret/2025:QRSxyz#"
	body := []byte(`[{"bn":"urn:dev:DEVEUI:0000000000000000:","bt":1.58565075E9},{"n":"temperature","v":21.22,"u":"Celsius"}]`)
	token := Token(body, secret)
	spaced := []byte(`[{"bn": "urn:dev:DEVEUI:0000000000000000:", "bt": 1.58565075E9}, {"n": "temperature", "v": 21.22, "u": "Celsius"}]`)
	for _, c := range []struct {
		name     string
		body     []byte
		token    string
		secrets  []string
		want     error
		nearMiss string
	}{
		{"the token", body, token, []string{secret}, nil, ""},
		{"upper-case hex", body, strings.ToUpper(token), []string{secret}, nil, ""},
		{"the second secret, while rotating", body, token, []string{other, secret}, nil, ""},
		{"no token", body, "", []string{secret}, ErrMissingToken, ""},
		{"63 digits", body, token[:63], []string{secret}, ErrMalformedToken, ""},
		{"not hex", body, "z" + token[1:], []string{secret}, ErrMalformedToken, ""},
		{"a space around it", body, " " + token[1:], []string{secret}, ErrMalformedToken, ""},
		{"no secret", body, token, nil, ErrNoSecret, ""},
		{"another secret", body, token, []string{other}, ErrMismatch, ""},
		{"a newline added on the way", append(append([]byte(nil), body...), '\n'), token, []string{secret}, ErrMismatch, "the body without its trailing newline"},
		{"a newline lost on the way", body, Token(append(append([]byte(nil), body...), '\n'), secret), []string{secret}, ErrMismatch, "the body with a trailing newline"},
		{"signed compact, arrived spaced", spaced, token, []string{secret}, ErrMismatch, "the body with its white space removed"},
		{"signed as encoding/json writes it", body, Token([]byte(`[{"bn":"urn:dev:DEVEUI:0000000000000000:","bt":1585650750},{"n":"temperature","u":"Celsius","v":21.22}]`), secret),
			[]string{secret}, ErrMismatch, "the body re-serialised (by Go's encoding/json; other JSON writers differ as much)"},
		{"a changed body", []byte(strings.Replace(string(body), "21.22", "99.99", 1)), token, []string{secret}, ErrMismatch, ""},
	} {
		err := Check(c.body, c.token, c.secrets...)
		if !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
			continue
		}
		var mm *MismatchError
		if errors.As(err, &mm) && mm.NearMiss != c.nearMiss {
			t.Errorf("%s: near miss %q, want %q", c.name, mm.NearMiss, c.nearMiss)
		}
		if err != nil && (strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), token)) {
			t.Errorf("%s: the error holds the secret or the expected token: %v", c.name, err)
		}
	}
}

// TestEveryDigitCounts: a token wrong in one digit, at any of its 64 places and to any other hex
// digit, is refused; so is one with its halves swapped.
func TestEveryDigitCounts(t *testing.T) {
	body := []byte(`[{"bn":"urn:dev:DEVEUI:0000000000000000:","bt":1.58565075E9}]`)
	const secret = "Kp7#ThingsTestSecret:2024/abcXYZ!"
	token := Token(body, secret)
	if err := Check(body, token, secret); err != nil {
		t.Fatalf("the token itself: %v", err)
	}
	const hexDigits = "0123456789abcdef"
	for i := range len(token) {
		for _, d := range hexDigits {
			if byte(d) == token[i] {
				continue
			}
			wrong := token[:i] + string(d) + token[i+1:]
			if Matches(body, wrong, secret) || !errors.Is(Check(body, wrong, secret), ErrMismatch) {
				t.Fatalf("digit %d changed to %c: accepted", i, d)
			}
		}
	}
	if swapped := token[32:] + token[:32]; Matches(body, swapped, secret) {
		t.Error("the halves swapped: accepted")
	}
}

// TestEmptySecretIsNone: an empty secret cannot check anything, so it is no secret, not a reason
// to call every token a mismatch.
func TestEmptySecretIsNone(t *testing.T) {
	body := []byte(`[]`)
	for _, secrets := range [][]string{nil, {""}, {"", ""}} {
		if err := Check(body, Token(body, "s"), secrets...); !errors.Is(err, ErrNoSecret) {
			t.Errorf("secrets %q: %v, want ErrNoSecret", secrets, err)
		}
	}
	if err := Check(body, Token(body, "s"), "", "s"); err != nil {
		t.Errorf("an empty secret beside the right one: %v", err)
	}
}

// TestNearMissBounded: past NearMissLimit a refusal looks only for a newline added or lost, so
// that a big forged body costs a hash, not a decode.
func TestNearMissBounded(t *testing.T) {
	const secret = "s"
	small := []byte(`[{"bn":"urn:dev:x:", "bt":1.7E9}]`)
	big := []byte(`[{"bn":"urn:dev:x:", "bt":1.7E9, "vs":"` + strings.Repeat("x", NearMissLimit) + `"}]`)
	for _, c := range []struct {
		body []byte
		want string
	}{
		{small, "the body with its white space removed"},
		{big, ""},
	} {
		var compact bytes.Buffer
		json.Compact(&compact, c.body)
		var mm *MismatchError
		if err := Check(c.body, Token(compact.Bytes(), secret), secret); !errors.As(err, &mm) || mm.NearMiss != c.want {
			t.Errorf("%d bytes: %v, want the near miss %q", len(c.body), err, c.want)
		}
	}
	var mm *MismatchError
	if err := Check(append(bytes.Clone(big), '\n'), Token(big, secret), secret); !errors.As(err, &mm) || mm.NearMiss != "the body without its trailing newline" {
		t.Errorf("a big body with a newline added: %v", err)
	}
}

// BenchmarkCheck: what a genuine request and a forged one cost the check, by body size.
func BenchmarkCheck(b *testing.B) {
	const secret = "Kp7#ThingsTestSecret:2024/abcXYZ!"
	for _, size := range []int{200, 1 << 20} {
		body := []byte(`[{"bn":"urn:dev:x:","bt":1.7E9},{"n":"payload","vs":"` + strings.Repeat("a", size) + `"}]`)
		token := Token(body, secret)
		forged := Token(body, "another")
		b.Run(fmt.Sprintf("genuine/%d", size), func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				Check(body, token, secret)
			}
		})
		b.Run(fmt.Sprintf("forged/%d", size), func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				Check(body, forged, secret)
			}
		})
	}
}

func TestCheckKnowing(t *testing.T) {
	body := []byte(`[{"bn":"urn:dev:x:","bt":1.7E9}]`)
	err := CheckKnowing(body, Token(body, "old"), []string{"new"}, []string{"other", "old"})
	var mm *MismatchError
	if !errors.As(err, &mm) || mm.NearMiss != "the body under another secret you know (other secret 2 of 2)" {
		t.Fatalf("signed with a retired secret: %v", err)
	}
	if err := CheckKnowing(body, Token(body, "new"), []string{"new"}, []string{"old"}); err != nil {
		t.Fatalf("the right secret: %v", err)
	}
}

func TestMatchesAllocatesNothing(t *testing.T) {
	body := []byte(`[{"bn":"urn:dev:x:","bt":1.7E9}]`)
	token := Token(body, "s")
	if n := testing.AllocsPerRun(100, func() { Matches(body, token, "s") }); n != 0 {
		t.Errorf("Matches allocates %v times", n)
	}
}

func FuzzCheck(f *testing.F) {
	f.Add([]byte(`[{"bn":"urn:dev:x:","bt":1.7E9}]`), "Kp7#ThingsTestSecret:2024/abcXYZ!", "")
	f.Add([]byte("[]\n"), "s", "00")
	f.Fuzz(func(t *testing.T, body []byte, secret, token string) {
		// Any input gives one of the documented answers, never a panic.
		err := Check(body, token, secret)
		if err != nil && !errors.Is(err, ErrMissingToken) && !errors.Is(err, ErrMalformedToken) && !errors.Is(err, ErrMismatch) && !errors.Is(err, ErrNoSecret) {
			t.Fatalf("an undocumented error: %v", err)
		}
		if secret != "" {
			if err := Check(body, Token(body, secret), secret); err != nil {
				t.Fatalf("the body's own token is refused: %v", err)
			}
		}
	})
}

func TestSecretNeverPrints(t *testing.T) {
	s := NewSecret("Kp7#ThingsTestSecret:2024/abcXYZ!")
	j, _ := s.MarshalJSON()
	x, _ := s.MarshalText()
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%v %s %q %#v %x %d", s, s, s, s, s, s), s.String(), s.GoString(), string(j), string(x)} {
		if strings.Contains(out, "Kp7") || strings.Contains(out, "4b7037") {
			t.Errorf("the secret prints: %s", out)
		}
	}
	if s.Reveal() != "Kp7#ThingsTestSecret:2024/abcXYZ!" || s.IsZero() || !NewSecret("").IsZero() {
		t.Error("Reveal or IsZero")
	}
}
