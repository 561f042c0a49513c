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

	"github.com/thingsim/thingsim/internal/load"
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
	engine    string
}

func (c *connectionFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&c.engine, "engine", "fasthttp", "HTTP client: fasthttp (headers in the template's order, fast) or net/http (also for --http2)")
	fs.IntVar(&c.attempts, "attempts", sender.MaxAttempts, "delivery attempts per message, 1-3")
	fs.StringVar(&c.timeouts, "timeouts", "5s,10s,20s", "timeout of each attempt (the last repeats)")
	fs.StringVar(&c.backoff, "backoff", "1s,2s", "wait before each retry (the last repeats; 0 for none)")
	fs.StringVar(&c.caFile, "ca-file", "", "also trust the CA certificates of PEM `FILE` (a staging or local CA)")
	fs.BoolVar(&c.http2, "http2", false, "offer HTTP/2 (the platform sends HTTP/1.1)")
	fs.StringVar(&c.userAgent, "user-agent", userAgent(), "User-Agent header (the platform's is not documented)")
}

func (c *connectionFlags) check() error {
	if c.engine != "fasthttp" && c.engine != "net/http" {
		return usageErrorf("--engine: %q is not fasthttp or net/http", c.engine)
	}
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
	opts := sender.HTTPOptions{RootCAs: rootCAs, HTTP2: c.http2, MaxConnsPerHost: max(conns, 2)}
	var transport sender.Transport
	if c.engine == "net/http" || c.http2 {
		transport = sender.NewHTTPTransport(opts)
	} else {
		transport = sender.NewFastTransport(opts)
	}
	return sender.Config{
		Destination: dest,
		Transport:   transport,
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
	rate        rateValue
	checkTLS    bool
	duration    time.Duration
	grace       time.Duration
	lines       string
	latencyCSV  string
	plot        string
}

func (d *deliveryFlags) register(fs *pflag.FlagSet, concurrency int) {
	d.connectionFlags.register(fs)
	fs.IntVarP(&d.concurrency, "concurrency", "c", concurrency, "messages in flight at once")
	fs.StringVar(&d.deadLetter, "dead-letter", "", "append undelivered messages to `FILE` (JSON lines that replay reads)")
	fs.BoolVar(&d.dryRun, "dry-run", false, "print the exact requests, credentials redacted, and send nothing")
	fs.StringVarP(&d.output, "output", "o", "text", "output: text or json (JSON lines)")
	fs.Var(&d.rate, "rate", "open loop: messages leave at this rate whatever the endpoint does (200/s, 12000/m; latency counts from the intended send time)")
	fs.DurationVar(&d.duration, "duration", 0, "stop starting messages after this long (bounds --count and --rate runs)")
	fs.DurationVar(&d.grace, "grace", 5*time.Second, "on Ctrl-C, how long messages in flight may still finish")
	fs.StringVar(&d.lines, "message-lines", "auto", "a line or JSON event per message (all), per failed one (failed), or none; auto is all, except failed for text runs of more than 100 messages, a --rate or a --duration")
	fs.StringVar(&d.latencyCSV, "latency-csv", "", "write the latency percentile distribution to `FILE` (CSV)")
	fs.StringVar(&d.plot, "plot", "", "draw the latency percentile distribution to `FILE`.svg")
	fs.BoolVar(&d.checkTLS, "check-tls", false, "first check that the platform's TLS policy would accept the endpoint (as check-tls); stop if not")
}

func (d *deliveryFlags) check() error {
	if d.output != "text" && d.output != "json" {
		return usageErrorf("--output: %q is not text or json", d.output)
	}
	if d.concurrency < 1 {
		return usageErrorf("--concurrency: must be at least 1, not %d", d.concurrency)
	}
	switch d.lines {
	case "auto", "all", "failed", "none":
	default:
		return usageErrorf("--message-lines: %q is not auto, all, failed or none", d.lines)
	}
	if d.plot != "" && !strings.HasSuffix(strings.ToLower(d.plot), ".svg") {
		return usageErrorf("--plot: %q must end in .svg", d.plot)
	}
	if d.duration < 0 || d.grace < 0 {
		return usageErrorf("--duration and --grace must not be negative")
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
	report.lines = d.lines
	if d.lines == "auto" {
		report.lines = "all"
		if n := f.size(); !report.json && (n > 100 || d.rate.perSecond > 0 || d.duration > 0) {
			report.lines = "failed"
		}
	}
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
	for _, out := range []struct{ flag, path string }{{"--latency-csv", d.latencyCSV}, {"--plot", d.plot}} {
		if out.path != "" {
			// Checked before the run: a report that cannot be written should not cost a run.
			f, err := os.OpenFile(out.path, os.O_WRONLY|os.O_CREATE, 0o644)
			if err != nil {
				return configErrorf("%s: %v", out.flag, pathError(err))
			}
			f.Close()
		}
	}
	var progress *progressView
	if !report.json && ios.ErrTTY && report.lines != "all" {
		progress = startProgress(ios, report, f.size(), d.duration)
	}
	report.started = time.Now()
	feedErr := deliverAll(ctx, s, f, runOptions{concurrency: d.concurrency, rate: d.rate.perSecond, jitter: d.rate.jitter,
		duration: d.duration, grace: d.grace}, func(w int, res *sender.Result, m message, latency time.Duration) {
		report.message(w, res, m, latency)
		if hooks.onResult != nil {
			hooks.onResult(res, m)
		}
	})
	if progress != nil {
		progress.stop()
	}
	ok := report.summary(f.remaining())
	if err := writeLatencyReports(report, d.latencyCSV, d.plot, in.dest.URL); err != nil {
		return failure(err)
	}
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

// writeLatencyReports writes --latency-csv and --plot.
func writeLatencyReports(r *runReport, csvPath, plotPath, url string) error {
	lat := r.totals().lat
	for _, out := range []struct {
		path  string
		write func(io.Writer) error
	}{
		{csvPath, lat.WriteCSV},
		{plotPath, func(w io.Writer) error { return lat.WriteSVG(w, "thingsim send → "+url) }},
	} {
		if out.path == "" {
			continue
		}
		f, err := os.Create(out.path)
		if err != nil {
			return fmt.Errorf("%v", pathError(err))
		}
		err = out.write(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("writing %s: %v", out.path, err)
		}
	}
	return nil
}

// request builds a message's request: signed by the sender, or as the message asks (a kept token,
// plug UUID or headers).
func request(t *sender.Template, m message) *sender.Request {
	return t.Build(m.body, m.overrides)
}

// runOptions shape a run: how many messages are in flight, whether they leave on a schedule
// (open loop, rate > 0) or as fast as answered (closed loop), for how long, and how long messages
// in flight may finish after an interrupt.
type runOptions struct {
	concurrency int
	rate        float64
	jitter      bool
	duration    time.Duration
	grace       time.Duration
	now         func() time.Time // default time.Now
}

// job is a message with the time it was meant to leave.
type job struct {
	m        message
	intended time.Time
}

// deliverAll sends the feed's messages until it ends, the duration is over or ctx is done, and
// hands every result to done with the worker's number and the latency from the intended send time:
// in an open loop a message that waited for a free worker counts its wait, so a slow endpoint
// cannot hide its queueing. After ctx is done, messages in flight get the grace period. It returns
// the feed's error, if reading it failed.
func deliverAll(ctx context.Context, s *sender.Sender, f feed, o runOptions, done func(w int, res *sender.Result, m message, latency time.Duration)) error {
	if o.now == nil {
		o.now = time.Now
	}
	// Deliveries outlive ctx by the grace period.
	deliverCtx, cancelDeliveries := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelDeliveries()
	stopGrace := context.AfterFunc(ctx, func() {
		t := time.NewTimer(o.grace)
		go func() {
			defer t.Stop()
			select {
			case <-t.C:
				cancelDeliveries()
			case <-deliverCtx.Done():
			}
		}()
	})
	defer stopGrace()

	queue := 0
	if o.rate > 0 {
		queue = 4096 // scheduled messages wait here when every worker is busy
	}
	jobs := make(chan job, queue)
	var wg sync.WaitGroup
	t := s.Template()
	for w := range o.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				res := s.DeliverRequest(deliverCtx, j.m.index, request(t, j.m))
				done(w, res, j.m, o.now().Sub(j.intended))
			}
		}()
	}
	var feedErr error
	start := o.now()
	var schedule *load.Schedule
	if o.rate > 0 {
		schedule = load.NewSchedule(start, o.rate, o.jitter, uint64(start.UnixNano()))
	}
feeding:
	for k := int64(0); ctx.Err() == nil; k++ {
		intended := o.now()
		if schedule != nil {
			intended = schedule.At(k)
		}
		if o.duration > 0 && intended.Sub(start) >= o.duration {
			break
		}
		m, err := f.next()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				feedErr = err
			}
			break
		}
		if wait := intended.Sub(o.now()); wait > 0 {
			timer := time.NewTimer(wait)
			select {
			case <-timer.C:
			case <-ctx.Done():
				timer.Stop()
				f.unread(m)
				break feeding
			}
		}
		select {
		case jobs <- job{m: m, intended: intended}:
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
