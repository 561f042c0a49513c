//go:build unix

// Command floor measures what this machine charges a Go process for one HTTPS message at a fixed
// rate when nothing but the message is done: one goroutine, one kept-alive TLS connection, a
// request written from bytes prepared beforehand, the response read, then a sleep until the next
// message's time. No generation, no signing, no pool, no bookkeeping. bench/run.sh runs it beside
// thingsim and vegeta, so that their CPU per message can be read against the least a sender on this
// machine can pay at that pace.
//
//	floor -url URL -ca ca.pem -rate 200 -duration 10s -body body.json -header 'Name: value' ...
//
// It prints one line: messages answered 200, achieved rate, CPU µs per message.
package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"
)

type headers []string

func (h *headers) String() string     { return strings.Join(*h, ", ") }
func (h *headers) Set(v string) error { *h = append(*h, v); return nil }

func main() {
	target := flag.String("url", "", "the receiver's https URL")
	caFile := flag.String("ca", "", "PEM file of the receiver's CA")
	rate := flag.Float64("rate", 200, "messages a second")
	duration := flag.Duration("duration", 10*time.Second, "how long to send")
	bodyFile := flag.String("body", "", "the request body")
	var hs headers
	flag.Var(&hs, "header", "a request header, Name: value (repeatable)")
	flag.Parse()
	if err := run(*target, *caFile, *rate, *duration, *bodyFile, hs); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

func run(target, caFile string, rate float64, duration time.Duration, bodyFile string, hs headers) error {
	u, err := url.Parse(target)
	if err != nil {
		return err
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return fmt.Errorf("%s holds no certificate", caFile)
	}
	body, err := os.ReadFile(bodyFile)
	if err != nil {
		return err
	}
	var req bytes.Buffer
	fmt.Fprintf(&req, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n", u.RequestURI(), u.Host, len(body))
	for _, h := range hs {
		fmt.Fprintf(&req, "%s\r\n", h)
	}
	req.WriteString("\r\n")
	req.Write(body)

	conn, err := tls.Dial("tcp", u.Host, &tls.Config{RootCAs: pool, ServerName: u.Hostname()})
	if err != nil {
		return err
	}
	defer conn.Close()
	r := bufio.NewReader(conn)

	var before syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	interval := time.Duration(float64(time.Second) / rate)
	start := time.Now()
	ok := 0
	for i := 0; ; i++ {
		due := start.Add(time.Duration(i) * interval)
		if due.Sub(start) >= duration {
			break
		}
		if wait := time.Until(due); wait > 0 {
			time.Sleep(wait)
		}
		if _, err := conn.Write(req.Bytes()); err != nil {
			return err
		}
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			ok++
		}
	}
	elapsed := time.Since(start)
	var after syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	cpu := time.Duration(after.Utime.Nano()+after.Stime.Nano()-before.Utime.Nano()-before.Stime.Nano()) * time.Nanosecond
	if ok == 0 {
		return fmt.Errorf("no message was answered 200")
	}
	fmt.Printf("%d %.1f %.1f\n", ok, float64(ok)/elapsed.Seconds(), float64(cpu.Microseconds())/float64(ok))
	return nil
}
