package cmd

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/thingsim/thingsim/internal/receiver"
	"github.com/thingsim/thingsim/report"
	"github.com/thingsim/thingsim/verify"
)

// TestVectors sends every case of the vectors file to two correct receivers, thingsim's reference
// endpoint and one built on verify.Middleware, and requires each to do what the case expects.
func TestVectors(t *testing.T) {
	ios, out, _ := testStreams()
	if code := Run(t.Context(), ios, []string{"vectors", "--seed", "3"}); code != 0 {
		t.Fatalf("exit %d", code)
	}
	var f report.Vectors
	if err := json.Unmarshal(out.Bytes(), &f); err != nil {
		t.Fatal(err)
	}
	again, _, _ := testStreams()
	Run(t.Context(), again, []string{"vectors", "--seed", "3"})
	if !bytes.Equal(out.Bytes(), again.Out.(*bytes.Buffer).Bytes()) {
		t.Error("the same seed wrote another file")
	}
	if len(f.Cases) < 15 {
		t.Fatalf("%d cases", len(f.Cases))
	}
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	for name, h := range map[string]http.Handler{
		"the reference endpoint": receiver.NewHandler(receiver.Config{Secrets: receiver.AnyPlug{Secret: verify.NewSecret(f.Secret)}}),
		"verify.Middleware":      verify.Middleware(verify.Config{Secrets: verify.SecretsByPlug(map[string]string{f.PlugUUID: f.Secret})}, ok),
	} {
		srv := httptest.NewTLSServer(h)
		accepted, refused := 0, 0
		for _, c := range f.Cases {
			body, err := base64.StdEncoding.DecodeString(c.BodyBase64)
			if err != nil || string(body) != c.Body {
				t.Fatalf("%s: body_base64 and body disagree", c.Name)
			}
			req, _ := http.NewRequest(c.Method, srv.URL+c.Path, bytes.NewReader(body))
			for _, hd := range c.Headers {
				req.Header.Set(hd.Name, hd.Value)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			got := map[bool]string{true: "accept", false: "refuse"}[resp.StatusCode/100 == 2]
			if got != c.Expect {
				t.Errorf("%s, %s: answered %d (%s), want %s", name, c.Name, resp.StatusCode, got, c.Expect)
			}
			if got == "accept" {
				accepted++
			} else {
				refused++
			}
		}
		srv.Close()
		if accepted < 10 || refused < 5 {
			t.Errorf("%s: %d accepted, %d refused", name, accepted, refused)
		}
	}
}
