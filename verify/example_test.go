package verify_test

import (
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"

	"github.com/thingsim/thingsim/verify"
)

// The platform documentation's example: its body, its shared secret, its token.
func ExampleToken() {
	body := []byte(`[{"bn":"urn:dev:DEVEUI:0000000000000000:","bt":1.58565075E9},{"n":"temperature","v":21.22,"u":"Celsius"}]`)
	fmt.Println(verify.Token(body, "C03fajLBWj$nbvOnQlV9N49zVFEobV#"))
	// Output: a7939780a487b036d5f41edf29ee3e087b14c121302e321326865255de8ea9c9
}

// Check tells the reasons apart; a mismatch carries its likely cause for your logs.
func ExampleCheck() {
	secret := "C03fajLBWj$nbvOnQlV9N49zVFEobV#"
	signed := []byte(`[{"bn":"urn:dev:DEVEUI:0000000000000000:","bt":1.58565075E9}]`)
	token := verify.Token(signed, secret)

	fmt.Println(verify.Check(signed, token, secret))
	fmt.Println(errors.Is(verify.Check(signed, "", secret), verify.ErrMissingToken))

	arrived := append(signed, '\n') // a proxy, or a test client, added a newline
	err := verify.Check(arrived, token, secret)
	var mismatch *verify.MismatchError
	if errors.As(err, &mismatch) {
		fmt.Println("refused; it matches", mismatch.NearMiss)
	}
	// Output:
	// <nil>
	// true
	// refused; it matches the body without its trailing newline
}

// A receiver of one destination: the token is checked over the raw body before the handler reads
// it, and the handler gets the same bytes.
func ExampleMiddleware() {
	things := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body) // the bytes the token was checked over
		plug, _ := verify.PlugUUID(r.Context())
		log.Printf("%d bytes from destination %s", len(body), plug)
		w.WriteHeader(http.StatusOK)
	})
	http.Handle("/things", verify.Middleware(verify.Config{
		Secrets: verify.OneSecret(os.Getenv("THINGS_SECRET")),
		Refused: func(r *http.Request, status int, err error) {
			log.Printf("refused %s: %d %v", r.RemoteAddr, status, err)
		},
	}, things))
	// log.Fatal(http.ListenAndServe(":"+os.Getenv("PORT"), nil))
}
