package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/thingsim/thingsim/internal/tlscheck"
)

type checkTLSOptions struct {
	ios        *IOStreams
	url        string
	truststore string
	password   string
	caFile     string
	relax      bool
	timeout    time.Duration
	output     string
	connect    string
}

func newCheckTLSCmd(ios *IOStreams, runF func(context.Context, *checkTLSOptions) error) *cobra.Command {
	opts := &checkTLSOptions{ios: ios}
	c := &cobra.Command{
		Use:   "check-tls URL",
		Short: "Tell whether the platform's TLS policy would accept an endpoint",
		Long: `Tell whether the platform's TLS policy would accept an endpoint, before going live: a
certificate signed by a CA in the default Java trust store (never self-signed), TLS 1.2 or
newer, and at least one cipher suite of the platform's list of 41.

Every listed suite is probed one by one with a hand-built TLS 1.2 ClientHello shaped as a Java
client's, so that suites Go does not implement (DHE, CAMELLIA, CCM) are seen too. The verdict
comes first, with each reason and what to change. Exit 0 accept, 1 refuse (also when nothing
answers), 3 undecided (the listed suites it accepts are none a stock Java client has), 2 usage.`,
		Example: `  thingsim check-tls https://things.example.com/
  thingsim check-tls https://things.example.com/ --connect 203.0.113.7:443
  thingsim check-tls https://staging.example.com:8443/things --relax --ca-file staging-ca.pem --output json`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			opts.url = args[0]
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runCheckTLS(c.Context(), opts)
		},
	}
	fs := c.Flags()
	fs.StringVar(&opts.truststore, "truststore", "", "the Java trust store to judge by: JKS, PKCS#12 or PEM `FILE` (default: this machine's)")
	fs.StringVar(&opts.password, "truststore-password", "changeit", "password of a PKCS#12 trust store")
	fs.StringVar(&opts.caFile, "ca-file", "", "also trust the CA certificates of PEM `FILE`, as send does (never a self-signed server certificate)")
	fs.BoolVar(&opts.relax, "relax", false, "a port other than 443 is a warning, not a reason, for local and staging servers")
	fs.DurationVar(&opts.timeout, "timeout", 5*time.Second, "timeout of each probe")
	fs.StringVar(&opts.connect, "connect", "", "connect to `HOST:PORT` instead of the URL's host, which stays the name asked for: a server checked before DNS points at it")
	enumFlag(fs, &opts.output, "output", "o", "text", []string{"text", "json"}, "output: text or json")
	return c
}

func runCheckTLS(ctx context.Context, opts *checkTLSOptions) error {
	r, err := checkTLS(ctx, opts.url, opts.truststore, opts.password, opts.caFile, opts.relax, opts.timeout, opts.connect)
	if err != nil {
		return err
	}
	if opts.output == "json" {
		b, _ := json.Marshal(r)
		fmt.Fprintln(opts.ios.Out, string(b))
	} else {
		printTLSReport(opts.ios, r)
	}
	if ctx.Err() != nil {
		return errInterrupted
	}
	switch {
	case r.Undecided():
		return errUndecided
	case !r.Accepted():
		return errFailed
	}
	return nil
}

// checkTLS runs the check with the trust settings of the flags; connect, when set, is where to
// connect instead of the URL's host.
func checkTLS(ctx context.Context, url, truststore, password, caFile string, relax bool, timeout time.Duration, connect string) (*tlscheck.Report, error) {
	cfg := tlscheck.Config{URL: url, Relax: relax, Timeout: timeout, Connect: connect}
	if truststore != "" {
		ts, err := tlscheck.LoadTrustStore(truststore, password)
		if err != nil {
			return nil, configErrorf("--truststore: %v", err)
		}
		cfg.Java = ts
	}
	if caFile != "" {
		ts, err := tlscheck.LoadTrustStore(caFile, "")
		if err != nil {
			return nil, configErrorf("--ca-file: %v", err)
		}
		cfg.ExtraRoots = ts.Certs
	}
	r, err := tlscheck.Check(ctx, cfg)
	if errors.Is(err, tlscheck.ErrUsage) {
		return nil, usageErrorf("%s", strings.TrimPrefix(err.Error(), "usage: "))
	}
	if err != nil {
		return nil, failure(err)
	}
	return r, nil
}

// printTLSReport writes the verdict first, then the facts.
func printTLSReport(ios *IOStreams, r *tlscheck.Report) {
	p := ios.outPalette()
	w := ios.Out
	switch {
	case r.Accepted() && len(r.Warnings) > 0:
		fmt.Fprintf(w, "%s the platform would accept %s, with %d warning%s:\n", p.warn.Sprint("!"), r.URL, len(r.Warnings), plural(len(r.Warnings)))
	case r.Accepted():
		fmt.Fprintf(w, "%s the platform would accept %s\n", p.ok.Sprint("✓"), r.URL)
	case r.Undecided():
		fmt.Fprintf(w, "%s thingsim cannot tell whether the platform would accept %s:\n", p.warn.Sprint("?"), r.URL)
	default:
		fmt.Fprintf(w, "%s the platform would refuse %s:\n", p.bad.Sprint("✗"), r.URL)
	}
	for _, f := range r.Reasons {
		mark := p.bad.Sprint("✗")
		if r.Undecided() {
			mark = p.warn.Sprint("?")
		}
		fmt.Fprintf(w, "  %s %s: %s\n", mark, f.Kind, f.Message)
		if f.Fix != "" {
			fmt.Fprintf(w, "      fix: %s\n", f.Fix)
		}
	}
	for _, f := range r.Warnings {
		fmt.Fprintf(w, "  %s %s: %s\n", p.warn.Sprint("!"), f.Kind, f.Message)
		if f.Fix != "" {
			fmt.Fprintf(w, "      fix: %s\n", f.Fix)
		}
	}
	if len(r.Protocols) > 0 {
		var ps []string
		for _, v := range []string{"TLS1.0", "TLS1.1", "TLS1.2", "TLS1.3"} {
			mark := "no"
			if r.Protocols[v] {
				mark = "yes"
			}
			ps = append(ps, fmt.Sprintf("%s %s", strings.Replace(v, "TLS", "TLS ", 1), mark))
		}
		fmt.Fprintf(w, "\nprotocols      %s\n", strings.Join(ps, " · "))
	}
	if r.Protocols["TLS1.2"] {
		fmt.Fprintf(w, "listed suites  %d of %d accepted (TLS 1.2)\n", len(r.AcceptedSuites), len(r.Suites))
		for _, s := range r.Suites {
			if !s.Accepted {
				continue
			}
			note := ""
			if !s.Java {
				note = ", not in a stock Java client"
			}
			if s.DHBits > 0 {
				note += fmt.Sprintf(", %d-bit DH group", s.DHBits)
			}
			fmt.Fprintf(w, "               %s %s%s\n", s.Code, s.Name, note)
		}
	}
	if len(r.TLS13Suites) > 0 {
		fmt.Fprintf(w, "TLS 1.3 suites %s\n", strings.Join(r.TLS13Suites, ", "))
	}
	if n := r.Negotiated; n != nil {
		if n.Error != "" {
			fmt.Fprintf(w, "thingsim send  cannot connect: %s\n", n.Error)
		} else {
			fmt.Fprintf(w, "thingsim send  negotiates %s, %s\n", n.Version, n.Suite)
		}
	}
	if c := r.Certificate; c != nil && len(c.Chain) > 0 {
		leaf := c.Chain[0]
		host := "names the host"
		if !c.HostnameMatch {
			host = "does not name the host"
		}
		fmt.Fprintf(w, "certificate    %s, issued by %s\n", leaf.Subject, leaf.Issuer)
		fmt.Fprintf(w, "               expires %s (%d days), %s, %s, %s; %d in the chain served\n", leaf.NotAfter[:10], leaf.DaysLeft, leaf.Key, leaf.Signature, host, len(c.Chain))
		for _, t := range c.Trust {
			verdict := p.ok.Sprint("trusted")
			if !t.Trusted {
				verdict = p.bad.Sprint("not trusted")
			}
			fmt.Fprintf(w, "               %s by the %s\n", verdict, t.Store)
		}
	}
}
