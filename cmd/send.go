package cmd

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/spf13/cobra"

	"github.com/thingsim/thingsim/sender"
	"github.com/thingsim/thingsim/senmlgen"
)

type sendOptions struct {
	ios         *IOStreams
	dest        destinationFlags
	gen         generatorFlags
	count       int64
	payload     string
	payloads    string
	concurrency int
	attempts    int
	timeouts    string
	backoff     string
	caFile      string
	deadLetter  string
	dryRun      bool
	output      string
	http2       bool
	userAgent   string

	// Set by commands that run send themselves (demo): the roots to trust and a hook per result.
	rootCAs  *x509.CertPool
	onResult func(*sender.Result, message)
}

func newSendCmd(ios *IOStreams, runF func(context.Context, *sendOptions) error) *cobra.Command {
	opts := &sendOptions{ios: ios}
	c := &cobra.Command{
		Use:   "send",
		Short: "Sign and deliver payloads to an endpoint as the platform does",
		Long: `Sign and deliver SenML payloads to an HTTPS endpoint as the KPN Things platform does:
the destination's headers (Things-Plug-UUID, Things-Message-Token, Content-type and the
additional headers, spelled as the platform spells them), up to three attempts with
increasing timeouts, no redirects, the platform's TLS policy.

Payloads are generated (the gen flags; --count packs), or read: --payload FILE sends a
file's exact bytes (--count times), --payloads FILE one body per line.

Exit 0 when every message got the expected code, 1 when one was discarded or answered
another code, 2 on a usage or configuration error (nothing sent), 130 when interrupted.`,
		Example: `  thingsim send --url https://example.com/thingsdata --secret-file secret --count 10 --devices 3
  thingsim send --destination destination.yaml --payload body.json
  thingsim gen --count 100 | thingsim send --destination destination.yaml --payloads - --output json
  thingsim send --destination staging.yaml --ca-file staging-ca.pem --timeouts 1s,2s,4s --backoff 100ms,200ms`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := opts.checkFlags(c); err != nil {
				return err
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runSend(c.Context(), opts)
		},
	}
	fs := c.Flags()
	opts.dest.register(c)
	opts.gen.register(fs)
	fs.Var(newCountValue(&opts.count, 1), "count", "messages to send: generated packs, or copies of --payload")
	fs.StringVar(&opts.payload, "payload", "", "send the exact bytes of `FILE` (- for standard input)")
	fs.StringVar(&opts.payloads, "payloads", "", "send each line of `FILE` as one body (- for standard input)")
	fs.IntVarP(&opts.concurrency, "concurrency", "c", 1, "messages in flight at once")
	fs.IntVar(&opts.attempts, "attempts", sender.MaxAttempts, "delivery attempts per message, 1-3")
	fs.StringVar(&opts.timeouts, "timeouts", "5s,10s,20s", "timeout of each attempt (the last repeats)")
	fs.StringVar(&opts.backoff, "backoff", "1s,2s", "wait before each retry (the last repeats; 0 for none)")
	fs.StringVar(&opts.caFile, "ca-file", "", "also trust the CA certificates of PEM `FILE` (a staging or local CA)")
	fs.StringVar(&opts.deadLetter, "dead-letter", "", "append undelivered messages to `FILE` (JSON lines that replay reads)")
	fs.BoolVar(&opts.dryRun, "dry-run", false, "print the exact requests, credentials redacted, and send nothing")
	fs.StringVarP(&opts.output, "output", "o", "text", "output: text or json (JSON lines)")
	fs.BoolVar(&opts.http2, "http2", false, "offer HTTP/2 (the platform sends HTTP/1.1)")
	fs.StringVar(&opts.userAgent, "user-agent", userAgent(), "User-Agent header (the platform's is not documented)")
	return c
}

func (o *sendOptions) checkFlags(c *cobra.Command) error {
	if o.output != "text" && o.output != "json" {
		return usageErrorf("--output: %q is not text or json", o.output)
	}
	if o.payload != "" && o.payloads != "" {
		return usageErrorf("--payload and --payloads exclude each other")
	}
	if o.payloads != "" && c.Flags().Changed("count") {
		return usageErrorf("--count does not apply to --payloads: each line is sent once")
	}
	if o.payload != "" || o.payloads != "" {
		for _, name := range []string{"device", "measure", "profile", "layout", "numbers", "devices", "seed", "now", "interval"} {
			if c.Flags().Changed(name) {
				return usageErrorf("--%s shapes generated packs; it does not apply to --payload or --payloads", name)
			}
		}
	}
	stdinUsers := 0
	for _, v := range []string{o.payload, o.payloads} {
		if v == "-" {
			stdinUsers++
		}
	}
	if o.dest.readsStdin() {
		stdinUsers++
	}
	if stdinUsers > 1 {
		return usageErrorf("standard input can feed only one of the secret and the payloads")
	}
	if o.concurrency < 1 {
		return usageErrorf("--concurrency: must be at least 1, not %d", o.concurrency)
	}
	if o.attempts < 1 || o.attempts > sender.MaxAttempts {
		return usageErrorf("--attempts: must be 1 to %d (the platform's limit), not %d", sender.MaxAttempts, o.attempts)
	}
	return nil
}

func runSend(ctx context.Context, opts *sendOptions) error {
	ios := opts.ios
	timeouts, err := parseDurations("timeouts", opts.timeouts, false)
	if err != nil {
		return err
	}
	backoff, err := parseDurations("backoff", opts.backoff, true)
	if err != nil {
		return err
	}
	in, err := opts.dest.build(ios.In)
	if err != nil {
		return err
	}
	if err := in.check(ios, opts.dest.relax); err != nil {
		return err
	}
	roots := opts.rootCAs
	if opts.caFile != "" {
		if roots, err = sender.LoadCAFile(opts.caFile); err != nil {
			return configErrorf("--ca-file: %v", err)
		}
	}
	findings := &findingPrinter{ios: ios}
	f, err := opts.feed(findings)
	if err != nil {
		return err
	}
	defer f.close()

	report := newRunReport(ios, opts.output == "json")
	s, err := sender.New(sender.Config{
		Destination: in.dest,
		Transport:   sender.NewHTTPTransport(sender.HTTPOptions{RootCAs: roots, HTTP2: opts.http2, MaxConnsPerHost: max(opts.concurrency, 2)}),
		Attempts:    opts.attempts,
		Timeouts:    timeouts,
		Backoff:     backoff,
		UserAgent:   opts.userAgent,
		OnAttempt:   func(msg int, a sender.Attempt) { report.attempt(msg, a, opts.attempts) },
	})
	if err != nil {
		return configError(err)
	}
	report.sender = s
	if opts.dryRun {
		return dryRun(ctx, ios, s, f, opts.output == "json")
	}
	if opts.deadLetter != "" {
		df, err := os.OpenFile(opts.deadLetter, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return configErrorf("--dead-letter: %v", pathError(err))
		}
		defer df.Close()
		report.deadFile, report.deadPath = df, opts.deadLetter
	}

	feedErr := deliverAll(ctx, s, f, opts.concurrency, func(res *sender.Result, m message) {
		report.message(res, m)
		if opts.onResult != nil {
			opts.onResult(res, m)
		}
	})
	findings.finish()
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

// feed opens the run's messages: --payload, --payloads or generated packs.
func (opts *sendOptions) feed(findings *findingPrinter) (feed, error) {
	ios := opts.ios
	switch {
	case opts.payload != "":
		var body []byte
		var err error
		where := opts.payload
		if opts.payload == "-" {
			where = "standard input"
			body, err = io.ReadAll(ios.In)
		} else {
			body, err = os.ReadFile(opts.payload)
		}
		if err != nil {
			return nil, configErrorf("--payload: %v", pathError(err))
		}
		noteTrailingNewline(ios, body, where)
		rep := senmlgen.Validate(body)
		findings.print(where, rep.Findings)
		return &payloadFeed{body: body, device: rep.BaseName, where: where, count: opts.count}, nil
	case opts.payloads != "":
		lf, err := openLinesFeed(opts.payloads, ios.In)
		if err != nil {
			return nil, err
		}
		lf.warn = findings.print
		return lf, nil
	}
	src, err := opts.gen.source()
	if err != nil {
		return nil, err
	}
	return &generatedFeed{src: src, count: opts.count}, nil
}

// deliverAll sends the feed's messages with the given concurrency until it ends or ctx is done, and
// hands every result to done. It returns the feed's error, if reading it failed.
func deliverAll(ctx context.Context, s *sender.Sender, f feed, concurrency int, done func(*sender.Result, message)) error {
	jobs := make(chan message)
	var wg sync.WaitGroup
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for m := range jobs {
				done(s.Deliver(ctx, m.index, m.body), m)
			}
		}()
	}
	var feedErr error
feeding:
	for ctx.Err() == nil {
		m, err := f.next()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				feedErr = err
			}
			break
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
		req := t.New(m.body)
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
