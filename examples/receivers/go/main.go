// Command receiver is a minimal correct receiver of a KPN Things HTTPS destination in Go:
// the token is checked over the raw body bytes, in constant time, before the data is used.
package main

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"io"
	"log"
	"net/http"
	"os"
	"strings"
)

func newHandler(secret []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20)) // the exact bytes: never re-encode them
		if err != nil {
			http.Error(w, "unreadable body", http.StatusBadRequest)
			return
		}
		sum := sha256.Sum256(append(body, secret...)) // sha256(body || sharedSecret)
		want := hex.EncodeToString(sum[:])
		got := strings.ToLower(r.Header.Get("Things-Message-Token"))
		if subtle.ConstantTimeCompare([]byte(want), []byte(got)) != 1 {
			http.Error(w, "invalid Things-Message-Token", http.StatusUnauthorized)
			return
		}
		// body is the SenML pack as the platform sent it: queue or store it, then answer.
		w.WriteHeader(http.StatusOK)
	})
}

func main() {
	http.Handle("/things", newHandler([]byte(os.Getenv("THINGS_SECRET"))))
	log.Fatal(http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil))
}
