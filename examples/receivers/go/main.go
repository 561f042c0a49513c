// Command receiver is a minimal correct receiver of a KPN Things HTTPS destination in Go: the
// verify package checks the token over the raw body bytes, in constant time, before the handler
// sees the data. (By hand it is sha256(body || sharedSecret) in hex, compared with
// crypto/subtle.ConstantTimeCompare: see the verify package's source.)
package main

import (
	"io"
	"log"
	"net/http"
	"os"

	"github.com/thingsim/thingsim/verify"
)

func newHandler(secret string) http.Handler {
	things := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body) // the SenML pack, the exact bytes the token was checked over
		_ = body                      // queue or store it, then answer
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
