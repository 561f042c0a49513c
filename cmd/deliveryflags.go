package cmd

import (
	"crypto/x509"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/thingsim/thingsim/internal/slo"
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
	enumFlag(fs, &c.engine, "engine", "", "fasthttp", []string{"fasthttp", "net/http"}, "HTTP client: fasthttp (headers in the template's order, fast) or net/http (also for --http2)")
	fs.IntVar(&c.attempts, "attempts", sender.MaxAttempts, "delivery attempts per message, 1-3")
	fs.StringVar(&c.timeouts, "timeouts", "5s,10s,20s", "timeout of each attempt (the last repeats)")
	fs.StringVar(&c.backoff, "backoff", "1s,2s", "wait before each retry (the last repeats; 0 for none)")
	fs.StringVar(&c.caFile, "ca-file", "", "also trust the CA certificates of PEM `FILE` (a staging or local CA)")
	fs.BoolVar(&c.http2, "http2", false, "offer HTTP/2 (the platform sends HTTP/1.1)")
	fs.StringVar(&c.userAgent, "user-agent", userAgent(), "User-Agent header (the platform's is not documented)")
}

// fromDestination takes the CA file of the destination file's thingsim section when neither
// --ca-file nor THINGSIM_CA_FILE gave one.
func (c *connectionFlags) fromDestination(in *destinationInput) {
	if c.caFile == "" {
		c.caFile = in.caFile
	}
}

func (c *connectionFlags) check() error {
	if c.attempts < 1 || c.attempts > sender.MaxAttempts {
		return usageErrorf("--attempts: must be 1 to %d (the platform's limit), not %d", sender.MaxAttempts, c.attempts)
	}
	return nil
}

// senderConfig returns the sender settings of the flags, for dest, with connections for up to
// conns messages in flight.
func (c *connectionFlags) senderConfig(dest *sender.Destination, conns int) (sender.Config, error) {
	timeouts, err := parseDurations("timeouts", c.timeouts, false)
	if err != nil {
		return sender.Config{}, err
	}
	backoff, err := parseDurations("backoff", c.backoff, true)
	if err != nil {
		return sender.Config{}, err
	}
	var rootCAs *x509.CertPool // nil: the system roots
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
	slos        []string
	objectives  []slo.Objective
	junit       string
	result      string
	// shard is this run's part of a run of shards; runID names the whole run in its result.
	shard, shards int
	runID         string
}

// maxConcurrency bounds the messages in flight: each holds a worker and a connection.
const maxConcurrency = 10_000

func (d *deliveryFlags) register(fs *pflag.FlagSet, concurrency int) {
	d.connectionFlags.register(fs)
	fs.VarP(newCountValue(&d.concurrency, concurrency), "concurrency", "c", "messages in flight at once")
	fs.StringVar(&d.deadLetter, "dead-letter", "", "append undelivered messages to `FILE` (JSON lines that replay reads)")
	fs.BoolVar(&d.dryRun, "dry-run", false, "print the exact requests, credentials redacted, and send nothing")
	enumFlag(fs, &d.output, "output", "o", "text", []string{"text", "json"}, "output: text or json (JSON lines)")
	fs.Var(&d.rate, "rate", "open loop: messages leave at this rate whatever the endpoint does (200/s, 12000/m; latency counts from the intended send time)")
	fs.DurationVar(&d.duration, "duration", 0, "stop starting messages after this long (bounds --count and --rate runs)")
	fs.DurationVar(&d.grace, "grace", 5*time.Second, "on Ctrl-C, how long messages in flight may still finish")
	enumFlag(fs, &d.lines, "message-lines", "", "auto", []string{"auto", "all", "failed", "none"}, "a line or JSON event per message (all), per failed one (failed), or none; auto is all, except failed for text runs of more than 100 messages, a --rate or a --duration")
	fs.StringVar(&d.latencyCSV, "latency-csv", "", "write the latency percentile distribution to `FILE` (CSV)")
	fs.StringVar(&d.plot, "plot", "", "draw the latency percentile distribution to `FILE` (.svg or .png)")
	fs.StringArrayVar(&d.slos, "slo", nil, "a service level the whole run must meet, or exit 1 (repeatable): "+slo.Grammar)
	fs.StringVar(&d.result, "result", "", "write the run's mergeable result (counts and HdrHistogram latencies, one JSON line) to `FILE`, - for standard output; thingsim merge adds up those of shards")
	fs.StringVar(&d.junit, "junit", "", "write the --slo verdicts as JUnit XML to `FILE`, one testcase each")
	fs.BoolVar(&d.checkTLS, "check-tls", false, "first check that the platform's TLS policy would accept the endpoint (as check-tls); stop if not")
}

func (d *deliveryFlags) check() error {
	if d.concurrency < 1 || d.concurrency > maxConcurrency {
		return usageErrorf("--concurrency: must be 1 to %d, not %d", maxConcurrency, d.concurrency)
	}
	if ext := strings.ToLower(filepath.Ext(d.plot)); d.plot != "" && ext != ".svg" && ext != ".png" {
		return usageErrorf("--plot: %q must end in .svg or .png", d.plot)
	}
	if d.duration < 0 || d.grace < 0 {
		return usageErrorf("--duration and --grace must not be negative")
	}
	objectives, err := slo.ParseAll(d.slos)
	if err != nil {
		return usageErrorf("--slo %v", err)
	}
	d.objectives = objectives
	if d.junit != "" && len(d.objectives) == 0 {
		return usageErrorf("--junit writes the verdicts of --slo: give at least one --slo")
	}
	return d.connectionFlags.check()
}
