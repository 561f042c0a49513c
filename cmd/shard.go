package cmd

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/thingsim/thingsim/internal/run"
	"github.com/thingsim/thingsim/report"
	"github.com/thingsim/thingsim/sender"
)

// parseShard reads --shard I/N, I from 0; auto/N takes I from JOB_COMPLETION_INDEX, as a
// Kubernetes Indexed Job sets it.
func parseShard(s string) (i, n int, err error) {
	is, ns, ok := strings.Cut(s, "/")
	n, nerr := strconv.Atoi(ns)
	if !ok || nerr != nil || n < 1 || n > 10_000 {
		return 0, 0, usageErrorf("--shard: %q is not I/N, such as 0/4 (the first of four), or auto/4", s)
	}
	if is == "auto" {
		env := os.Getenv("JOB_COMPLETION_INDEX")
		if env == "" {
			return 0, 0, usageErrorf("--shard auto/%d: JOB_COMPLETION_INDEX is not set (a Kubernetes Indexed Job sets it); give the shard's number instead", n)
		}
		is = env
	}
	i, err = strconv.Atoi(is)
	if err != nil || i < 0 || i >= n {
		return 0, 0, usageErrorf("--shard: shard %q is not one of 0 to %d", is, n-1)
	}
	return i, n, nil
}

// runIdentity names a whole run by the flags that shape its messages, the same in every shard of
// it: merge refuses results whose identity differs.
func runIdentity(fs *pflag.FlagSet, shards int) string {
	var parts []string
	for _, name := range []string{"destination", "url", "method", "header", "expect", "count", "payload", "rate", "duration",
		"interval", "burst", "devices", "device", "measure", "profile", "layout", "numbers", "jvm", "seed", "now"} {
		if f := fs.Lookup(name); f != nil && f.Changed {
			parts = append(parts, name+"="+f.Value.String())
		}
	}
	slices.Sort(parts)
	parts = append(parts, fmt.Sprintf("shards=%d", shards))
	sum := sha256.Sum256([]byte(strings.Join(parts, "\n")))
	return hex.EncodeToString(sum[:8])
}

// resultFile is the file --result writes, "" for standard output.
func resultFile(path string) string {
	if path == "-" {
		return ""
	}
	return path
}

// writeResult writes the run's mergeable result to path, or to standard output for "-".
func writeResult(ios *IOStreams, path, target string, r *runReport, d *deliveryFlags) error {
	t := r.totals()
	hist, err := t.Latency.Encode()
	if err != nil {
		return err
	}
	res := report.Result{Event: "result", Run: d.runID, Shard: d.shard, Shards: max(d.shards, 1), Target: target,
		Started: r.started.UTC(), LastDeparture: t.LastDeparture.UTC(), Finished: time.Now().UTC(), Messages: t.Messages,
		Delivered: t.Outcomes[sender.Delivered], UnexpectedStatus: t.Outcomes[sender.UnexpectedStatus],
		Discarded: t.Outcomes[sender.Discarded], Interrupted: t.Outcomes[sender.Interrupted], Attempts: t.Attempts,
		Statuses: statusCounts(t), Errors: errorCounts(t), Histogram: hist, Concurrency: d.concurrency, WaitedForWorker: r.waited}
	b, _ := json.Marshal(res)
	b = append(b, '\n')
	if path == "-" {
		_, err := ios.Out.Write(b)
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// readResults reads the result lines of r (other lines, such as a pod's log around them, are
// passed over, a line at a time), naming where in errors.
func readResults(r io.Reader, where string) ([]report.Result, error) {
	var out []report.Result
	br := bufio.NewReader(r)
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
		if trimmed := bytes.TrimSpace(line); bytes.HasPrefix(trimmed, []byte(`{"event":"result"`)) {
			var res report.Result
			if err := json.Unmarshal(trimmed, &res); err != nil {
				return nil, fmt.Errorf("%s line %d: not a result: %v", where, n, err)
			}
			out = append(out, res)
		}
		switch {
		case errors.Is(err, io.EOF):
			return out, nil
		case err != nil:
			return nil, fmt.Errorf("%s: %v", where, err)
		}
	}
}

// tallyOf reads a result back into a tally.
func tallyOf(res report.Result) (*run.Tally, error) {
	t := run.NewTally()
	lat, err := run.DecodeLatencies(res.Histogram)
	if err != nil {
		return nil, fmt.Errorf("its latency histogram: %v", err)
	}
	t.Latency = lat
	t.Messages, t.Attempts, t.LastDeparture = res.Messages, res.Attempts, res.LastDeparture
	t.Outcomes[sender.Delivered] = res.Delivered
	t.Outcomes[sender.UnexpectedStatus] = res.UnexpectedStatus
	t.Outcomes[sender.Discarded] = res.Discarded
	t.Outcomes[sender.Interrupted] = res.Interrupted
	for code, n := range res.Statuses {
		c, err := strconv.Atoi(code)
		if err != nil {
			return nil, fmt.Errorf("status %q", code)
		}
		t.Statuses[c] = n
	}
	for kind, n := range res.Errors {
		t.Errors[sender.ErrorKind(kind)] = n
	}
	return t, nil
}
