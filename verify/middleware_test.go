package verify

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

func TestMiddleware(t *testing.T) {
	const secret = "Kp7#ThingsTestSecret:2024/abcXYZ!"
	const plug = "fbc063cb-4dd4-41b3-917a-e2d1ea907f75"
	var mu sync.Mutex
	var got []byte
	var gotPlug string
	var refused []error
	handler := Middleware(Config{
		Secrets: func(_ context.Context, p string) ([]string, error) {
			switch p {
			case plug:
				return []string{secret}, nil
			case "broken-store":
				return nil, errors.New("the secrets store is down")
			}
			return nil, nil
		},
		Others:  func(context.Context, string) []string { return []string{"Retired#Secret:2023/abcXYZ!"} },
		MaxBody: 1000,
		Refused: func(_ *http.Request, _ int, err error) { mu.Lock(); refused = append(refused, err); mu.Unlock() },
	}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		p, _ := PlugUUID(r.Context())
		mu.Lock()
		got, gotPlug = b, p
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	srv := httptest.NewTLSServer(handler)
	defer srv.Close()

	body := []byte(`[{"bn":"urn:dev:DEVEUI:0000000000000000:","bt":1.58565075E9},{"n":"temperature","v":21.22,"u":"Celsius"}]`)
	token := Token(body, secret)
	send := func(body []byte, headers map[string]string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/things", bytes.NewReader(body))
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, c := range []struct {
		name    string
		body    []byte
		headers map[string]string
		status  int
	}{
		{"a valid request", body, map[string]string{TokenHeader: token, PlugHeader: plug}, http.StatusNoContent},
		{"no token", body, map[string]string{PlugHeader: plug}, http.StatusUnauthorized},
		{"a malformed token", body, map[string]string{TokenHeader: "abc", PlugHeader: plug}, http.StatusUnauthorized},
		{"a wrong token", body, map[string]string{TokenHeader: Token(body, "Retired#Secret:2023/abcXYZ!"), PlugHeader: plug}, http.StatusUnauthorized},
		{"a changed body", append(append([]byte(nil), body...), '\n'), map[string]string{TokenHeader: token, PlugHeader: plug}, http.StatusUnauthorized},
		{"an unknown plug UUID", body, map[string]string{TokenHeader: token, PlugHeader: "00000000-0000-0000-0000-000000000000"}, http.StatusForbidden},
		{"a store that fails", body, map[string]string{TokenHeader: token, PlugHeader: "broken-store"}, http.StatusInternalServerError},
		{"a body over the limit", bytes.Repeat([]byte("x"), 1001), map[string]string{TokenHeader: token, PlugHeader: plug}, http.StatusRequestEntityTooLarge},
	} {
		status, answer := send(c.body, c.headers)
		if status != c.status {
			t.Errorf("%s: %d %q, want %d", c.name, status, answer, c.status)
		}
		if strings.Contains(answer, secret) || strings.Contains(answer, token) {
			t.Errorf("%s: the answer holds the secret or the token: %q", c.name, answer)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if !bytes.Equal(got, body) || gotPlug != plug {
		t.Errorf("the handler got %q from plug %q, want the body as sent from %q", got, gotPlug, plug)
	}
	if len(refused) != 7 {
		t.Fatalf("Refused was told of %d requests, want 7", len(refused))
	}
	var mm *MismatchError
	if !errors.As(refused[2], &mm) || mm.NearMiss != "the body under another secret you know (other secret 1 of 1)" {
		t.Errorf("the retired secret's refusal: %v", refused[2])
	}
	if !errors.As(refused[3], &mm) || mm.NearMiss != "the body without its trailing newline" {
		t.Errorf("the changed body's refusal: %v", refused[3])
	}
}

func TestOneSecretAndSecretsByPlug(t *testing.T) {
	if s, err := OneSecret("a")(context.Background(), "any"); err != nil || len(s) != 1 || s[0] != "a" {
		t.Errorf("OneSecret: %v %v", s, err)
	}
	by := SecretsByPlug(map[string]string{"p": "b"})
	if s, _ := by(context.Background(), "p"); len(s) != 1 || s[0] != "b" {
		t.Errorf("SecretsByPlug p: %v", s)
	}
	if s, _ := by(context.Background(), "q"); len(s) != 0 {
		t.Errorf("SecretsByPlug q: %v", s)
	}
	if _, ok := PlugUUID(context.Background()); ok {
		t.Error("a context without a plug UUID has one")
	}
}

// TestEmptySecretConfigured: OneSecret("") is a receiver set up without its secret: every request
// is answered 500 with ErrNoSecret, not refused as if its token were wrong.
func TestEmptySecretConfigured(t *testing.T) {
	refused := make(chan error, 1)
	h := Middleware(Config{Secrets: OneSecret(""), Refused: func(_ *http.Request, _ int, err error) { refused <- err }},
		http.HandlerFunc(func(http.ResponseWriter, *http.Request) { t.Error("the request went through") }))
	srv := httptest.NewTLSServer(h)
	defer srv.Close()
	body := []byte(`[]`)
	r, _ := http.NewRequest("POST", srv.URL, bytes.NewReader(body))
	r.Header.Set(TokenHeader, Token(body, "s"))
	resp, err := srv.Client().Do(r)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := <-refused; resp.StatusCode != http.StatusInternalServerError || !errors.Is(got, ErrNoSecret) {
		t.Errorf("%d, %v: want 500 and ErrNoSecret", resp.StatusCode, got)
	}
}
