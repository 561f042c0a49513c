package sender

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/thingsim/thingsim/internal/docblock"
	"github.com/thingsim/thingsim/internal/localca"
)

// The fault table: one misbehaving server per row, on loopback, each against both engines. Both
// must report the same outcome, answers and error kind for every message, within a bound on time.

// answer is what a scripted server does with the n-th request it reads (0-based, over all
// connections): the raw bytes it writes, and whether it then closes the connection.
type answer func(n int) (raw string, closeAfter bool)

type faultRow struct {
	name     string
	silent   bool // accept the TCP connection and say nothing, not even TLS
	dropSYN  bool // never accept the TCP connection: its SYN is dropped
	hang     bool // read the request and never answer
	reset    bool // read the request and reset the connection
	endless  bool // answer 200 with a body that never ends
	resetTLS bool // read the start of the TLS handshake and reset the connection
	// resetAfter resets the connection after writing the answer
	resetAfter bool
	// closeFirst holds each message after the first until the server has closed the connection
	// of the one before (a close that crosses the next request is lost by every client)
	closeFirst bool
	closed     chan struct{} // told of each connection the server closes, if not nil
	// corkClose sends an answer that closes the connection together with the close, so that no
	// client can take the connection between the two
	corkClose bool
	answer    answer
	messages  int // sent one after another; default 1
	attempts  int
	want      []string // per message: outcome and the answers of its attempts
	kind      ErrorKind
}

func status(code int, text string) string {
	return fmt.Sprintf("HTTP/1.1 %d %s\r\nContent-Length: 0\r\n\r\n", code, text)
}

var faultTable = []faultRow{
	{name: "103 Early Hints, then 401, then 200 on the same connection", messages: 2, attempts: 1,
		answer: func(n int) (string, bool) {
			if n == 0 {
				return "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n" + status(401, "Unauthorized"), false
			}
			return status(200, "OK"), false
		},
		want: []string{"discarded 401", "delivered 200"}},
	{name: "102 Processing, then 200", attempts: 1,
		answer: func(int) (string, bool) { return "HTTP/1.1 102 Processing\r\n\r\n" + status(200, "OK"), false },
		want:   []string{"delivered 200"}},
	{name: "two 100 Continue, then 403", attempts: 1,
		answer: func(int) (string, bool) {
			return "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n" + status(403, "Forbidden"), false
		},
		want: []string{"discarded 403"}},
	{name: "500, 500, 200", attempts: 3,
		answer: func(n int) (string, bool) {
			if n < 2 {
				return status(500, "Internal Server Error"), false
			}
			return status(200, "OK"), false
		},
		want: []string{"delivered 500,500,200"}},
	{name: "HTTP/1.0, body to the close", attempts: 1,
		answer: func(int) (string, bool) { return "HTTP/1.0 200 OK\r\n\r\nstored", true },
		want:   []string{"delivered 200"}},
	{name: "Connection: close after every answer", messages: 3, attempts: 1,
		answer: func(int) (string, bool) {
			return "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", true
		},
		want: []string{"delivered 200", "delivered 200", "delivered 200"}},
	{name: "a reset after the request", reset: true, attempts: 2,
		want: []string{"discarded -,-"}, kind: KindReset},
	{name: "a reset in the TLS handshake", resetTLS: true, attempts: 1,
		want: []string{"discarded -"}, kind: KindReset},
	{name: "a reset after the answer's status line", attempts: 1, resetAfter: true,
		answer: func(int) (string, bool) { return "HTTP/1.1 200 OK\r\n", false },
		want:   []string{"discarded -"}, kind: KindReset},
	{name: "garbage instead of an answer", attempts: 1,
		answer: func(int) (string, bool) { return "HELLO THERE\r\n\r\n", true },
		want:   []string{"discarded -"}, kind: KindOther},
	{name: "302 to elsewhere", attempts: 1,
		answer: func(int) (string, bool) {
			return "HTTP/1.1 302 Found\r\nLocation: https://elsewhere.example/\r\nContent-Length: 0\r\n\r\n", false
		},
		want: []string{"discarded 302"}, kind: KindStatus},
	{name: "an answer, then a close without saying so, seen before the next message", messages: 3, attempts: 1, closeFirst: true,
		answer: func(int) (string, bool) { return status(200, "OK"), true },
		want:   []string{"delivered 200", "delivered 200", "delivered 200"}},
	{name: "an endless body after 200", attempts: 1, endless: true,
		want: []string{"delivered 200"}},
	{name: "a head that stops halfway", attempts: 1,
		answer: func(int) (string, bool) { return "HTTP/1.1 200 OK\r\nContent-Le", false },
		want:   []string{"discarded -"}, kind: KindTimeout},
	{name: "silent TLS: the handshake never answered", silent: true, attempts: 2,
		want: []string{"discarded -,-"}, kind: KindTimeout},
	{name: "a dropped SYN: the connection never set up", dropSYN: true, attempts: 2,
		want: []string{"discarded -,-"}, kind: KindTimeout},
	{name: "no answer to the request", hang: true, attempts: 1,
		want: []string{"discarded -"}, kind: KindTimeout},
}

// faultServer serves a row on 127.0.0.1 with TLS from ca.
func faultServer(t *testing.T, ca *localca.CA, row faultRow) string {
	t.Helper()
	if row.dropSYN {
		return "https://" + fullQueueAddr(t) + "/thingsdata"
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ca.ServerConfig()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	n := 0
	serve := func(raw net.Conn) {
		defer wg.Done()
		defer func() {
			raw.Close()
			select {
			case row.closed <- struct{}{}:
			default: // nil, or nobody waits for more
			}
		}()
		if row.silent {
			<-done
			return
		}
		if row.resetTLS {
			raw.Read(make([]byte, 64))
			raw.(*net.TCPConn).SetLinger(0)
			return
		}
		conn := tls.Server(raw, cfg)
		br := bufio.NewReader(conn)
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			io.Copy(io.Discard, req.Body)
			mu.Lock()
			k := n
			n++
			mu.Unlock()
			switch {
			case row.hang:
				<-done
				return
			case row.reset:
				raw.(*net.TCPConn).SetLinger(0)
				return
			case row.endless:
				io.WriteString(conn, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
				chunk := "1000\r\n" + strings.Repeat("x", 4096) + "\r\n"
				for {
					if _, err := io.WriteString(conn, chunk); err != nil {
						return
					}
				}
			}
			out, closeAfter := row.answer(k)
			if closeAfter && row.corkClose {
				cork(raw)
			}
			io.WriteString(conn, out)
			if row.resetAfter {
				raw.(*net.TCPConn).SetLinger(0)
				return
			}
			if closeAfter {
				return
			}
		}
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go serve(c)
		}
	}()
	t.Cleanup(func() {
		close(done)
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return "https://" + ln.Addr().String() + "/thingsdata"
}

var updateDocs = flag.Bool("update", false, "rewrite the fault table of docs/load.md")

// TestFaultTable runs every row against both engines, and requires docs/load.md's table to list the
// rows as they are here.
func TestFaultTable(t *testing.T) {
	checkDocsFaults(t)
	ca, err := localca.New("fault table")
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca.CertPEM())
	for _, row := range faultTable {
		t.Run(row.name, func(t *testing.T) {
			forEngines(t, func(t *testing.T, engine func(HTTPOptions) Transport) {
				// A row whose attempts must time out waits 300 ms for each. Any other row must get
				// its outcome whatever the machine's load, a TLS handshake and a megabyte of
				// chunked body included: its attempts have a minute, which only a hang reaches.
				timeout := time.Minute
				if row.kind == KindTimeout {
					timeout = 300 * time.Millisecond
				}
				if row.closeFirst {
					row.closed = make(chan struct{}, max(row.messages, 1))
				}
				d := validDestination()
				d.URL = faultServer(t, ca, row)
				s, _ := testSender(t, nil, d, Config{Transport: engine(HTTPOptions{RootCAs: pool}), Attempts: row.attempts,
					Timeouts: []time.Duration{timeout}})
				messages := max(row.messages, 1)
				start := time.Now()
				for m := 0; m < messages; m++ {
					if m > 0 && row.closeFirst {
						<-row.closed
					}
					res := s.Deliver(context.Background(), m, []byte(docBody))
					var answers []string
					for _, a := range res.Attempts {
						if a.Status() == 0 {
							answers = append(answers, "-")
							if a.Kind != row.kind {
								t.Errorf("message %d attempt %d: kind %s (%v), want %s", m, a.Number, a.Kind, a.Err, row.kind)
							}
						} else {
							answers = append(answers, fmt.Sprint(a.Status()))
						}
					}
					if got := string(res.Outcome) + " " + strings.Join(answers, ","); got != row.want[m] {
						t.Errorf("message %d: %s, want %s", m, got, row.want[m])
					}
				}
				// Each attempt that times out ends soon after its timeout: the slack is for a
				// machine at ten times its cores, not a measure of speed.
				if bound := time.Duration(messages*row.attempts)*timeout + 10*time.Second; row.kind == KindTimeout && time.Since(start) > bound {
					t.Errorf("took %v, more than %v", time.Since(start), bound)
				}
			})
		})
	}
}

// checkDocsFaults compares the fault table of docs/load.md with the rows; -update writes it.
func checkDocsFaults(t *testing.T) {
	var b strings.Builder
	b.WriteString("| fault | attempts | outcome, answers |\n|---|---|---|\n")
	for _, row := range faultTable {
		outcome := strings.Join(row.want, "; ")
		if row.kind != "" && row.kind != KindStatus {
			outcome += " (" + string(row.kind) + ")"
		}
		fmt.Fprintf(&b, "| %s | %d | %s |\n", row.name, row.attempts, outcome)
	}
	if err := docblock.Check("../docs/load.md", "fault-table", b.String(), *updateDocs, nil); err != nil {
		t.Error(err)
	}
}

// TestInterruptible: the end of the run's context ends a request in flight, in the TLS handshake,
// waiting for the answer or for the SYN's answer, which fasthttp alone would hold until its
// deadline.
func TestInterruptible(t *testing.T) {
	ca, err := localca.New("interrupt")
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca.CertPEM())
	for _, row := range []faultRow{{name: "no answer", hang: true}, {name: "silent TLS", silent: true}, {name: "dropped SYN", dropSYN: true}} {
		t.Run(row.name, func(t *testing.T) {
			forEngines(t, func(t *testing.T, engine func(HTTPOptions) Transport) {
				d := validDestination()
				d.URL = faultServer(t, ca, row)
				s, _ := testSender(t, nil, d, Config{Transport: engine(HTTPOptions{RootCAs: pool}), Attempts: 1, Timeouts: []time.Duration{time.Minute}})
				ctx, cancel := context.WithCancel(context.Background())
				time.AfterFunc(200*time.Millisecond, cancel)
				done := make(chan *Result)
				go func() { done <- s.Deliver(ctx, 0, []byte(docBody)) }()
				select {
				case res := <-done:
					if res.Outcome != Interrupted {
						t.Errorf("outcome %s", res.Outcome)
					}
				case <-time.After(10 * time.Second):
					t.Fatal("the request outlived its context by 10 s")
				}
			})
		})
	}
}

// TestClosedAfterEveryAnswer: a server that closes every connection after its answer, without
// saying so, with eight messages in flight, so that the engines' pools fill with connections the
// server has closed. A request taken to one of them never reaches the server: both engines send it
// again on another connection inside the same attempt, so every message is delivered at its first
// attempt and the server reads each once. The server sends each answer together with its close
// (cork), and each message waits until the server has closed every connection it answered on: a
// close that crosses a request is lost by every client.
func TestClosedAfterEveryAnswer(t *testing.T) {
	ca, err := localca.New("closing server")
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca.CertPEM())
	const messages, inFlight = 300, 8
	forEngines(t, func(t *testing.T, engine func(HTTPOptions) Transport) {
		var mu sync.Mutex
		settled := sync.NewCond(&mu)
		answered, closed := 0, 0
		row := faultRow{closed: make(chan struct{}, 2*messages), corkClose: true, answer: func(int) (string, bool) {
			mu.Lock()
			answered++
			mu.Unlock()
			return status(200, "OK"), true
		}}
		d := validDestination()
		d.URL = faultServer(t, ca, row)
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			for {
				select {
				case <-row.closed:
					mu.Lock()
					closed++
					settled.Broadcast()
					mu.Unlock()
				case <-stop:
					return
				}
			}
		}()
		s, _ := testSender(t, nil, d, Config{Transport: engine(HTTPOptions{RootCAs: pool}), Attempts: 1,
			Timeouts: []time.Duration{time.Minute}})
		next := make(chan int)
		go func() {
			for m := range messages {
				next <- m
			}
			close(next)
		}()
		var wg sync.WaitGroup
		for range inFlight {
			wg.Go(func() {
				for m := range next {
					mu.Lock()
					for closed < answered {
						settled.Wait()
					}
					mu.Unlock()
					if res := s.Deliver(context.Background(), m, []byte(docBody)); res.Outcome != Delivered {
						t.Errorf("message %d: %s: %v", m, res.Outcome, res.Attempts[0].Err)
					}
				}
			})
		}
		wg.Wait()
		if answered != messages {
			t.Errorf("the server read %d requests, want %d", answered, messages)
		}
	})
}
