package cmd

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/thingsim/thingsim/internal/slo"
	"github.com/thingsim/thingsim/report"
)

type mergeOptions struct {
	ios        *IOStreams
	files      []string
	output     string
	plot       string
	latencyCSV string
	slos       []string
	junit      string
	objectives []slo.Objective
}

func newMergeCmd(ios *IOStreams) *cobra.Command {
	opts := &mergeOptions{ios: ios}
	c := &cobra.Command{
		Use:   "merge FILE...",
		Short: "Add up the results of a run's shards into the summary of the whole run",
		Long: `Add up the results that the shards of one run wrote with --result (send --shard I/N --result
FILE): the counts, and the latency histograms (HdrHistogram), so that the summary is the one the
whole run would have printed, its percentiles those of every message. - reads standard input,
where other lines (a pod's log around its result) are passed over. Results of different runs, or
a shard given twice, are refused; a missing shard is said. --slo, --junit, --plot and
--latency-csv judge and draw the whole.`,
		Example: `  thingsim merge shard-*.json --slo 'p99<500ms' --junit load.xml
  kubectl logs -l job-name=load --tail=-1 | thingsim merge -`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			opts.files = args
			objectives, err := slo.ParseAll(opts.slos)
			if err != nil {
				return usageErrorf("--slo %v", err)
			}
			opts.objectives = objectives
			if opts.junit != "" && len(objectives) == 0 {
				return usageErrorf("--junit writes the verdicts of --slo: give at least one --slo")
			}
			return runMerge(c.Context(), opts)
		},
	}
	fs := c.Flags()
	enumFlag(fs, &opts.output, "output", "o", "text", []string{"text", "json"}, "output: text or json (the summary event)")
	fs.StringVar(&opts.plot, "plot", "", "draw the latency percentile distribution to `FILE` (.svg or .png)")
	fs.StringVar(&opts.latencyCSV, "latency-csv", "", "write the latency percentile distribution to `FILE` (CSV)")
	fs.StringArrayVar(&opts.slos, "slo", nil, "a service level the whole run must meet, or exit 1 (repeatable), as send's")
	fs.StringVar(&opts.junit, "junit", "", "write the --slo verdicts as JUnit XML to `FILE`")
	return c
}

func runMerge(_ context.Context, opts *mergeOptions) error {
	ios := opts.ios
	var all []report.Result
	for _, path := range opts.files {
		var res []report.Result
		var err error
		if path == "-" {
			res, err = readResults(ios.In, "standard input")
		} else {
			f, ferr := os.Open(path)
			if ferr != nil {
				return configErrorf("%v", pathError(ferr))
			}
			res, err = readResults(f, path)
			f.Close()
		}
		if err != nil {
			return configError(err)
		}
		all = append(all, res...)
	}
	if len(all) == 0 {
		return configErrorf("no result in %s: write them with send --result FILE", strings.Join(opts.files, ", "))
	}
	first := all[0]
	shards := map[int]bool{}
	r := &runReport{ios: ios, json: opts.output == "json", lines: "none", out: ios.Out, started: first.Started}
	r.objectives = opts.objectives
	for _, res := range all {
		switch {
		case res.Run != first.Run || res.Shards != first.Shards:
			return configErrorf("these results are of different runs: shard %d/%d of run %s and shard %d/%d of run %s (the shards of one run share the flags that shape its messages)",
				first.Shard, first.Shards, first.Run, res.Shard, res.Shards, res.Run)
		case shards[res.Shard]:
			return configErrorf("shard %d of %d is given twice", res.Shard, res.Shards)
		}
		shards[res.Shard] = true
		t, err := tallyOf(res)
		if err != nil {
			return configErrorf("shard %d of %d: %v", res.Shard, res.Shards, err)
		}
		r.tallies.Add(t)
		r.waited += res.WaitedForWorker
		r.bound = max(r.bound, res.Concurrency)
		if res.Started.Before(r.started) {
			r.started = res.Started
		}
		if res.Finished.After(r.ended) {
			r.ended = res.Finished
		}
	}
	var missing []string
	for i := range first.Shards {
		if !shards[i] {
			missing = append(missing, fmt.Sprint(i))
		}
	}
	if len(missing) > 0 {
		fmt.Fprintf(ios.ErrOut, "%s shard%s %s of %d missing: the summary is of %d of them\n", ios.errPalette().warn.Sprint("warning:"),
			plural(len(missing)), strings.Join(missing, ", "), first.Shards, len(shards))
	}
	fmt.Fprintf(ios.ErrOut, "merged %d result%s of run %s, to %s\n", len(all), plural(len(all)), first.Run, first.Target)
	ok := r.summary("")
	if err := writeLatencyReports(r, opts.latencyCSV, opts.plot, first.Target); err != nil {
		return failure(err)
	}
	if opts.junit != "" {
		note := fmt.Sprintf("%d shards of a run to %s, merged", len(shards), first.Target)
		if err := writeSLOJUnit(opts.junit, first.Target, r, r.ended.Sub(r.started), note); err != nil {
			return failure(fmt.Errorf("--junit: %w", err))
		}
	}
	if !ok || len(missing) > 0 {
		return errFailed
	}
	return nil
}
