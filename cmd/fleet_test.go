package cmd

import (
	"context"
	"math"
	"testing"
	"time"
)

// TestFleetSchedule: --devices with --interval is a fleet reporting at its own pace, with jitter;
// --burst is an outage's backlog sent as fast as answered. The flags are read without a network.
func TestFleetSchedule(t *testing.T) {
	run := func(args ...string) *sendOptions {
		var got *sendOptions
		ios, _, errOut := testStreams()
		root := NewRootCmd(ios)
		for _, c := range root.Commands() {
			if c.Name() == "send" {
				root.RemoveCommand(c)
			}
		}
		root.AddCommand(newSendCmd(ios, func(_ context.Context, o *sendOptions) error { got = o; return nil }))
		root.SetArgs(append([]string{"send", "--url", "https://example.com/x", "--secret", "x"}, args...))
		if err := root.Execute(); err != nil {
			t.Fatalf("%v: %v %s", args, err, errOut)
		}
		return got
	}
	o := run("--devices", "10000", "--interval", "15m", "--duration", "1h")
	if r := o.delivery.rate.perSecond; math.Abs(r-10000.0/900) > 1e-9 || !o.delivery.rate.jitter || o.count != -1 {
		t.Errorf("fleet: rate %v jitter %v count %d", r, o.delivery.rate.jitter, o.count)
	}
	if o.delivery.concurrency < 16 {
		t.Errorf("fleet workers %d", o.delivery.concurrency)
	}
	o = run("--devices", "100", "--interval", "15m", "--burst", "1h")
	if o.count != 400 || o.gen.backlog != time.Hour || o.delivery.rate.perSecond != 0 {
		t.Errorf("burst: count %d backlog %v rate %v", o.count, o.gen.backlog, o.delivery.rate.perSecond)
	}
	o = run("--rate", "12000/m", "--duration", "10s")
	if o.delivery.rate.perSecond != 200 || o.delivery.rate.jitter || o.count != -1 || o.delivery.concurrency != 1000 {
		t.Errorf("rate: %+v count %d workers %d", o.delivery.rate, o.count, o.delivery.concurrency)
	}
	o = run("--rate", "1/5s", "--count", "3", "--concurrency", "2")
	if o.delivery.rate.perSecond != 0.2 || o.count != 3 || o.delivery.concurrency != 2 {
		t.Errorf("1/5s: %+v count %d workers %d", o.delivery.rate, o.count, o.delivery.concurrency)
	}
}
