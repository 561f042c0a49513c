package cmd

import (
	"context"
	"fmt"
	"github.com/thingsim/thingsim/internal/run"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/thingsim/thingsim/internal/localca"
	"github.com/thingsim/thingsim/sender"
)

type demoOptions struct {
	ios   *IOStreams
	count int64
	gen   generatorFlags
}

func newDemoCmd(ios *IOStreams, runF func(context.Context, *demoOptions) error) *cobra.Command {
	opts := &demoOptions{ios: ios}
	c := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole flow on loopback, with no set-up",
		Long: `Run the whole flow on this machine, with no set-up and no network beyond loopback:
an HTTPS endpoint on 127.0.0.1 with a throwaway CA, which verifies every token over the raw
body and refuses the first attempt of one message so that a retry is seen; then generated
packs sent to it through the same sender as 'thingsim send', each request shown with its
token, the endpoint's verdict and the outcome.`,
		Example: `  thingsim demo
  thingsim demo --count 3 --profile lora-geo --layout merged`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runDemo(c.Context(), opts)
		},
	}
	c.Flags().Var(newCountValue(&opts.count, 5), "count", "packs to send")
	opts.gen.register(c.Flags())
	c.Flags().Set("devices", "3")
	c.Flags().Lookup("devices").DefValue = "3"
	c.Flags().Lookup("devices").Changed = false
	return c
}

// demoEndpoint is the demo's receiver: it verifies the token of every request over the raw body
// and refuses the first attempt of one message.
type demoEndpoint struct {
	secret   sender.Secret
	plug     string
	refuseAt int // the request (0-based) answered 503

	mu       sync.Mutex
	requests int
	verdicts []string
}

func (e *demoEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	e.mu.Lock()
	n := e.requests
	e.requests++
	e.mu.Unlock()
	status, verdict := http.StatusOK, ""
	token := r.Header.Get(sender.TokenHeader)
	switch {
	case err != nil:
		status, verdict = http.StatusBadRequest, "could not read the body: "+err.Error()
	case r.Header.Get(sender.PlugHeader) != e.plug:
		status, verdict = http.StatusUnauthorized, "unknown plug UUID "+r.Header.Get(sender.PlugHeader)
	case token == "":
		status, verdict = http.StatusUnauthorized, "no Things-Message-Token"
	case !sender.Verify(body, e.secret, token):
		status, verdict = http.StatusUnauthorized, "token does not match the body"
	case n == e.refuseAt:
		status, verdict = http.StatusServiceUnavailable, fmt.Sprintf("token valid over the %d body bytes; refusing this first attempt on purpose", len(body))
	default:
		verdict = fmt.Sprintf("token valid over the %d body bytes", len(body))
	}
	e.mu.Lock()
	e.verdicts = append(e.verdicts, fmt.Sprintf("%s → %d", verdict, status))
	e.mu.Unlock()
	w.WriteHeader(status)
}

// takeVerdicts returns the verdicts since the last call.
func (e *demoEndpoint) takeVerdicts() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	v := e.verdicts
	e.verdicts = nil
	return v
}

func runDemo(ctx context.Context, opts *demoOptions) error {
	ios := opts.ios
	src, err := opts.gen.source()
	if err != nil {
		return err
	}
	secret, err := sender.NewSharedSecret(40)
	if err != nil {
		return failure(err)
	}
	ca, err := localca.New("thingsim demo")
	if err != nil {
		return failure(err)
	}
	tlsCfg, err := ca.ServerConfig()
	if err != nil {
		return failure(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return failure(fmt.Errorf("demo endpoint: %w", err))
	}
	dest := &sender.Destination{
		Name:     "thingsim demo",
		URL:      "https://" + l.Addr().String() + "/thingsdata",
		Method:   "POST",
		Headers:  []sender.Header{{Name: "Test-header", Value: "Hello world"}},
		Secret:   secret,
		PlugUUID: "fbc063cb-4dd4-41b3-917a-e2d1ea907f75",
	}
	endpoint := &demoEndpoint{secret: secret, plug: dest.PlugUUID, refuseAt: 2}
	if opts.count < 3 {
		endpoint.refuseAt = 0
	}
	srv := &http.Server{Handler: endpoint, TLSConfig: tlsCfg, ErrorLog: log.New(io.Discard, "", 0), ReadHeaderTimeout: 5 * time.Second}
	go srv.ServeTLS(l, "", "")
	defer srv.Close()

	if _, err := dest.Check(true); err != nil {
		return failure(err)
	}
	report := newRunReport(ios, false)
	p := ios.outPalette()
	s, err := sender.New(sender.Config{
		Destination: dest,
		Transport:   sender.NewFastTransport(sender.HTTPOptions{RootCAs: ca.Pool()}),
		Backoff:     []time.Duration{200 * time.Millisecond, 400 * time.Millisecond},
		UserAgent:   userAgent(),
		OnAttempt: func(msg int, a sender.Attempt) {
			for _, v := range endpoint.takeVerdicts() {
				fmt.Fprintf(ios.Out, "  %s %s\n", p.dim.Sprint("endpoint:"), v)
			}
			if !a.OK {
				fmt.Fprintf(ios.Out, "  %s attempt %d/%d failed (%s); the platform retries\n", p.dim.Sprint("sender:"), a.Number, sender.MaxAttempts, describeAttempt(a))
			}
		},
	})
	if err != nil {
		return failure(err)
	}
	report.sender = s

	fmt.Fprintf(ios.Out, "%s the platform's side of an HTTPS destination, on loopback\n", p.bold.Sprint("thingsim demo:"))
	fmt.Fprintf(ios.Out, "  endpoint     %s (throwaway CA; verifies every token over the raw body)\n", dest.URL)
	fmt.Fprintf(ios.Out, "  destination  %q: %s, expects %d, plug UUID %s\n", dest.Name, dest.HTTPMethod(), dest.Expected(), dest.PlugUUID)
	fmt.Fprintf(ios.Out, "  secret       %d random characters, known to both sides, never shown\n", len(secret.Reveal()))
	fmt.Fprintf(ios.Out, "  retries      up to %d attempts; waits shortened to 200ms and 400ms for the demo\n", sender.MaxAttempts)

	t := s.Template()
	for i := int64(0); i < opts.count && ctx.Err() == nil; i++ {
		body, device := src.Next(nil)
		req := t.New(body)
		fmt.Fprintf(ios.Out, "\n%s\n", p.bold.Sprintf("── message #%d: %s", i, device))
		fmt.Fprintf(ios.Out, "%s\n", indent(t.Dump(req)))
		res := s.DeliverRequest(ctx, int(i), req)
		report.message(0, res, run.Message{Index: int(i), Body: body, Device: device}, res.Latency)
	}
	fmt.Fprintln(ios.Out)
	ok := report.summary("")
	switch {
	case ctx.Err() != nil:
		return errInterrupted
	case !ok:
		return errFailed
	}
	fmt.Fprintf(ios.Out, "\nNext: point it at your endpoint with\n  thingsim send --url https://YOUR-HOST/PATH --secret-file SECRET-FILE --count 5\n")
	return nil
}

// indent prefixes every line of a request dump, so that it stands apart from the verdicts.
func indent(b []byte) string {
	out := make([]byte, 0, len(b)+64)
	out = append(out, "  "...)
	for _, c := range b {
		out = append(out, c)
		if c == '\n' {
			out = append(out, "  "...)
		}
	}
	return string(out)
}
