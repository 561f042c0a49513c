// Command receiver is a minimal correct receiver of a KPN Things HTTPS destination in Go: the
// verify package checks the token over the raw body bytes, in constant time, before the handler
// sees the data, and the senml package resolves the pack, in either of the platform's layouts.
// (By hand the token is sha256(body || sharedSecret) in hex, compared with
// crypto/subtle.ConstantTimeCompare: see the verify package's source.)
package main

import (
	"io"
	"log"
	"net/http"
	"os"

	"github.com/thingsim/thingsim/senml"
	"github.com/thingsim/thingsim/verify"
)

func newHandler(secret string) http.Handler {
	things := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body) // the exact bytes the token was checked over
		measurements, err := senml.Decode(body)
		if err != nil {
			http.Error(w, "not a SenML pack: "+err.Error(), http.StatusBadRequest)
			return
		}
		for _, m := range measurements {
			_ = m // m.Device, m.Name, m.Unit, m.Number (or m.Text, m.Bool, m.Data), m.Time: store them
		}
		w.WriteHeader(http.StatusOK)
	})
	return verify.Middleware(verify.Config{
		Secrets: verify.OneSecret(secret),
		Refused: func(r *http.Request, status int, err error) {
			log.Printf("refused a request from %s: %d %v", r.RemoteAddr, status, err)
		},
	}, things)
}

func main() {
	http.Handle("/things", newHandler(os.Getenv("THINGS_SECRET")))
	log.Fatal(http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil))
}
