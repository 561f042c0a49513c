package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/thingsim/thingsim/internal/audit"
	"github.com/thingsim/thingsim/internal/tlscheck"
	"github.com/thingsim/thingsim/report"
)

type auditOptions struct {
	ios        *IOStreams
	dest       destinationFlags
	conn       connectionFlags
	only       []string
	skip       []string
	junit      string
	output     string
	strictPlug bool
	jvm        int
	payload    []string
	payloads   string
	confirm    string
	confirmFor time.Duration
}

func newAuditCmd(ios *IOStreams, runF func(context.Context, *auditOptions) error) *cobra.Command {
	opts := &auditOptions{ios: ios}
	c := &cobra.Command{
		Use:   "audit",
		Short: "Check that an endpoint accepts what it must and refuses what it must",
		Long: `Check how an endpoint behaves as a receiver of the platform's HTTPS destination: that it
accepts valid packs in every shape the platform sends, byte for byte (Java-style numbers,
escapes, member order), and refuses a wrong, missing or foreign token and a tampered body
with a 4xx. Each check is reported with its evidence, what was sent and what came back.

Required checks (a failure exits 1): valid-legacy, valid-merged, profiles, java-numbers,
byte-variants, wrong-token, missing-token, other-secret, tampered-body. The others warn:
uppercase-token, unknown-plug (with --strict-plug), duplicate, method-body, latency, tls.

Give audit the packs your endpoint really gets (--payload FILE, repeatable, or --payloads FILE
with one pack a line): every probe derives from them, each is sent in both layouts, and a
refusal is diagnosed against them. Without them audit generates a measurements pack, which an
endpoint that decodes its packs may refuse for its content; audit then says it cannot tell.

A refusal of forged data counts only when the same pack, correctly signed (the control), was
accepted or refused with another status. A refused valid pack is sent again with a wrong token:
another answer proves the token verified and the content was refused. Every failed or warned
check names its cause (JSON "cause", JUnit failure type).

A 2xx proves a pack was taken, not stored: --confirm CMD runs CMD with sh -c after each
accepted valid pack until it exits 0 (the pack is in THINGSIM_DEVICE, THINGSIM_TIME,
THINGSIM_PLUG_UUID, THINGSIM_CHECK and THINGSIM_BODY_FILE), or fails the check as not_stored
after --confirm-timeout.

Exit 0 when every required check passes; 1 when one fails with evidence against the endpoint;
3 when none fails but some are undecided (nothing proven either way); 2 when the destination
breaks the platform's rules or a flag is wrong: then nothing is sent. The checks that send bad
data send one request each.`,
		Example: `  thingsim audit --destination staging.yaml --payload capture-body.json --junit audit.xml
  thingsim audit --destination staging.yaml --junit audit.xml
  thingsim audit --url https://staging.example.com/things --secret-env THINGS_SECRET --only wrong-token,missing-token
  thingsim audit --destination local.yaml --relax --ca-file ca.pem --timeouts 2s --backoff 100ms --output json
  thingsim audit --destination staging.yaml --confirm 'curl -sf "$API/devices/$THINGSIM_DEVICE/latest"'`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := opts.conn.check(); err != nil {
				return err
			}
			for _, list := range [][]string{opts.only, opts.skip} {
				for _, name := range list {
					if !contains(audit.Names(), name) {
						return usageErrorf("no check is named %q (the checks: %s)", name, strings.Join(audit.Names(), ", "))
					}
				}
			}
			if err := opts.dest.oneStdinReader("packs", append(opts.payload, opts.payloads)...); err != nil {
				return err
			}
			if _, err := javaNumbers(opts.jvm); err != nil {
				return err
			}
			if opts.confirmFor <= 0 {
				return usageErrorf("--confirm-timeout: %v is not a duration above zero", opts.confirmFor)
			}
			if c.Flags().Changed("confirm") && strings.TrimSpace(opts.confirm) == "" {
				return usageErrorf("--confirm: the command is empty")
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runAudit(c.Context(), opts)
		},
	}
	fs := c.Flags()
	opts.dest.register(c)
	opts.conn.register(fs)
	fs.StringSliceVar(&opts.only, "only", nil, "run only these checks (comma-separated names)")
	fs.StringSliceVar(&opts.skip, "skip", nil, "skip these checks (comma-separated names)")
	fs.StringVar(&opts.junit, "junit", "", "write the results as JUnit XML to `FILE`, one testcase per check")
	enumFlag(fs, &opts.output, "output", "o", "text", []string{"text", "json"}, "output: text or json (JSON lines)")
	fs.BoolVar(&opts.strictPlug, "strict-plug", false, "expect the endpoint to refuse an unknown plug UUID (runs unknown-plug)")
	fs.StringArrayVar(&opts.payload, "payload", nil, "derive the probes from the pack in `FILE` (- for standard input; repeatable; one trailing newline is dropped)")
	fs.StringVar(&opts.payloads, "payloads", "", "derive the probes from the packs of `FILE`, one a line (- for standard input)")
	fs.IntVar(&opts.jvm, "jvm", 21, jvmUsage)
	fs.StringVar(&opts.confirm, "confirm", "", "after each accepted valid pack, run `CMD` with sh -c until it exits 0: proof that the pack was stored (it gets THINGSIM_DEVICE, THINGSIM_TIME, THINGSIM_PLUG_UUID, THINGSIM_CHECK and THINGSIM_BODY_FILE)")
	fs.DurationVar(&opts.confirmFor, "confirm-timeout", 10*time.Second, "how long --confirm's command may take to succeed before the pack counts as not stored")
	return c
}

func runAudit(ctx context.Context, opts *auditOptions) error {
	ios := opts.ios
	in, err := opts.dest.build(ios.In)
	if err != nil {
		return err
	}
	if err := in.check(ios, in.relax); err != nil {
		return err
	}
	opts.conn.fromDestination(in)
	cfg, err := opts.conn.senderConfig(in.dest, 2)
	if err != nil {
		return err
	}
	templates, err := opts.templates()
	if err != nil {
		return err
	}
	numbers, err := javaNumbers(opts.jvm)
	if err != nil {
		return err
	}
	var junitFile *os.File
	if opts.junit != "" {
		// Opened before anything is sent: a report that cannot be written is a usage error.
		if junitFile, err = os.Create(opts.junit); err != nil {
			return configErrorf("--junit: %v", pathError(err))
		}
		defer junitFile.Close()
	}
	var names []string
	for _, n := range audit.Names() {
		if (len(opts.only) == 0 || contains(opts.only, n)) && !contains(opts.skip, n) {
			names = append(names, n)
		}
	}
	e := ios.errPalette()
	in.announce(ios)
	fmt.Fprintf(ios.ErrOut, "auditing %s %s: %d checks; the ones that send bad data send one request each\n", in.dest.HTTPMethod(), in.dest.URL, len(names))
	for _, line := range audit.Plan(names) {
		fmt.Fprintf(ios.ErrOut, "%s\n", e.dim.Sprint("  "+line))
	}
	p := ios.outPalette()
	started := time.Now()
	results, runErr := audit.Run(ctx, audit.Config{
		Destination: in.dest,
		Templates:   templates,
		Transport:   cfg.Transport,
		Attempts:    cfg.Attempts,
		Timeouts:    cfg.Timeouts,
		Backoff:     cfg.Backoff,
		UserAgent:   cfg.UserAgent,
		StrictPlug:  opts.strictPlug,
		Numbers:     numbers,
		Confirm:     opts.confirmFunc(),
		TLS: func(ctx context.Context) (*tlscheck.Report, error) {
			return checkTLS(ctx, in.dest.URL, "", "changeit", opts.conn.caFile, in.relax, 5*time.Second, "")
		},
		Checks: names,
		OnResult: func(r audit.Result) {
			if opts.output == "json" {
				b, _ := json.Marshal(report.Check{Event: "check", Name: r.Name, Result: string(r.Outcome), Cause: string(r.Cause), Required: r.Required, Message: r.Message, Evidence: r.Evidence})
				fmt.Fprintln(ios.Out, string(b))
				return
			}
			printCheck(ios, p, r)
		},
	})
	var templateErr *audit.TemplateError
	switch {
	case errors.As(runErr, &templateErr):
		return configErrorf("pack %v", templateErr)
	case runErr != nil && ctx.Err() == nil:
		return failure(runErr)
	}
	sum := report.AuditSummary{Event: "summary", Result: "pass", Checks: len(results)}
	for _, r := range results {
		switch r.Outcome {
		case audit.Pass:
			sum.Passed++
		case audit.Fail:
			sum.Failed++
		case audit.Undecided:
			sum.Undecided++
		case audit.Warn:
			sum.Warnings++
		case audit.Skip:
			sum.Skipped++
		}
	}
	code := audit.ExitCode(results)
	switch code {
	case 1:
		sum.Result = "fail"
	case 3:
		sum.Result = "undecided"
	}
	if opts.output == "json" {
		b, _ := json.Marshal(sum)
		fmt.Fprintln(ios.Out, string(b))
	} else {
		mark := p.ok.Sprint("✓")
		verdict := "the endpoint passes every required check"
		if sum.Warnings > 0 {
			mark = p.warn.Sprint("!")
			verdict = fmt.Sprintf("the endpoint passes every required check, with %d warning%s to read", sum.Warnings, plural(sum.Warnings))
		}
		switch code {
		case 1:
			mark = p.bad.Sprint("✗")
			verdict = fmt.Sprintf("the endpoint fails %d required check%s", sum.Failed, plural(sum.Failed))
		case 3:
			mark = p.warn.Sprint("?")
			verdict = fmt.Sprintf("nothing was proven against the endpoint, but %d required check%s could not decide", sum.Undecided, plural(sum.Undecided))
		}
		undecided := ""
		if sum.Undecided > 0 {
			undecided = fmt.Sprintf(", %d undecided", sum.Undecided)
		}
		fmt.Fprintf(ios.Out, "\n%s %s: %d passed, %d failed%s, %d warnings, %d skipped\n", mark, verdict, sum.Passed, sum.Failed, undecided, sum.Warnings, sum.Skipped)
	}
	if junitFile != nil {
		if err := audit.WriteJUnit(junitFile, in.dest.URL, started, results); err != nil {
			return failure(fmt.Errorf("writing %s: %w", opts.junit, err))
		}
	}
	switch {
	case ctx.Err() != nil:
		return errInterrupted
	case code == 1:
		return errFailed
	case code == 3:
		return errUndecided
	}
	return nil
}

// printCheck writes a check's line and, when it did not pass, its evidence.
func printCheck(ios *IOStreams, p palette, r audit.Result) {
	var mark string
	switch r.Outcome {
	case audit.Pass:
		mark = p.ok.Sprint("✓")
	case audit.Fail:
		mark = p.bad.Sprint("✗")
	case audit.Warn:
		mark = p.warn.Sprint("!")
	case audit.Undecided:
		mark = p.warn.Sprint("?")
	default:
		mark = p.dim.Sprint("-")
	}
	fmt.Fprintf(ios.Out, "%s %-16s %s\n", mark, r.Name, wireText(r.Message))
	if r.Cause != "" {
		fmt.Fprintf(ios.Out, "  %s\n", p.dim.Sprint("cause: "+string(r.Cause)))
	}
	if r.Outcome == audit.Fail || r.Outcome == audit.Warn || r.Outcome == audit.Undecided {
		for _, line := range audit.EvidenceLines(r.Evidence) {
			fmt.Fprintf(ios.Out, "  %s\n", p.dim.Sprint(wireText(line)))
		}
	}
}

// maxTemplates bounds the packs audit derives from: each costs at least two valid requests.
const maxTemplates = 50

// templates reads the packs of --payload and --payloads.
func (opts *auditOptions) templates() ([]audit.Template, error) {
	var out []audit.Template
	for _, path := range opts.payload {
		body, where, err := readPayload(opts.ios, path)
		if err != nil {
			return nil, err
		}
		body = bytes.TrimSuffix(bytes.TrimSuffix(body, []byte("\n")), []byte("\r"))
		out = append(out, audit.Template{Origin: where, Body: body})
	}
	if opts.payloads != "" {
		lf, err := openLinesFeed(opts.ios.context(), opts.payloads, opts.ios.In)
		if err != nil {
			return nil, err
		}
		defer lf.Close()
		for {
			it, err := lf.Item()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, configErrorf("--payloads: %v", err)
			}
			out = append(out, audit.Template{Origin: fmt.Sprintf("%s line %d", lf.Where(), it.Line), Body: it.Body})
			if len(out) > maxTemplates {
				break
			}
		}
		if len(out) == len(opts.payload) {
			return nil, configErrorf("--payloads: %s holds no pack", lf.Where())
		}
	}
	if len(out) > maxTemplates {
		return nil, configErrorf("more than %d packs: audit derives its probes from at most %d (each is sent in both layouts)", maxTemplates, maxTemplates)
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
