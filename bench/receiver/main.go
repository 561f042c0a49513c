// Command receiver is the benchmark's HTTPS endpoint: it verifies every Things-Message-Token over
// the raw body, answers 200 or 401, and on SIGTERM prints how many requests it saw and how many
// carried a valid token. It makes its own throwaway CA and writes it for the senders to trust.
package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"

	"github.com/thingsim/thingsim/internal/localca"
	"github.com/thingsim/thingsim/internal/secretsrc"
	"github.com/thingsim/thingsim/verify"
)

func main() {
	addr := flag.String("listen", "127.0.0.1:0", "address")
	secretFile := flag.String("secret-file", "", "shared secret")
	caOut := flag.String("ca-out", "bench-ca.pem", "where to write the CA")
	urlOut := flag.String("url-out", "bench-url", "where to write the URL once listening")
	flag.Parse()
	secret, err := secretsrc.ReadFile(*secretFile)
	if err != nil {
		log.Fatal(err)
	}
	ca, err := localca.New("bench")
	if err != nil {
		log.Fatal(err)
	}
	cfg, err := ca.ServerConfig()
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*caOut, ca.CertPEM(), 0o644); err != nil {
		log.Fatal(err)
	}
	var total, valid atomic.Int64
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		total.Add(1)
		if !verify.Matches(body, r.Header.Get(verify.TokenHeader), secret.Reveal()) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		valid.Add(1)
	})
	l, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Handler: h, TLSConfig: cfg, ErrorLog: log.New(io.Discard, "", 0)}
	srv.TLSConfig.NextProtos = []string{"http/1.1"}
	go srv.Serve(tls.NewListener(l, srv.TLSConfig))
	if err := os.WriteFile(*urlOut, []byte("https://"+l.Addr().String()+"/things\n"), 0o644); err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	srv.Close()
	fmt.Printf("requests %d valid %d\n", total.Load(), valid.Load())
}
