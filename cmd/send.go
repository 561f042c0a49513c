package cmd

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/thingsim/thingsim/internal/run"
	"github.com/thingsim/thingsim/sender"
	"github.com/thingsim/thingsim/senmlgen"
)

type sendOptions struct {
	ios      *IOStreams
	dest     destinationFlags
	gen      generatorFlags
	count    int64
	payload  string
	payloads string
	delivery deliveryFlags
	burst    time.Duration
	countSet bool
	shard    string
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

Load: --concurrency N --count 1e6 sends as fast as the endpoint answers (closed loop);
--rate 200/s --duration 10m sends on a fixed schedule whatever the endpoint does (open loop),
latency counted from each message's intended send time. --devices 10000 --interval 15m
--duration 1h is a fleet, each device reporting once an interval at its own moment; --burst 1h
replays the backlog of an hour-long outage. Each message is generated and signed as it goes.

Exit 0 when every message got the expected code, 1 when one was discarded or answered
another code, 2 on a usage or configuration error (nothing sent), 130 when interrupted.`,
		Example: `  thingsim send --url https://example.com/thingsdata --secret-file secret --count 10 --devices 3
  thingsim send --destination destination.yaml --payload body.json
  thingsim gen --count 100 | thingsim send --destination destination.yaml --payloads - --output json
  thingsim send --destination staging.yaml --ca-file staging-ca.pem --timeouts 1s,2s,4s --backoff 100ms,200ms
  thingsim send --destination staging.yaml --devices 5000 --rate 200/s --duration 10m --latency-csv lat.csv`,
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
	fs.StringVar(&opts.shard, "shard", "", "run the I-th of N equal parts of the run (I/N, from 0/N; auto/N takes I from JOB_COMPLETION_INDEX): its share of the devices, or of the count, at 1/N of the rate, the same packs the whole run sends there")
	fs.DurationVar(&opts.burst, "burst", 0, "replay a backlog after an outage this long: every device's reports of that period, as fast as answered")
	opts.delivery.register(fs, 1)
	fs.Lookup("concurrency").Usage = "messages in flight at once; at a fixed rate a bound that the workers grow to with the load, unless given the rate × 5 (16 to 1,024)"
	return c
}

func (o *sendOptions) checkFlags(c *cobra.Command) error {
	if err := o.delivery.check(); err != nil {
		return err
	}
	o.countSet = c.Flags().Changed("count")
	fleet := c.Flags().Changed("interval") && o.payload == "" && o.payloads == ""
	if fleet && o.delivery.rate.perSecond == 0 && o.burst == 0 {
		// A fleet as the platform sees it: every device reports once an interval, at its own moment.
		o.delivery.rate = rateValue{perSecond: float64(o.gen.devices) / o.gen.interval.Seconds(), jitter: true,
			text: fmt.Sprintf("%d devices every %v", o.gen.devices, o.gen.interval)}
	}
	if o.burst < 0 {
		return usageErrorf("--burst: must be positive")
	}
	if o.burst > 0 {
		if o.delivery.rate.perSecond > 0 || o.countSet || o.payload != "" || o.payloads != "" {
			return usageErrorf("--burst sends a backlog of generated packs as fast as answered: it goes without --rate, --count, --payload and --payloads")
		}
		per := int64(o.burst / o.gen.interval)
		if per < 1 {
			per = 1
		}
		o.count, o.countSet = per*int64(o.gen.devices), true
		o.gen.backlog = o.burst
	}
	if (o.delivery.rate.perSecond > 0 || o.delivery.duration > 0) && !o.countSet && o.payloads == "" {
		if o.delivery.duration == 0 {
			return usageErrorf("--rate needs --duration or --count: an open loop has no end of its own")
		}
		o.count = -1 // until the duration is over
	}
	o.delivery.shards = 1
	if o.shard != "" {
		i, n, err := parseShard(o.shard)
		if err != nil {
			return err
		}
		if o.payloads != "" {
			return usageErrorf("--shard splits generated packs and copies of --payload, not the lines of --payloads")
		}
		o.delivery.shard, o.delivery.shards = i, n
	}
	o.delivery.runID = runIdentity(c.Flags(), o.delivery.shards)
	// A shard sends its share of the rate; the flag's text stays as given, the same in every
	// shard, since the run's identity is made of it.
	o.delivery.rate.perSecond /= float64(o.delivery.shards)
	if !c.Flags().Changed("concurrency") && o.delivery.rate.perSecond > 0 {
		// A bound of enough workers for every message to wait the platform's first attempt out at
		// the rate, 1,024 at most: the engine starts few and grows them with the load, so a fast
		// endpoint never sees them, and a slow one is measured at the rate, not at the bound's.
		o.delivery.concurrency = openLoopBound(o.delivery.rate.perSecond)
	}
	if o.payload != "" && o.payloads != "" {
		return usageErrorf("--payload and --payloads exclude each other")
	}
	if o.payloads != "" && c.Flags().Changed("count") {
		return usageErrorf("--count does not apply to --payloads: each line is sent once")
	}
	if o.payload != "" || o.payloads != "" {
		for _, name := range []string{"device", "measure", "profile", "layout", "numbers", "jvm", "devices", "seed", "now", "interval"} {
			if c.Flags().Changed(name) {
				return usageErrorf("--%s shapes generated packs; it does not apply to --payload or --payloads", name)
			}
		}
	}
	return o.dest.oneStdinReader("payloads", o.payload, o.payloads)
}

func runSend(ctx context.Context, opts *sendOptions) error {
	ios := opts.ios.withLockedOut()
	in, err := opts.dest.build(ios.In)
	if err != nil {
		return err
	}
	if err := in.check(ios, in.relax); err != nil {
		return err
	}
	findings := &findingPrinter{ios: ios}
	f, err := opts.feed(findings)
	if err != nil {
		return err
	}
	defer f.Close()
	defer findings.finish()
	return deliver(ctx, ios, in, &opts.delivery, f)
}

// feed opens the run's messages: --payload, --payloads or generated packs.
func (opts *sendOptions) feed(findings *findingPrinter) (run.Messages, error) {
	ios := opts.ios
	switch {
	case opts.payload != "":
		body, where, err := readPayload(ios, opts.payload)
		if err != nil {
			return nil, err
		}
		noteTrailingNewline(ios, body, where)
		rep := senmlgen.Validate(body)
		findings.print(where, rep.Findings)
		f := run.Copies(body, rep.BaseName, where, opts.count)
		f.ShardOf(run.Shard{I: opts.delivery.shard, N: opts.delivery.shards})
		return f, nil
	case opts.payloads != "":
		lf, err := openLinesFeed(ios.context(), opts.payloads, ios.In)
		if err != nil {
			return nil, err
		}
		lf.Warn = findings.print
		return lf, nil
	}
	src, err := opts.gen.source()
	if err != nil {
		return nil, err
	}
	f := run.Generated(src, opts.count)
	f.ShardOf(run.Shard{I: opts.delivery.shard, N: opts.delivery.shards, Devices: opts.gen.devices})
	return f, nil
}

// openLoopBound is the default bound of messages in flight at a fixed rate a second: the rate
// times the first attempt's default timeout, at least 16 and at most 1,024.
func openLoopBound(rate float64) int {
	return int(min(max(16, rate*sender.DefaultTimeouts[0].Seconds()), 1024))
}
