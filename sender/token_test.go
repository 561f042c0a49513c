package sender

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"testing"
)

type tokenVector struct{ body, secret, token, source string }

func readTokenVectors(t testing.TB) []tokenVector {
	f, err := os.Open("../testdata/tokens.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var vs []tokenVector
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "#") || sc.Text() == "" {
			continue
		}
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) != 4 {
			t.Fatalf("bad vector line %q", sc.Text())
		}
		vs = append(vs, tokenVector{cols[0], cols[1], cols[2], cols[3]})
	}
	if len(vs) < 7 {
		t.Fatalf("read %d vectors", len(vs))
	}
	return vs
}

func TestTokenVectors(t *testing.T) {
	for _, v := range readTokenVectors(t) {
		secret := NewSecret(v.secret)
		if got := Sign([]byte(v.body), secret); got != v.token {
			t.Errorf("%s: got %s, want %s", v.source, got, v.token)
		}
		if !Verify([]byte(v.body), secret, v.token) {
			t.Errorf("%s: the vector's token does not verify", v.source)
		}
		if !Verify([]byte(v.body), secret, strings.ToUpper(v.token)) {
			t.Errorf("%s: the upper-case token does not verify", v.source)
		}
		if Verify([]byte(v.body+" "), secret, v.token) {
			t.Errorf("%s: a changed body verifies", v.source)
		}
		if Verify([]byte(v.body), NewSecret(v.secret+"x"), v.token) {
			t.Errorf("%s: another secret verifies", v.source)
		}
		if Verify([]byte(v.body), secret, " "+v.token) || Verify([]byte(v.body), secret, v.token[:63]) {
			t.Errorf("%s: a mangled token verifies", v.source)
		}
	}
}

func TestSecretNeverPrints(t *testing.T) {
	s := NewSecret("C03fajLBWj$nbvOnQlV9N49zVFEobV#")
	for _, out := range []string{s.String(), s.GoString(), fmt.Sprintf("%v %s %q %+v %#v %x", s, s, s, s, s, s)} {
		if strings.Contains(out, "C03faj") || strings.Contains(out, "433033") {
			t.Fatalf("secret leaked: %s", out)
		}
	}
	b, _ := s.MarshalJSON()
	if string(b) != `"[redacted]"` {
		t.Fatalf("JSON: %s", b)
	}
}

func TestSecretFile(t *testing.T) {
	dir := t.TempDir()
	for content, want := range map[string]string{"abc\n": "abc", "abc\r\n": "abc", "abc\n\n": "abc\n", " abc ": " abc ", "abc": "abc"} {
		p := dir + "/s"
		os.WriteFile(p, []byte(content), 0o600)
		s, err := ReadSecretFile(p)
		if err != nil || s.Reveal() != want {
			t.Errorf("%q: got %q, %v", content, s.Reveal(), err)
		}
	}
	_, err := ReadSecretFile(dir + "/missing")
	if err == nil || !strings.Contains(err.Error(), dir+"/missing: no such file") {
		t.Errorf("missing file: %v", err)
	}
}

func BenchmarkSign(b *testing.B) {
	body := []byte(`[{"bn":"urn:dev:DEVEUI:0000000000000000:","bt":1.58565075E9},{"n":"temperature","v":21.22,"u":"Celsius"}]`)
	secret := NewSecret("C03fajLBWj$nbvOnQlV9N49zVFEobV#")
	buf := make([]byte, 0, 64)
	for b.Loop() {
		buf = AppendToken(buf[:0], body, secret)
	}
}
