package sender

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Outcome is how a message ended.
type Outcome string

// The outcomes of a message.
const (
	// Delivered: the endpoint answered the expected code.
	Delivered Outcome = "delivered"
	// UnexpectedStatus: the endpoint answered another 2xx. The platform counts it as delivered;
	// thingsim reports it, because the destination says otherwise.
	UnexpectedStatus Outcome = "unexpected_status"
	// Discarded: every attempt failed; the platform would drop the message.
	Discarded Outcome = "discarded"
	// Interrupted: the run was stopped before the message had an outcome.
	Interrupted Outcome = "interrupted"
)

// MaxAttempts is the platform's limit of delivery attempts.
const MaxAttempts = 3

// Default delivery timing: the platform documents only "an increasing timeout".
var (
	DefaultTimeouts = []time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second}
	DefaultBackoff  = []time.Duration{1 * time.Second, 2 * time.Second}
)

// Config configures a Sender. Zero values are the documented defaults.
type Config struct {
	Destination *Destination // checked with Check; required
	Transport   Transport    // default NewHTTPTransport(HTTPOptions{})
	Attempts    int          // 1 to 3; default 3
	Timeouts    []time.Duration
	Backoff     []time.Duration
	UserAgent   string
	// Sleep waits between attempts; it returns early with ctx's error. Tests inject it.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock; default time.Now.
	Now func() time.Time
	// OnAttempt, when set, is called after every attempt, from the delivering goroutine.
	OnAttempt func(message int, a Attempt)
}

// Sender delivers messages to one destination as the platform does. It is safe for concurrent use.
type Sender struct {
	cfg      Config
	template *Template
}

// New validates cfg and returns a sender.
func New(cfg Config) (*Sender, error) {
	if cfg.Destination == nil {
		return nil, errors.New("no destination")
	}
	if cfg.Attempts == 0 {
		cfg.Attempts = MaxAttempts
	}
	if cfg.Attempts < 1 || cfg.Attempts > MaxAttempts {
		return nil, fmt.Errorf("attempts must be 1 to %d (the platform's limit), not %d", MaxAttempts, cfg.Attempts)
	}
	if len(cfg.Timeouts) == 0 {
		cfg.Timeouts = DefaultTimeouts
	}
	if cfg.Backoff == nil {
		cfg.Backoff = DefaultBackoff
	}
	for _, d := range cfg.Timeouts {
		if d <= 0 {
			return nil, fmt.Errorf("timeouts must be positive, not %v", d)
		}
	}
	for _, d := range cfg.Backoff {
		if d < 0 {
			return nil, fmt.Errorf("backoff waits must not be negative, not %v", d)
		}
	}
	if cfg.Transport == nil {
		cfg.Transport = NewHTTPTransport(HTTPOptions{})
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleep
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	t, err := NewTemplate(cfg.Destination, cfg.UserAgent)
	if err != nil {
		return nil, err
	}
	return &Sender{cfg: cfg, template: t}, nil
}

// Template returns the sender's request template.
func (s *Sender) Template() *Template { return s.template }

// Expected returns the response code that counts as delivered as expected.
func (s *Sender) Expected() int { return s.cfg.Destination.Expected() }

// Attempts returns the number of attempts per message.
func (s *Sender) Attempts() int { return s.cfg.Attempts }

// Attempt is one try at delivering a message.
type Attempt struct {
	Number   int // 1-based
	Start    time.Time
	Duration time.Duration
	Response Response // when the endpoint answered
	Err      error    // when it did not, or answered a failing code
	Kind     ErrorKind
	OK       bool // a 2xx came back
}

// Status returns the response code, 0 when none came back.
func (a Attempt) Status() int { return a.Response.Status }

// Result is what became of one message.
type Result struct {
	Message  int
	Outcome  Outcome
	Request  *Request
	Attempts []Attempt
	Latency  time.Duration // from the first attempt's start to the outcome
}

// Status returns the last response code, 0 when no response came back.
func (r *Result) Status() int {
	if len(r.Attempts) == 0 {
		return 0
	}
	return r.Attempts[len(r.Attempts)-1].Status()
}

// Deliver signs body and delivers it: up to Attempts tries, each with its own timeout, waiting
// the backoff between them; the same bytes and token every time. message numbers the message in
// results and hooks.
func (s *Sender) Deliver(ctx context.Context, message int, body []byte) *Result {
	return s.DeliverRequest(ctx, message, s.template.New(body))
}

// DeliverRequest delivers a request built by the sender's template.
func (s *Sender) DeliverRequest(ctx context.Context, message int, req *Request) *Result {
	res := &Result{Message: message, Request: req, Attempts: make([]Attempt, 0, s.cfg.Attempts)}
	start := s.cfg.Now()
	defer func() { res.Latency = s.cfg.Now().Sub(start) }()
	for n := 1; n <= s.cfg.Attempts; n++ {
		if n > 1 {
			if err := s.cfg.Sleep(ctx, pick(s.cfg.Backoff, n-2)); err != nil {
				res.Outcome = Interrupted
				return res
			}
		}
		a := s.attempt(ctx, n, req)
		res.Attempts = append(res.Attempts, a)
		if s.cfg.OnAttempt != nil {
			s.cfg.OnAttempt(message, a)
		}
		switch {
		case a.OK && a.Status() == s.cfg.Destination.Expected():
			res.Outcome = Delivered
			return res
		case a.OK:
			res.Outcome = UnexpectedStatus
			return res
		case ctx.Err() != nil:
			res.Outcome = Interrupted
			return res
		}
	}
	res.Outcome = Discarded
	return res
}

// deadlineTransport is a Transport that takes the attempt's deadline directly, sparing a context
// per attempt on the hot path.
type deadlineTransport interface {
	RoundTripDeadline(ctx context.Context, deadline time.Time, r *Request) (Response, error)
}

func (s *Sender) attempt(ctx context.Context, n int, req *Request) Attempt {
	a := Attempt{Number: n, Start: s.cfg.Now()}
	var resp Response
	var err error
	if dt, ok := s.cfg.Transport.(deadlineTransport); ok {
		resp, err = dt.RoundTripDeadline(ctx, a.Start.Add(pick(s.cfg.Timeouts, n-1)), req)
	} else {
		actx, cancel := context.WithTimeout(ctx, pick(s.cfg.Timeouts, n-1))
		resp, err = s.cfg.Transport.RoundTrip(actx, req)
		cancel()
	}
	a.Duration = s.cfg.Now().Sub(a.Start)
	if err != nil {
		a.Kind = Classify(err)
		if a.Kind == KindTimeout && ctx.Err() == nil {
			err = fmt.Errorf("no answer within %v", pick(s.cfg.Timeouts, n-1))
		} else if ctx.Err() != nil {
			a.Kind, err = KindInterrupted, errors.New("interrupted")
		}
		a.Err = err
		return a
	}
	resp.Body = s.template.Scrub(resp.Body)
	a.Response = resp
	switch code := resp.Status; {
	case code >= 200 && code <= 299:
		a.OK = true
	case code >= 300 && code <= 399:
		a.Kind = KindStatus
		where := "a redirect without a Location"
		if resp.Location != "" {
			where = "a redirect to " + strconv.QuoteToGraphic(resp.Location)
		}
		a.Err = fmt.Errorf("status %d, %s: the platform does not follow redirects, so point the destination at the final URL", code, where)
	default:
		a.Kind = KindStatus
		a.Err = fmt.Errorf("status %d", code)
	}
	return a
}

// pick returns ds[i], or the last one when i is past the end, or 0 for an empty list.
func pick(ds []time.Duration, i int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	if i >= len(ds) {
		return ds[len(ds)-1]
	}
	return ds[i]
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ErrorKind sorts failed attempts for summaries.
type ErrorKind string

// The kinds of failed attempts.
const (
	KindStatus      ErrorKind = "status" // an answer other than 2xx
	KindTimeout     ErrorKind = "timeout"
	KindRefused     ErrorKind = "connection_refused"
	KindReset       ErrorKind = "connection_reset"
	KindTLS         ErrorKind = "tls"
	KindDNS         ErrorKind = "dns"
	KindInterrupted ErrorKind = "interrupted"
	KindOther       ErrorKind = "other"
)

// Classify sorts a transport error.
func Classify(err error) ErrorKind {
	var (
		dnsErr     *net.DNSError
		unknownCA  x509.UnknownAuthorityError
		hostErr    x509.HostnameError
		invalidErr x509.CertificateInvalidError
		verifyErr  *tls.CertificateVerificationError
		recordErr  tls.RecordHeaderError
		alertErr   tls.AlertError
		netErr     net.Error
	)
	switch {
	case errors.Is(err, context.Canceled):
		return KindInterrupted
	case errors.Is(err, context.DeadlineExceeded):
		return KindTimeout
	case errors.As(err, &dnsErr):
		return KindDNS
	case errors.As(err, &verifyErr), errors.As(err, &unknownCA), errors.As(err, &hostErr),
		errors.As(err, &invalidErr), errors.As(err, &recordErr), errors.As(err, &alertErr):
		return KindTLS
	case errors.Is(err, syscall.ECONNREFUSED):
		return KindRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return KindReset
	case errors.As(err, &netErr) && netErr.Timeout():
		return KindTimeout
	case strings.Contains(err.Error(), "tls: "):
		return KindTLS
	}
	return KindOther
}
