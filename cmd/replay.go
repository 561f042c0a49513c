package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/thingsim/thingsim/internal/capture"
	"github.com/thingsim/thingsim/internal/run"
	"github.com/thingsim/thingsim/report"
	"github.com/thingsim/thingsim/sender"
	"github.com/thingsim/thingsim/senmlgen"
)

type replayOptions struct {
	ios          *IOStreams
	dest         destinationFlags
	delivery     deliveryFlags
	onlyVerified bool
	keepToken    bool
	keepPlug     bool
	keepHeaders  bool
	strict       bool
	checkSecret  string
	limit        int64
	filterDevice string
	sources      []string
}

func newReplayCmd(ios *IOStreams, runF func(context.Context, *replayOptions) error) *cobra.Command {
	opts := &replayOptions{ios: ios}
	c := &cobra.Command{
		Use:   "replay [destination flags] SOURCE...",
		Short: "Send captured payloads again, bytes unchanged",
		Long: `Send captured payloads again through the same sender as 'thingsim send' (rules, retries,
outcomes, JSON events, dead letters, exit codes), each body byte for byte as captured.

A SOURCE is told by its content: a capture file of 'receive' or a dead-letter file of 'send'
(message records), a folder of body files (sorted by name), a body file (less one trailing
newline), a file of bodies one per line, raw HTTP requests as the platform's documentation
shows them (Content-Length honoured), a HAR 1.2 file, webhook.site's export of a token's
requests (the JSON of GET /token/{id}/requests), or - for bodies on standard input.

The token is signed again with the destination's secret, unless --keep-token sends the
captured one (to check that an endpoint refuses a token of a rotated secret). The plug UUID
is the destination's unless --keep-plug; captured extra headers go only with --keep-headers.
A record that cannot be replayed is named with its file and line; the rest still go, and the
run exits 1 at the end (--strict stops at the first).`,
		Example: `  thingsim replay --destination staging.yaml capture.jsonl
  thingsim replay --destination staging.yaml --keep-token --only-verified capture.jsonl
  thingsim replay --url https://staging.example.com/things --secret-file new-secret dead.jsonl
  thingsim replay --destination d.yaml --check-token-secret-file old-secret --dry-run capture.jsonl`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			opts.sources = args
			if err := opts.delivery.check(); err != nil {
				return err
			}
			opts.delivery.shards = 1
			opts.delivery.runID = runIdentity(c.Flags(), 1) + "-" + strings.Join(args, ",")
			if opts.limit < 0 {
				return usageErrorf("--limit: must not be negative")
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runReplay(c.Context(), opts)
		},
	}
	fs := c.Flags()
	opts.dest.register(c)
	opts.delivery.register(fs, 1)
	fs.BoolVar(&opts.onlyVerified, "only-verified", false, "replay only records whose token the receiver found valid")
	fs.BoolVar(&opts.keepToken, "keep-token", false, "send the captured token unchanged instead of signing again")
	fs.BoolVar(&opts.keepPlug, "keep-plug", false, "send the captured plug UUID instead of the destination's")
	fs.BoolVar(&opts.keepHeaders, "keep-headers", false, "send the captured extra headers too (not the platform's own, not redacted ones)")
	fs.BoolVar(&opts.strict, "strict", false, "stop at the first record that cannot be replayed")
	fs.StringVar(&opts.checkSecret, "check-token-secret-file", "", "report whether each captured token is valid under the secret in `FILE`")
	fs.Var(newCountValue(&opts.limit, 0), "limit", "replay at most this many messages (0: all)")
	fs.StringVar(&opts.filterDevice, "filter-device", "", "replay only packs of this base name (exact: urn:dev:DEVEUI:0123456789ABCDEF:)")
	return c
}

func runReplay(ctx context.Context, opts *replayOptions) error {
	ios := opts.ios.withLockedOut()
	if err := opts.dest.oneStdinReader("sources", opts.sources...); err != nil {
		return err
	}
	// Every source must open before anything is sent.
	var sources []capture.Source
	defer func() {
		for _, s := range sources {
			s.Close()
		}
	}()
	for _, path := range opts.sources {
		s, err := capture.OpenContext(ios.context(), path, ios.In)
		if err != nil {
			return configErrorf("source %v", err)
		}
		sources = append(sources, s)
	}
	in, err := opts.dest.build(ios.In)
	if err != nil {
		return err
	}
	if err := in.check(ios, in.relax); err != nil {
		return err
	}
	f := &replayFeed{ios: ios, opts: opts, sources: sources, names: opts.sources, dest: in.dest}
	if opts.checkSecret != "" {
		s, err := sender.ReadSecretFile(opts.checkSecret)
		if err != nil {
			return configErrorf("--check-token-secret-file: %v", err)
		}
		f.check = &s
	}
	for i, s := range sources {
		fmt.Fprintf(ios.ErrOut, "replaying %s: %s\n", opts.sources[i], s.Kind())
	}
	err = deliver(ctx, ios, in, &opts.delivery, f)
	f.summary()
	if err == nil && f.bad > 0 {
		return errFailed
	}
	return err
}

// replayFeed turns the items of the sources into messages, in order, applying the filters and
// what is kept of each captured request.
type replayFeed struct {
	ios     *IOStreams
	opts    *replayOptions
	sources []capture.Source
	names   []string
	dest    *sender.Destination
	check   *sender.Secret

	cur      int
	n        int64
	pending  *run.Message
	stopped  string // where the run stopped early
	bad      int
	skipped  int
	filtered int
}

func (f *replayFeed) Next() (run.Message, error) {
	if f.pending != nil {
		m := *f.pending
		f.pending = nil
		return m, nil
	}
	for f.cur < len(f.sources) {
		if f.opts.limit > 0 && f.n >= f.opts.limit {
			return run.Message{}, io.EOF
		}
		it, err := f.sources[f.cur].Next()
		var p *capture.Problem
		switch {
		case errors.Is(err, io.EOF):
			f.cur++
			continue
		case errors.As(err, &p) && p.Skip:
			f.skipped++
			fmt.Fprintf(f.ios.ErrOut, "note: %s (skipped)\n", p)
			continue
		case err != nil:
			f.bad++
			fmt.Fprintf(f.ios.ErrOut, "%s %v\n", f.ios.errPalette().bad.Sprint("bad record:"), err)
			if f.opts.strict {
				f.stopped = "the records after it (--strict)"
				return run.Message{}, fmt.Errorf("stopped at the first bad record (--strict): %v", err)
			}
			if p == nil {
				f.cur++ // a read error: the rest of this source is lost
			}
			continue
		}
		m, ok := f.message(it)
		if !ok {
			continue
		}
		f.n++
		return m, nil
	}
	return run.Message{}, io.EOF
}

// message applies the filters and the keep flags to an item; false means it is not replayed.
func (f *replayFeed) message(it capture.Item) (run.Message, bool) {
	if f.opts.onlyVerified && it.Verdict != "valid" {
		f.filtered++
		return run.Message{}, false
	}
	rep := senmlgen.Validate(it.Body)
	if f.opts.filterDevice != "" && rep.BaseName != f.opts.filterDevice {
		f.filtered++
		return run.Message{}, false
	}
	m := run.Message{Index: int(f.n), Body: it.Body, Device: rep.BaseName, Origin: it.Origin}
	if f.opts.keepToken {
		if it.Token == "" {
			f.bad++
			fmt.Fprintf(f.ios.ErrOut, "%s %s: no captured token to keep (--keep-token)\n", f.ios.errPalette().bad.Sprint("bad record:"), it.Origin)
			return run.Message{}, false
		}
		m.Overrides.KeepToken, m.Overrides.Token = true, it.Token
	}
	if f.opts.keepPlug && it.PlugUUID != "" {
		m.Overrides.PlugUUID = it.PlugUUID
	}
	if f.opts.keepHeaders {
		m.Overrides.Extra = f.extraHeaders(it.Headers)
	}
	if f.check != nil {
		f.reportCheck(m, it)
	}
	return m, true
}

// platformHeaders are set by the sender or the connection, never kept from a capture.
var platformHeaders = []string{"Host", "Content-Length", "Content-Type", "Transfer-Encoding", "Connection", "User-Agent",
	"Accept-Encoding", "Authorization", "Proxy-Authorization", "X-API-Key", sender.PlugHeader, sender.TokenHeader}

// extraHeaders returns the captured headers a replay may forward: not the platform's own, not
// the destination's, not redacted ones.
func (f *replayFeed) extraHeaders(hs []sender.Header) []sender.Header {
	var out []sender.Header
next:
	for _, h := range hs {
		if strings.Contains(h.Value, "[redacted]") {
			continue
		}
		for _, p := range platformHeaders {
			if strings.EqualFold(h.Name, p) {
				continue next
			}
		}
		for _, d := range f.dest.Headers {
			if strings.EqualFold(h.Name, d.Name) {
				continue next
			}
		}
		out = append(out, h)
	}
	return out
}

func (f *replayFeed) reportCheck(m run.Message, it capture.Item) {
	valid := it.Token != "" && sender.Verify(it.Body, *f.check, it.Token)
	if f.opts.delivery.output == "json" {
		b, _ := json.Marshal(report.TokenCheck{Event: "token_check", Message: m.Index, Origin: it.Origin, Token: it.Token, Valid: valid})
		fmt.Fprintln(f.ios.Out, string(b))
		return
	}
	p := f.ios.outPalette()
	switch {
	case it.Token == "":
		fmt.Fprintf(f.ios.Out, "%s #%d %s: no captured token\n", p.warn.Sprint("?"), m.Index, it.Origin)
	case valid:
		fmt.Fprintf(f.ios.Out, "%s #%d %s: captured token valid under %s\n", p.ok.Sprint("✓"), m.Index, it.Origin, f.opts.checkSecret)
	default:
		fmt.Fprintf(f.ios.Out, "%s #%d %s: captured token not valid under %s\n", p.bad.Sprint("✗"), m.Index, it.Origin, f.opts.checkSecret)
	}
}

func (f *replayFeed) Unread(m run.Message) { f.pending = &m }

func (f *replayFeed) Remaining() string {
	switch {
	case f.stopped != "":
		return f.stopped
	case f.pending != nil:
		return f.pending.Origin + " and what follows it"
	case f.cur < len(f.sources) && (f.opts.limit == 0 || f.n < f.opts.limit):
		return "the rest of " + f.names[f.cur]
	}
	return ""
}

func (f *replayFeed) Close() {}

func (f *replayFeed) Size() int64 { return -1 }

// summary says what was not replayed and why.
func (f *replayFeed) summary() {
	var parts []string
	if f.filtered > 0 {
		parts = append(parts, fmt.Sprintf("%d filtered out", f.filtered))
	}
	if f.skipped > 0 {
		parts = append(parts, fmt.Sprintf("%d without a body, skipped", f.skipped))
	}
	if f.bad > 0 {
		parts = append(parts, fmt.Sprintf("%d bad record%s", f.bad, plural(f.bad)))
	}
	if len(parts) > 0 {
		fmt.Fprintf(f.ios.ErrOut, "not replayed: %s\n", strings.Join(parts, ", "))
	}
}

// lockedWriter serialises writes from the feed and the delivering workers.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// withLockedOut returns streams whose stdout and stderr are safe for concurrent writers.
func (s *IOStreams) withLockedOut() *IOStreams {
	c := *s
	c.Out = &lockedWriter{w: s.Out}
	c.ErrOut = &lockedWriter{w: s.ErrOut}
	return &c
}
