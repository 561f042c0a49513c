package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/thingsim/thingsim/internal/load"
	"github.com/thingsim/thingsim/sender"
)

// deliver runs the messages of f to the destination: the dry run, or the delivery with its report,
// dead letters, summary and exit code.
func deliver(ctx context.Context, ios *IOStreams, in *destinationInput, d *deliveryFlags, f feed) error {
	cfg, err := d.senderConfig(in.dest, d.concurrency)
	if err != nil {
		return err
	}
	in.announce(ios)
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
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	report.stop = stopRun
	feedErr := deliverAll(runCtx, s, f, runOptions{concurrency: d.concurrency, rate: d.rate.perSecond, jitter: d.rate.jitter,
		duration: d.duration, grace: d.grace}, func(w int, res *sender.Result, m message, latency time.Duration) {
		report.message(w, res, m, latency)
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
		{plotPath, func(w io.Writer) error {
			if strings.EqualFold(filepath.Ext(plotPath), ".png") {
				return lat.WritePNG(w, "thingsim send -> "+url)
			}
			return lat.WriteSVG(w, "thingsim send → "+url)
		}},
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
// hands every result to done with the worker's number and its latency: in an open loop from the
// intended send time, so that a message that waited for a free worker counts its wait and a slow
// endpoint cannot hide its queueing; in a closed loop from its first attempt's start, so that a
// message does not count the wait for the one before it. After ctx is done, messages in flight
// get the grace period. It returns the feed's error, if reading it failed.
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
	start := o.now()
	var schedule *load.Schedule
	if o.rate > 0 {
		schedule = load.NewSchedule(start, o.rate, o.jitter, uint64(start.UnixNano()))
	}
	jobs := make(chan job, queue)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var unsent []message // taken from the queue after the signal: never started
	t := s.Template()
	for w := range o.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				if ctx.Err() != nil {
					// After a signal no message starts; those in flight finish within the grace.
					mu.Lock()
					unsent = append(unsent, j.m)
					mu.Unlock()
					continue
				}
				res := s.DeliverRequest(deliverCtx, j.m.index, request(t, j.m))
				latency := res.Latency // closed loop: from the first attempt's start
				if schedule != nil {
					latency = o.now().Sub(j.intended) // open loop: from the intended send time
				}
				done(w, res, j.m, latency)
				j.m.release()
			}
		}()
	}
	var feedErr error
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
	// Given back latest first, so that a feed that names the first unsent message names the
	// earliest; the feeding loop gave back the one it held, which came after all of these.
	sort.Slice(unsent, func(a, b int) bool { return unsent[a].index > unsent[b].index })
	for _, m := range unsent {
		f.unread(m)
		m.release()
	}
	return feedErr
}
