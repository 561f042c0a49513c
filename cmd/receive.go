package cmd

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/thingsim/thingsim/internal/acmecert"
	"github.com/thingsim/thingsim/internal/bounded"
	"github.com/thingsim/thingsim/internal/inspector"
	"github.com/thingsim/thingsim/internal/localca"
	"github.com/thingsim/thingsim/internal/receiver"
	"github.com/thingsim/thingsim/sender"
)

type receiveOptions struct {
	ios          *IOStreams
	listen       string
	caOut        string
	urlOut       string
	cert, key    string
	plain        bool
	secret       secretFlags
	secretsFile  string
	status       int
	rejectStatus int
	respond      string
	delay        time.Duration
	maxBody      int64
	capture      string
	output       string
	readTimeout  time.Duration
	idleTimeout  time.Duration
	redact       []string
	ui           bool
	uiListen     string
	uiURLOut     string
	forward      string
	forwardFor   time.Duration
	forwardBad   string
	forwardURL   *url.URL
	acme         []string
	acmeDir      string
	acmeCA       string
	acmeCache    string
	acmeEmail    string
	acmeHTTP     string
}

func newReceiveCmd(ios *IOStreams, runF func(context.Context, *receiveOptions) error) *cobra.Command {
	opts := &receiveOptions{ios: ios}
	c := &cobra.Command{
		Use:   "receive",
		Short: "Run a reference endpoint that verifies tokens and captures what arrives",
		Long: `Run a reference endpoint of an HTTPS destination: it verifies every Things-Message-Token
over the raw body in constant time, answers as configured (or as --respond scripts it, for
retry drills), and appends every request to --capture as a message record (headers as they
arrived, credentials redacted, the exact body, the token's verdict, the status answered)
before it answers. Replay a capture with 'thingsim replay'.

TLS by default, with a throwaway CA made at start (--ca-out writes it, for send --ca-file);
or --cert and --key; or --plain for plain HTTP. --ui serves the inspector page beside the
endpoint (http://127.0.0.1:8090/): every arrival as it lands, with its verdict, body, records
and charts, and the answer script to change live. Ctrl-C prints a summary and exits 0.`,
		Example: `  thingsim receive --secret-file secret --ca-out ca.pem --capture capture.jsonl
  thingsim send --url https://127.0.0.1:8443/thingsdata --ca-file ca.pem --relax --secret-file secret --count 5
  thingsim receive --secrets secrets.yaml --respond 500,500,drop,200 --reject-status 403
  thingsim receive --secret-file secret --ca-out ca.pem --ui`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := opts.check(); err != nil {
				return err
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runReceive(c.Context(), opts)
		},
	}
	fs := c.Flags()
	fs.StringVar(&opts.listen, "listen", "127.0.0.1:8443", "address to listen on (port 0 picks a free one)")
	fs.StringVar(&opts.caOut, "ca-out", "", "write the throwaway CA's certificate to `FILE` once listening")
	fs.StringVar(&opts.urlOut, "url-out", "", "write the endpoint's base URL to `FILE` once listening (for scripts)")
	fs.StringVar(&opts.cert, "cert", "", "serve this PEM certificate `FILE` instead of a throwaway one")
	fs.StringVar(&opts.key, "key", "", "the private key `FILE` of --cert")
	fs.BoolVar(&opts.plain, "plain", false, "plain HTTP instead of HTTPS")
	opts.secret.register(c.Flags(), true) // receive reads no body: - may be the secret
	fs.StringVar(&opts.secretsFile, "secrets", "", "`FILE` mapping plug UUIDs to {secretFile: PATH} or {secretEnv: NAME}")
	fs.IntVar(&opts.status, "status", 200, "answer to a request with a valid token")
	fs.IntVar(&opts.rejectStatus, "reject-status", 401, "answer to a missing or wrong token or an unknown plug UUID: 401 or 403")
	fs.StringVar(&opts.respond, "respond", "", "answers to valid requests in order, the last repeating: 500,500,drop,200")
	fs.DurationVar(&opts.delay, "delay", 0, "wait this long before every answer")
	fs.Var(newCountValue(&opts.maxBody, receiver.DefaultMaxBody), "max-body", "largest body in bytes; larger ones get 413")
	fs.StringVar(&opts.capture, "capture", "", "append every request to `FILE` as a message record (JSON lines); a request that cannot be captured is answered 503")
	fs.DurationVar(&opts.readTimeout, "read-timeout", receiver.DefaultReadTimeout, "longest time to read a request, head and body; a body not read in time is answered 400")
	fs.StringArrayVar(&opts.redact, "redact-header", nil, "also redact header `NAME` in captures and output (repeatable), such as a custom API key header")
	fs.DurationVar(&opts.idleTimeout, "idle-timeout", receiver.DefaultIdleTimeout, "longest time a connection may stay open between requests")
	enumFlag(fs, &opts.output, "output", "o", "text", []string{"text", "json"}, "output: text (a line per request) or json (the records)")
	fs.BoolVar(&opts.ui, "ui", false, "serve the inspector page: every arrival, live, with its verdict, body, records and charts")
	fs.StringVar(&opts.uiListen, "ui-listen", defaultUIListen, "address of the inspector page (port 0 picks a free one)")
	fs.StringVar(&opts.uiURLOut, "ui-url-out", "", "write the inspector's URL to `FILE` once listening (for scripts)")
	fs.StringVar(&opts.forward, "forward", "", "relay every request whose token verifies to the app at `URL` (exact bytes, method, headers, the query added to URL's) and answer with the app's answer")
	fs.DurationVar(&opts.forwardFor, "forward-timeout", receiver.DefaultForwardTimeout, "how long the app may take to answer a relayed request before the platform gets 504")
	fs.StringArrayVar(&opts.acme, "acme", nil, "serve a certificate for `DOMAIN` from an ACME CA (repeatable), asked for on start and renewed while running; TLS-ALPN-01 on --listen (the platform's port 443)")
	fs.StringVar(&opts.acmeDir, "acme-directory", acmecert.LetsEncrypt, "the ACME directory `URL` (Let's Encrypt's staging: "+acmecert.LetsEncryptStaging+")")
	fs.StringVar(&opts.acmeCA, "acme-ca-file", "", "PEM `FILE` of the ACME server's CA, for a private or test ACME server")
	fs.StringVar(&opts.acmeCache, "acme-cache", "", "`DIR` keeping the certificates and the account key, files of mode 0600 (default thingsim/acme in the user's cache directory)")
	fs.StringVar(&opts.acmeEmail, "acme-email", "", "contact `ADDRESS` the CA may write to about the certificates")
	fs.StringVar(&opts.acmeHTTP, "acme-http-listen", "", "also answer HTTP-01 challenges on `ADDR` (port 80), redirecting all else to https")
	fs.StringVar(&opts.forwardBad, "forward-invalid", "", "relay forged requests too, marked with header `NAME` (default: answered --reject-status, never relayed)")
	return c
}

// maxMaxBody bounds --max-body: every body up to it is held in memory.
const maxMaxBody = 1 << 30

// rejectStatuses are the answers --reject-status takes.
var rejectStatuses = []int{http.StatusUnauthorized, http.StatusForbidden}

// check refuses flag values that cannot work together, before anything listens.
func (opts *receiveOptions) check() error {
	if !slices.Contains(rejectStatuses, opts.rejectStatus) {
		return usageErrorf("--reject-status: must be 401 or 403, not %d", opts.rejectStatus)
	}
	if opts.status < 100 || opts.status > 599 {
		return usageErrorf("--status: %d is not an HTTP status code", opts.status)
	}
	if opts.maxBody < 1 || opts.maxBody > maxMaxBody {
		return usageErrorf("--max-body: must be 1 byte to %s, not %d", bounded.Size(maxMaxBody), opts.maxBody)
	}
	if opts.readTimeout <= 0 || opts.idleTimeout <= 0 {
		return usageErrorf("--read-timeout and --idle-timeout must be positive")
	}
	if (opts.cert == "") != (opts.key == "") {
		return usageErrorf("--cert and --key go together")
	}
	if opts.plain && (opts.cert != "" || opts.caOut != "") {
		return usageErrorf("--plain serves no certificate: drop --cert, --key and --ca-out")
	}
	if opts.cert != "" && opts.caOut != "" {
		return usageErrorf("--ca-out writes the throwaway CA, which --cert replaces")
	}
	if len(opts.acme) > 0 && (opts.plain || opts.cert != "" || opts.caOut != "") {
		return usageErrorf("--acme serves the ACME CA's certificate: drop --plain, --cert, --key and --ca-out")
	}
	if len(opts.acme) == 0 && (opts.acmeCA != "" || opts.acmeCache != "" || opts.acmeEmail != "" || opts.acmeHTTP != "") {
		return usageErrorf("--acme-ca-file, --acme-cache, --acme-email and --acme-http-listen go with --acme DOMAIN")
	}
	for _, d := range opts.acme {
		if !strings.Contains(d, ".") || strings.ContainsAny(d, "/: ") || net.ParseIP(d) != nil {
			return usageErrorf("--acme: %q is not a domain name such as things.example.com", d)
		}
	}
	if opts.forward == "" {
		if opts.forwardBad != "" {
			return usageErrorf("--forward-invalid marks what --forward relays: give --forward URL")
		}
		return nil
	}
	u, err := url.Parse(opts.forward)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usageErrorf("--forward: %q is not an http:// or https:// URL of the app, such as http://localhost:3000/things", opts.forward)
	}
	opts.forwardURL = u
	if opts.respond != "" || opts.delay != 0 || opts.status != http.StatusOK {
		return usageErrorf("--forward answers with the app's answer: drop --respond, --status and --delay")
	}
	if opts.forwardFor <= 0 {
		return usageErrorf("--forward-timeout: %v is not a duration above zero", opts.forwardFor)
	}
	if opts.forwardBad != "" && strings.ContainsAny(opts.forwardBad, " :\t\r\n") {
		return usageErrorf("--forward-invalid: %q is not a header name", opts.forwardBad)
	}
	return nil
}

func runReceive(ctx context.Context, opts *receiveOptions) error {
	ios := opts.ios
	cfg := receiver.Config{Status: opts.status, RejectStatus: opts.rejectStatus, Delay: opts.delay, MaxBody: opts.maxBody, RedactHeaders: opts.redact}
	if opts.forwardURL != nil {
		cfg.Forward = &receiver.Forward{URL: opts.forwardURL, Timeout: opts.forwardFor, Invalid: opts.forwardBad}
	}
	if opts.respond != "" {
		script, err := receiver.ParseScript(opts.respond)
		if err != nil {
			return usageErrorf("--respond: %v", err)
		}
		cfg.Script = script
	}
	hasSecret := countSet(opts.secret.file, opts.secret.env, opts.secret.value) > 0
	switch {
	case hasSecret && opts.secretsFile != "":
		return usageErrorf("--secrets and --secret-file exclude each other: a secrets file maps every plug UUID")
	case hasSecret:
		s, err := opts.secret.load(ios)
		if err != nil {
			return err
		}
		cfg.Secrets = receiver.AnyPlug{Secret: s}
	case opts.secretsFile != "":
		m, err := receiver.LoadSecrets(opts.secretsFile)
		if err != nil {
			return configError(err)
		}
		cfg.Secrets = m
	default:
		fmt.Fprintf(ios.ErrOut, "%s no --secret-file or --secrets: tokens are not checked, every request is accepted\n", ios.errPalette().warn.Sprint("warning:"))
	}

	var tlsCfg *tls.Config
	var ca *localca.CA
	var certs *acmecert.Manager
	switch {
	case len(opts.acme) > 0:
		var err error
		certs, err = acmecert.New(acmecert.Config{Domains: opts.acme, Directory: opts.acmeDir, CAFile: opts.acmeCA, CacheDir: opts.acmeCache, Email: opts.acmeEmail})
		if err != nil {
			return configErrorf("--acme: %v", err)
		}
		tlsCfg = certs.TLSConfig()
	case opts.plain:
	case opts.cert != "":
		pair, err := tls.LoadX509KeyPair(opts.cert, opts.key)
		if err != nil {
			return configErrorf("--cert/--key: %v", err)
		}
		tlsCfg = &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
	default:
		var err error
		if ca, err = localca.New("thingsim receive"); err != nil {
			return failure(err)
		}
		hosts := []string{"localhost", "127.0.0.1", "::1"}
		if h, _, err := net.SplitHostPort(opts.listen); err == nil && h != "" {
			if ip := net.ParseIP(h); ip == nil || !ip.IsUnspecified() {
				hosts = append([]string{h}, hosts...)
			}
		}
		if tlsCfg, err = ca.ServerConfig(hosts...); err != nil {
			return failure(err)
		}
	}

	p := ios.outPalette()
	jsonOut := opts.output == "json"
	var store *inspector.Store
	if opts.ui {
		store = inspector.NewStore(0, 0)
	}
	cfg.OnRecord = func(rec sender.MessageRecord) {
		if store != nil {
			store.Add(rec)
		}
		if jsonOut {
			b, _ := json.Marshal(rec)
			fmt.Fprintln(ios.Out, string(b))
			return
		}
		printReceived(ios, p, rec)
	}
	srv, err := receiver.Listen(opts.listen, tlsCfg)
	if err != nil {
		return configErrorf("--listen %s: %v", opts.listen, err)
	}
	defer srv.Close()
	srv.SetTimeouts(opts.readTimeout, opts.idleTimeout)
	// The capture opens once the address is ours, so that a failed start leaves no empty file.
	var capture *os.File
	if opts.capture != "" {
		f, err := os.OpenFile(opts.capture, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return configErrorf("--capture: %v", pathError(err))
		}
		defer f.Close()
		capture = f
		cfg.Capture = f
		cfg.OnCaptureError = func(err error) {
			fmt.Fprintf(ios.ErrOut, "%s %v: every request is answered 503 from now on, which the platform retries; nothing unkept is acknowledged\n",
				ios.errPalette().bad.Sprint("error:"), err)
		}
	}
	h := receiver.NewHandler(cfg)
	if ca != nil && opts.caOut != "" {
		if err := os.WriteFile(opts.caOut, ca.CertPEM(), 0o644); err != nil {
			return configErrorf("--ca-out: %v", pathError(err))
		}
	}
	if opts.urlOut != "" {
		if err := os.WriteFile(opts.urlOut, []byte(srv.URL()+"\n"), 0o644); err != nil {
			return configErrorf("--url-out: %v", pathError(err))
		}
	}
	if opts.ui {
		insp, err := inspector.NewHandler(inspector.Config{Store: store, Title: "receive on " + srv.URL() + "/",
			Endpoint: srv.URL(), CAFile: opts.caOut, SecretFile: opts.secret.file, SecretEnv: opts.secret.env,
			Answer: h.Answer, SetAnswer: h.SetAnswer, Status: opts.status})
		if err != nil {
			return failure(err)
		}
		ui, err := serveUI(ios, opts.uiListen, opts.uiURLOut, insp)
		if err != nil {
			return err
		}
		defer ui.close()
		fmt.Fprintf(ios.ErrOut, "inspector on %s\n", ui.url)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(h) }()

	trust := "plain HTTP"
	switch {
	case ca != nil && opts.caOut != "":
		trust = "throwaway CA in " + opts.caOut + ", for send --ca-file"
	case ca != nil:
		trust = "throwaway CA (--ca-out FILE writes it for send --ca-file)"
	case opts.cert != "":
		trust = "certificate " + opts.cert
	case certs != nil:
		trust = "certificates of " + strings.Join(opts.acme, ", ") + " from " + opts.acmeDir
	}
	fmt.Fprintf(ios.ErrOut, "listening on %s/ (%s); Ctrl-C stops\n", srv.URL(), trust)
	if capture != nil {
		fmt.Fprintf(ios.ErrOut, "capturing to %s\n", opts.capture)
	}
	if opts.forwardURL != nil {
		forged := "answered " + fmt.Sprint(opts.rejectStatus) + ", never relayed"
		if opts.forwardBad != "" {
			forged = "relayed too, marked with " + opts.forwardBad
		}
		fmt.Fprintf(ios.ErrOut, "relaying verified requests to %s (its answer goes back, %v at most); forged ones are %s\n", wireText(sender.RedactURL(opts.forwardURL.String())), opts.forwardFor, forged)
	}
	if certs != nil {
		if opts.acmeHTTP != "" {
			httpSrv := &http.Server{Addr: opts.acmeHTTP, Handler: certs.HTTPHandler(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: discardLog}
			ln, err := net.Listen("tcp", opts.acmeHTTP)
			if err != nil {
				return configErrorf("--acme-http-listen %s: %v", opts.acmeHTTP, err)
			}
			go httpSrv.Serve(ln)
			defer httpSrv.Close()
		}
		// Asked for now that the endpoint listens: the CA connects to it to validate. A failure is
		// said, and each handshake asks again.
		go func() {
			expiry, err := certs.Obtain(ctx)
			for _, d := range opts.acme {
				if t, ok := expiry[d]; ok {
					fmt.Fprintf(ios.ErrOut, "certificate for %s ready, valid until %s, renewed before then while receive runs\n", d, t.UTC().Format(time.RFC3339))
				}
			}
			if err != nil && ctx.Err() == nil {
				fmt.Fprintf(ios.ErrOut, "%s no certificate from %s: %v; each handshake asks again\n", ios.errPalette().bad.Sprint("error:"), opts.acmeDir, err)
			}
		}()
	}

	select {
	case <-ctx.Done():
	case err := <-served:
		if err != nil {
			return failure(fmt.Errorf("serving: %w", err))
		}
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(shutdown)
	printReceiveSummary(ios, h.Stats())
	if err := h.CaptureError(); err != nil {
		return failure(err)
	}
	return nil
}

// printReceived writes a request's line: ✓/✗, time, method and target, device, record count,
// verdict, answer.
func printReceived(ios *IOStreams, p palette, rec sender.MessageRecord) {
	mark := p.ok.Sprint("✓")
	if rec.Verdict != "valid" && rec.Verdict != "unchecked" {
		mark = p.bad.Sprint("✗")
	}
	what := fmt.Sprintf("%d record%s", rec.Records, plural(rec.Records))
	switch {
	case rec.BodyTruncated:
		what = fmt.Sprintf("%d bytes, over --max-body", rec.BodySize)
	case rec.Verdict == receiver.Unreadable:
		what = fmt.Sprintf("a body that could not be read (%d bytes came)", rec.BodySize)
	case rec.SenML == "invalid":
		what += ", " + p.warn.Sprint("not valid SenML")
	}
	device := rec.Device
	if device == "" {
		device = "-"
	}
	answer := fmt.Sprint(rec.Status)
	switch {
	case rec.Dropped:
		answer = "dropped"
	case rec.Forward != nil && rec.Forward.Error != "":
		answer += " (the app: " + rec.Forward.Error + ")"
	case rec.Forward != nil:
		answer += " from the app"
	}
	t := rec.Time
	if parsed, err := time.Parse(time.RFC3339Nano, rec.Time); err == nil {
		t = parsed.Local().Format("15:04:05.000")
	}
	fmt.Fprintf(ios.Out, "%s %s %s %s · %s · %s · token %s → %s\n", mark, p.dim.Sprint(t), wireText(rec.Method), wireText(rec.Target), wireText(device), what,
		verdictWords(rec.Verdict), answer)
}

func verdictWords(v string) string {
	switch v {
	case "unknown_plug":
		return "of an unknown plug UUID"
	case "too_large", "unreadable":
		return "not checked"
	}
	return v
}

func printReceiveSummary(ios *IOStreams, st receiver.Stats) {
	refused := st.Verdicts["invalid"] + st.Verdicts["missing"] + st.Verdicts["unknown_plug"]
	fmt.Fprintf(ios.ErrOut, "received %d request%s: %d valid, %d refused", st.Requests, plural(st.Requests), st.Verdicts["valid"], refused)
	if n := st.Verdicts["unchecked"]; n > 0 {
		fmt.Fprintf(ios.ErrOut, ", %d unchecked", n)
	}
	if n := st.Verdicts["too_large"]; n > 0 {
		fmt.Fprintf(ios.ErrOut, ", %d too large", n)
	}
	if n := st.Verdicts[receiver.Unreadable]; n > 0 {
		fmt.Fprintf(ios.ErrOut, ", %d unreadable", n)
	}
	if st.NotCaptured > 0 {
		fmt.Fprintf(ios.ErrOut, ", %d not captured (answered 503)", st.NotCaptured)
	}
	fmt.Fprintln(ios.ErrOut)
	if len(st.Statuses) > 0 || st.Dropped > 0 {
		line := countList(st.Statuses, nil)
		if st.Dropped > 0 {
			line += fmt.Sprintf("  dropped×%d", st.Dropped)
		}
		fmt.Fprintf(ios.ErrOut, "  answered %s\n", line)
	}
}
