package cmd

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/thingsim/thingsim/sender"
)

// connectionFlags say how one message is delivered: attempts, timing, TLS trust, protocol.
// Every command that talks to an endpoint has them.
type connectionFlags struct {
	attempts  int
	timeouts  string
	backoff   string
	caFile    string
	http2     bool
	userAgent string
}

func (c *connectionFlags) register(fs *pflag.FlagSet) {
	fs.IntVar(&c.attempts, "attempts", sender.MaxAttempts, "delivery attempts per message, 1-3")
	fs.StringVar(&c.timeouts, "timeouts", "5s,10s,20s", "timeout of each attempt (the last repeats)")
	fs.StringVar(&c.backoff, "backoff", "1s,2s", "wait before each retry (the last repeats; 0 for none)")
	fs.StringVar(&c.caFile, "ca-file", "", "also trust the CA certificates of PEM `FILE` (a staging or local CA)")
	fs.BoolVar(&c.http2, "http2", false, "offer HTTP/2 (the platform sends HTTP/1.1)")
	fs.StringVar(&c.userAgent, "user-agent", userAgent(), "User-Agent header (the platform's is not documented)")
}

func (c *connectionFlags) check() error {
	if c.attempts < 1 || c.attempts > sender.MaxAttempts {
		return usageErrorf("--attempts: must be 1 to %d (the platform's limit), not %d", sender.MaxAttempts, c.attempts)
	}
	return nil
}

// senderConfig returns the sender settings of the flags, for dest, with connections for up to
// conns messages in flight; rootCAs (may be nil) is trusted unless --ca-file says otherwise.
func (c *connectionFlags) senderConfig(dest *sender.Destination, conns int, rootCAs *x509.CertPool) (sender.Config, error) {
	timeouts, err := parseDurations("timeouts", c.timeouts, false)
	if err != nil {
		return sender.Config{}, err
	}
	backoff, err := parseDurations("backoff", c.backoff, true)
	if err != nil {
		return sender.Config{}, err
	}
	if c.caFile != "" {
		if rootCAs, err = sender.LoadCAFile(c.caFile); err != nil {
			return sender.Config{}, configErrorf("--ca-file: %v", err)
		}
	}
	return sender.Config{
		Destination: dest,
		Transport:   sender.NewHTTPTransport(sender.HTTPOptions{RootCAs: rootCAs, HTTP2: c.http2, MaxConnsPerHost: max(conns, 2)}),
		Attempts:    c.attempts,
		Timeouts:    timeouts,
		Backoff:     backoff,
		UserAgent:   c.userAgent,
	}, nil
}

// deliveryFlags say how the messages of a run are delivered and reported, shared by send and
// replay.
type deliveryFlags struct {
	connectionFlags
	concurrency int
	deadLetter  string
	dryRun      bool
	output      string
	rate        float64
	checkTLS    bool
}

func (d *deliveryFlags) register(fs *pflag.FlagSet, concurrency int) {
	d.connectionFlags.register(fs)
	fs.IntVarP(&d.concurrency, "concurrency", "c", concurrency, "messages in flight at once")
	fs.StringVar(&d.deadLetter, "dead-letter", "", "append undelivered messages to `FILE` (JSON lines that replay reads)")
	fs.BoolVar(&d.dryRun, "dry-run", false, "print the exact requests, credentials redacted, and send nothing")
	fs.StringVarP(&d.output, "output", "o", "text", "output: text or json (JSON lines)")
	fs.Float64Var(&d.rate, "rate", 0, "start at most this many messages per second (0: as fast as answered)")
	fs.BoolVar(&d.checkTLS, "check-tls", false, "first check that the platform's TLS policy would accept the endpoint (as check-tls); stop if not")
}

func (d *deliveryFlags) check() error {
	if d.output != "text" && d.output != "json" {
		return usageErrorf("--output: %q is not text or json", d.output)
	}
	if d.concurrency < 1 {
		return usageErrorf("--concurrency: must be at least 1, not %d", d.concurrency)
	}
	if d.rate < 0 {
		return usageErrorf("--rate: must not be negative")
	}
	return d.connectionFlags.check()
}

// deliveryHooks let a command follow a run: before a message goes (demo, replay's token check)
// and after its outcome.
type deliveryHooks struct {
	rootCAs  *x509.CertPool // trusted on top of --ca-file
	onResult func(*sender.Result, message)
}

// deliver runs the messages of f to the destination: the dry run, or the delivery with its report,
// dead letters, summary and exit code.
func deliver(ctx context.Context, ios *IOStreams, in *destinationInput, d *deliveryFlags, f feed, hooks deliveryHooks) error {
	cfg, err := d.senderConfig(in.dest, d.concurrency, hooks.rootCAs)
	if err != nil {
		return err
	}
	if d.checkTLS && strings.HasPrefix(in.dest.URL, "https://") {
		r, err := checkTLS(ctx, in.dest.URL, "", "changeit", d.caFile, in.relax, 5*time.Second)
		if err != nil {
			return err
		}
		if !r.Accepted() {
			diag := *ios
			diag.Out = ios.ErrOut
			printTLSReport(&diag, r)
			return failure(errors.New("--check-tls: the platform would refuse this endpoint's TLS; nothing was sent"))
		}
		fmt.Fprintf(ios.ErrOut, "--check-tls: the platform would accept the endpoint's TLS (%d listed suites accepted)\n", len(r.AcceptedSuites))
	}
	report := newRunReport(ios, d.output == "json")
	cfg.OnAttempt = func(msg int, a sender.Attempt) { report.attempt(msg, a, d.attempts) }
	s, err := sender.New(cfg)
	if err != nil {
		return configError(err)
	}
	report.sender = s
	if d.dryRun {
		return dryRun(ctx, ios, s, f, d.output == "json")
	}
	if d.deadLetter != "" {
		df, err := os.OpenFile(d.deadLetter, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return configErrorf("--dead-letter: %v", pathError(err))
		}
		defer df.Close()
		report.deadFile, report.deadPath = df, d.deadLetter
	}
	feedErr := deliverAll(ctx, s, f, d.concurrency, d.rate, func(res *sender.Result, m message) {
		report.message(res, m)
		if hooks.onResult != nil {
			hooks.onResult(res, m)
		}
	})
	ok := report.summary(f.remaining())
	switch {
	case ctx.Err() != nil:
		return errInterrupted
	case feedErr != nil:
		return failure(feedErr)
	case !ok:
		return errFailed
	}
	return nil
}

// request builds a message's request: signed by the sender, or as the message asks (a kept token,
// plug UUID or headers).
func request(t *sender.Template, m message) *sender.Request {
	return t.Build(m.body, m.overrides)
}

// deliverAll sends the feed's messages with the given concurrency, at most rate per second when
// rate > 0, until it ends or ctx is done, and hands every result to done. It returns the feed's
// error, if reading it failed.
func deliverAll(ctx context.Context, s *sender.Sender, f feed, concurrency int, rate float64, done func(*sender.Result, message)) error {
	jobs := make(chan message)
	var wg sync.WaitGroup
	t := s.Template()
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for m := range jobs {
				done(s.DeliverRequest(ctx, m.index, request(t, m)), m)
			}
		}()
	}
	var feedErr error
	start := time.Now()
feeding:
	for n := 0; ctx.Err() == nil; n++ {
		m, err := f.next()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				feedErr = err
			}
			break
		}
		if rate > 0 {
			due := start.Add(time.Duration(float64(n) / rate * float64(time.Second)))
			if wait := time.Until(due); wait > 0 {
				timer := time.NewTimer(wait)
				select {
				case <-timer.C:
				case <-ctx.Done():
					timer.Stop()
					f.unread(m)
					break feeding
				}
			}
		}
		select {
		case jobs <- m:
		case <-ctx.Done():
			f.unread(m)
			break feeding
		}
	}
	close(jobs)
	wg.Wait()
	return feedErr
}

type requestEvent struct {
	Event   string          `json:"event"`
	Message int             `json:"message"`
	Method  string          `json:"method"`
	URL     string          `json:"url"`
	Headers []sender.Header `json:"headers"`
	Token   string          `json:"token"`
	Body    json.RawMessage `json:"body,omitempty"`
	BodyB64 string          `json:"body_base64"`
}

// dryRun prints the requests the run would send, credentials redacted.
func dryRun(ctx context.Context, ios *IOStreams, s *sender.Sender, f feed, jsonOut bool) error {
	t := s.Template()
	for ctx.Err() == nil {
		m, err := f.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return failure(err)
		}
		req := request(t, m)
		if jsonOut {
			rec := sender.MessageRecord{}
			rec.SetBody(req.Body)
			ev := requestEvent{Event: "request", Message: m.index, Method: req.Method, URL: req.URL.String(),
				Headers: t.Redacted(req), Token: req.Token, BodyB64: rec.BodyBase64}
			if rec.Body != nil {
				ev.Body, _ = json.Marshal(*rec.Body)
			}
			b, _ := json.Marshal(ev)
			fmt.Fprintln(ios.Out, string(b))
			continue
		}
		if m.index > 0 {
			fmt.Fprintln(ios.Out)
		}
		ios.Out.Write(t.Dump(req))
		fmt.Fprintln(ios.Out)
	}
	return errInterrupted
}
