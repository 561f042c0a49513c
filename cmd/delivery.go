package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/thingsim/thingsim/internal/run"
	"github.com/thingsim/thingsim/internal/slo"
	"github.com/thingsim/thingsim/sender"
)

// deliver runs the messages of f to the destination: the dry run, or the delivery with its report,
// dead letters, summary and exit code.
func deliver(ctx context.Context, ios *IOStreams, in *destinationInput, d *deliveryFlags, f run.Messages) error {
	d.fromDestination(in)
	cfg, err := d.senderConfig(in.dest, d.concurrency)
	if err != nil {
		return err
	}
	in.announce(ios)
	if d.checkTLS && strings.HasPrefix(in.dest.URL, "https://") {
		r, err := checkTLS(ctx, in.dest.URL, "", "changeit", d.caFile, in.relax, 5*time.Second, "")
		if err != nil {
			return err
		}
		diag := *ios
		diag.Out = ios.ErrOut
		switch {
		case r.Undecided():
			printTLSReport(&diag, r) // not proven refused: said, and the run goes on
		case !r.Accepted():
			printTLSReport(&diag, r)
			return failure(errors.New("--check-tls: the platform would refuse this endpoint's TLS; nothing was sent"))
		default:
			fmt.Fprintf(ios.ErrOut, "--check-tls: the platform would accept the endpoint's TLS (%d listed suites accepted)\n", len(r.AcceptedSuites))
		}
	}
	report := newRunReport(ios, d.output == "json")
	report.lines = d.lines
	report.objectives = d.objectives
	if d.lines == "auto" {
		report.lines = "all"
		if n := f.Size(); !report.json && (n > 100 || d.rate.perSecond > 0 || d.duration > 0) {
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
	for _, out := range []struct{ flag, path string }{{"--latency-csv", d.latencyCSV}, {"--plot", d.plot}, {"--junit", d.junit}, {"--result", resultFile(d.result)}} {
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
		progress = startProgress(ios, report, f.Size(), d.duration)
	}
	if d.rate.perSecond > 0 {
		// A fixed rate's clock starts with its connections open, as many as the workers it starts
		// with: the first messages do not queue behind TLS handshakes (as wrk2 connects first).
		warm, cancel := context.WithTimeout(ctx, 10*time.Second)
		s.Warm(warm, run.OpenLoopWorkers(d.rate.perSecond, d.concurrency))
		cancel()
	}
	report.started = time.Now()
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	report.stop = stopRun
	t := s.Template()
	engine := run.Engine[run.Message, *sender.Result]{
		Options: run.Options{Concurrency: d.concurrency, Rate: d.rate.perSecond, Jitter: d.rate.jitter, Duration: d.duration, Grace: d.grace},
		Feed:    engineFeed{f},
		Deliver: func(ctx context.Context, m run.Message) *sender.Result {
			return s.DeliverRequest(ctx, m.Index, request(t, m))
		},
		Done: func(w int, m run.Message, res *sender.Result, latency time.Duration) {
			report.message(w, res, m, latency)
			m.Release()
		},
	}
	feedErr := engine.Run(runCtx)
	report.waited, report.bound = engine.Waited, d.concurrency
	if progress != nil {
		progress.stop()
	}
	report.interrupted = ctx.Err() != nil
	ok := report.summary(f.Remaining())
	if err := writeLatencyReports(report, d.latencyCSV, d.plot, in.dest.URL); err != nil {
		return failure(err)
	}
	if d.result != "" {
		if err := writeResult(ios, d.result, in.dest.URL, report, d); err != nil {
			return failure(fmt.Errorf("--result: %w", err))
		}
	}
	if d.junit != "" {
		note := fmt.Sprintf("%d messages to %s", report.totals().Messages, in.dest.URL)
		if report.interrupted {
			note += "; judged on what ran before the interrupt"
		}
		if err := writeSLOJUnit(d.junit, in.dest.URL, report, time.Since(report.started), note); err != nil {
			return failure(fmt.Errorf("--junit: %w", err))
		}
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

// writeSLOJUnit writes the run's service level verdicts, over a run that took took, as JUnit XML.
func writeSLOJUnit(path, target string, r *runReport, took time.Duration, note string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("%v", pathError(err))
	}
	defer f.Close()
	return slo.WriteJUnit(f, target, r.started, took, r.verdicts, note)
}

// writeLatencyReports writes --latency-csv and --plot.
func writeLatencyReports(r *runReport, csvPath, plotPath, url string) error {
	lat := r.totals().Latency
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
func request(t *sender.Template, m run.Message) *sender.Request {
	return t.Build(m.Body, m.Overrides)
}

// engineFeed is a feed as the engine takes it.
type engineFeed struct{ f run.Messages }

func (e engineFeed) Next() (run.Message, error) {
	m, err := e.f.Next()
	return m, inputError(err)
}

// inputError turns a line of --payloads that could not be read into the usage error it is, as it
// is when found before the run.
func inputError(err error) error {
	if err == nil {
		return nil // (the hot path: errors.As would cost an allocation a message)
	}
	var ie *run.InputError
	if errors.As(err, &ie) {
		return configErrorf("--payloads: %v", ie.Err)
	}
	return err
}

// Unread gives a message back to the feed; its body, if pooled, is not kept.
func (e engineFeed) Unread(m run.Message) {
	e.f.Unread(m)
	m.Release()
}
