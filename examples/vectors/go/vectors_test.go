// Package vectors runs thingsim's test vectors against a receiver with go test:
//
//	thingsim vectors --out things-vectors.json
//	THINGS_SECRET=<the file's secret> go run . &
//	RECEIVER_URL=http://127.0.0.1:8080 VECTORS=things-vectors.json go test
//
// Without RECEIVER_URL it skips.
package vectors

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"testing"
)

type vectorFile struct {
	Cases []struct {
		Name    string `json:"name"`
		Method  string `json:"method"`
		Path    string `json:"path"`
		Headers []struct {
			Name  string `json:"name"`
			Value string `json:"value"`
		} `json:"headers"`
		BodyBase64 string `json:"body_base64"`
		Expect     string `json:"expect"`
		Why        string `json:"why"`
	} `json:"cases"`
}

func TestVectors(t *testing.T) {
	base := os.Getenv("RECEIVER_URL")
	if base == "" {
		t.Skip("RECEIVER_URL names the receiver under test")
	}
	b, err := os.ReadFile(os.Getenv("VECTORS"))
	if err != nil {
		t.Fatal(err)
	}
	var v vectorFile
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	for _, c := range v.Cases {
		t.Run(c.Name, func(t *testing.T) {
			body, _ := base64.StdEncoding.DecodeString(c.BodyBase64) // the exact bytes
			req, _ := http.NewRequest(c.Method, base+c.Path, bytes.NewReader(body))
			for _, h := range c.Headers {
				req.Header.Set(h.Name, h.Value)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			got := "refuse"
			if resp.StatusCode/100 == 2 {
				got = "accept"
			}
			if got != c.Expect {
				t.Errorf("%s (answered %d)", c.Why, resp.StatusCode)
			}
		})
	}
}
