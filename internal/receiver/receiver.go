// Package receiver is a reference endpoint of an HTTPS destination: it verifies every
// Things-Message-Token over the raw body, answers as configured (or as a script says, for retry
// drills), and captures each request as a message record before it answers.
package receiver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"github.com/thingsim/thingsim/internal/record"
	"io"
	"log"
	"maps"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/thingsim/thingsim/senml"
	"github.com/thingsim/thingsim/verify"
)

// Verdicts of a request's token.
const (
	Valid       = "valid"
	Invalid     = "invalid"
	Missing     = "missing"
	UnknownPlug = "unknown_plug"
	TooLarge    = "too_large"
	Unreadable  = "unreadable" // the body ended early or was badly framed
	Unchecked   = "unchecked"  // no secret was configured
)

// DefaultMaxBody is the largest body accepted when Config.MaxBody is zero.
const DefaultMaxBody = 1 << 20

// Config configures a Handler. Zero values are the documented defaults.
type Config struct {
	// Secrets verifies tokens; nil accepts every request unchecked.
	Secrets Secrets
	// Status answers an accepted request; default 200.
	Status int
	// Script, when set, answers the accepted requests in order instead, the last action repeating.
	Script []Action
	// RejectStatus answers a missing or wrong token and an unknown plug UUID; default 401.
	RejectStatus int
	// Delay waits before every answer.
	Delay time.Duration
	// MaxBody is the largest body accepted; larger ones are answered 413 before any token check.
	MaxBody int64
	// Capture receives one message record per request, a JSON line, written before the answer goes
	// out. Writes are serialised.
	Capture io.Writer
	// OnRecord is called with every record, after it is captured.
	OnRecord func(record.MessageRecord)
	// OnCaptureError is called once, with the first error writing the capture. From then on every
	// request is answered 503, which the platform retries: nothing is acknowledged unkept.
	OnCaptureError func(error)
	// Now is the clock; default time.Now.
	Now func() time.Time
	// RedactHeaders are redacted in captures besides the credential headers every receiver
	// redacts (Authorization, Proxy-Authorization, Cookie, X-API-Key): a custom API key header.
	RedactHeaders []string
	// Forward, when set, relays accepted requests to an app and answers with the app's answer
	// instead of Status or Script.
	Forward *Forward
}

// Handler is the receiver's http.Handler. Its raw header capture works when it is served by
// Serve; under another server it records Go's canonical headers.
type Handler struct {
	cfg Config

	mu       sync.Mutex
	accepted int
	script   []Action // the answers to accepted requests; empty: cfg.Status
	delay    time.Duration
	stats    Stats
	err      error

	forwardURL string // Forward's URL as records show it
}

// Answer is how the handler answers accepted requests: a script (empty: the configured status)
// and a delay before every answer.
type Answer struct {
	Script []Action
	Delay  time.Duration
}

// Answer returns how the handler answers now.
func (h *Handler) Answer() Answer {
	h.mu.Lock()
	defer h.mu.Unlock()
	return Answer{Script: append([]Action(nil), h.script...), Delay: h.delay}
}

// SetAnswer changes how the handler answers from the next request on; the script starts again
// at its first action.
func (h *Handler) SetAnswer(a Answer) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.script = append([]Action(nil), a.Script...)
	h.delay = a.Delay
	h.accepted = 0
}

// Stats counts what the receiver got.
type Stats struct {
	Requests int
	Verdicts map[string]int
	Statuses map[int]int
	Dropped  int
	// NotCaptured counts the requests answered 503 because the capture could not be written.
	NotCaptured int
}

// NewHandler returns a handler for cfg.
func NewHandler(cfg Config) *Handler {
	if cfg.Status == 0 {
		cfg.Status = http.StatusOK
	}
	if cfg.RejectStatus == 0 {
		cfg.RejectStatus = http.StatusUnauthorized
	}
	if cfg.MaxBody == 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	h := &Handler{cfg: cfg, script: cfg.Script, delay: cfg.Delay, stats: Stats{Verdicts: map[string]int{}, Statuses: map[int]int{}}}
	if cfg.Forward != nil {
		h.forwardURL = redactURL(cfg.Forward.URL)
	}
	return h
}

// Stats returns a copy of the counts so far.
func (h *Handler) Stats() Stats {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := Stats{Requests: h.stats.Requests, Dropped: h.stats.Dropped, NotCaptured: h.stats.NotCaptured, Verdicts: map[string]int{}, Statuses: map[int]int{}}
	for k, v := range h.stats.Verdicts {
		s.Verdicts[k] = v
	}
	for k, v := range h.stats.Statuses {
		s.Statuses[k] = v
	}
	return s
}

// CaptureError returns the first error writing the capture, if any.
func (h *Handler) CaptureError() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.err
}

// sensitiveHeaders are redacted in captures.
var sensitiveHeaders = []string{"Authorization", "Proxy-Authorization", "Cookie", "X-API-Key"}

// ServeHTTP answers one request and captures it before the answer goes out.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == "PRI" && r.RequestURI == "*" {
		// An HTTP/2 connection preface sent as plain text: not a request of the platform's.
		http.Error(w, "HTTP/1.1 only, as the platform sends", http.StatusHTTPVersionNotSupported)
		return
	}
	raw := rawHeaders(r)
	rec := record.MessageRecord{
		Time:    h.cfg.Now().UTC().Format(time.RFC3339Nano),
		Remote:  r.RemoteAddr,
		Method:  r.Method,
		Target:  r.RequestURI,
		Headers: redact(slices.Clone(raw), h.cfg.RedactHeaders),
	}
	rec.PlugUUID = r.Header.Get(verify.PlugHeader)
	rec.Token = r.Header.Get(verify.TokenHeader)

	var body []byte
	tooLarge := r.ContentLength > h.cfg.MaxBody
	if !tooLarge {
		var err error
		body, err = io.ReadAll(io.LimitReader(r.Body, h.cfg.MaxBody+1))
		if err != nil {
			// A body that ended early or was badly framed: keep what came, and never answer 2xx
			// for what could not be read.
			rec.Verdict = Unreadable
			rec.SetBody(body)
			rec.BodySize = len(body)
			rec.Status = http.StatusBadRequest
			h.capture(&rec)
			w.Header().Set("Connection", "close")
			http.Error(w, "the body could not be read: "+err.Error(), rec.Status)
			return
		}
		tooLarge = int64(len(body)) > h.cfg.MaxBody
	}

	var action Action
	delay := h.Answer().Delay
	switch {
	case tooLarge:
		rec.Verdict = TooLarge
		rec.BodyTruncated = true
		rec.BodySize = int(max(r.ContentLength, int64(len(body))))
		action = Action{Status: http.StatusRequestEntityTooLarge}
	default:
		rec.SetBody(body)
		rec.BodySize = len(body)
		rep := senml.Validate(body)
		rec.Device, rec.Records = rep.BaseName, rep.Records
		rec.SenML = "valid"
		if !rep.Valid() {
			rec.SenML = "invalid"
			for _, f := range rep.Findings {
				rec.SenMLFindings = append(rec.SenMLFindings, f.String())
			}
		}
		rec.Verdict, rec.TokenCause = h.verdict(body, rec.PlugUUID, rec.Token)
		forged := rec.Verdict != Valid && rec.Verdict != Unchecked
		if f := h.cfg.Forward; f != nil && (!forged || f.Invalid != "") {
			h.forward(w, r, &rec, raw, body, forged)
			return
		}
		if !forged {
			action, delay = h.next()
		} else {
			action = Action{Status: h.cfg.RejectStatus}
		}
	}
	rec.Status = action.Status
	rec.Dropped = action.Drop
	why := explain(rec.Verdict, action.Status)
	if !h.capture(&rec) {
		// Not kept, so not acknowledged: the platform retries a 503.
		action = Action{Status: rec.Status}
		why = "the capture could not be written: not kept, try again"
	}

	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if action.Drop {
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				c.Close()
				return
			}
		}
		panic(http.ErrAbortHandler) // no hijacking (HTTP/2): abort the stream instead
	}
	if tooLarge {
		w.Header().Set("Connection", "close")
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(action.Status)
	fmt.Fprintln(w, why)
}

// forward relays a request to the app, captures it with the app's answer (or why none came), and
// passes the answer on; a request that cannot be captured is not relayed further but answered 503.
func (h *Handler) forward(w http.ResponseWriter, r *http.Request, rec *record.MessageRecord, raw []record.Header, body []byte, forged bool) {
	resp, fr, cancel := h.cfg.Forward.relay(r.Context(), r, raw, body, forged, h.forwardURL)
	if cancel != nil {
		defer cancel()
	}
	rec.Forward, rec.Status = fr, fr.Status
	if !h.capture(rec) {
		if resp != nil {
			resp.Body.Close()
		}
		http.Error(w, "the capture could not be written: not kept, try again", rec.Status)
		return
	}
	if resp == nil {
		http.Error(w, "the app behind the relay did not answer: "+fr.Error, fr.Status)
		return
	}
	writeRelayed(w, resp)
}

// verdict checks the token of body for the plug UUID and, when it is invalid, names the likely
// cause (verify's near miss: a trailing newline, another secret the receiver knows, …).
func (h *Handler) verdict(body []byte, plug, token string) (verdict, cause string) {
	if h.cfg.Secrets == nil {
		return Unchecked, ""
	}
	if token == "" {
		return Missing, ""
	}
	secret, ok := h.cfg.Secrets.Lookup(plug)
	if !ok {
		return UnknownPlug, ""
	}
	if verify.Matches(body, token, secret.Reveal()) {
		return Valid, ""
	}
	if m, ok := h.cfg.Secrets.(SecretMap); ok {
		for _, other := range slices.Sorted(maps.Keys(m)) {
			if !strings.EqualFold(other, plug) && verify.Matches(body, token, m[other].Reveal()) {
				return Invalid, "the body under the secret of plug UUID " + other
			}
		}
	}
	var miss *verify.MismatchError
	if err := verify.Check(body, token, secret.Reveal()); errors.As(err, &miss) {
		cause = miss.NearMiss
	} else if err != nil {
		cause = err.Error()
	}
	return Invalid, cause
}

// next returns the action for the next accepted request and the delay before it.
func (h *Handler) next() (Action, time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := h.accepted
	h.accepted++
	if len(h.script) == 0 {
		return Action{Status: h.cfg.Status}, h.delay
	}
	return h.script[min(n, len(h.script)-1)], h.delay
}

// capture writes the record, counts it and tells OnRecord. It reports whether the record was
// kept: once a capture write has failed, none is, and the record's answer becomes 503.
func (h *Handler) capture(rec *record.MessageRecord) bool {
	h.mu.Lock()
	failed := false
	if h.cfg.Capture != nil && h.err == nil {
		line, err := rec.MarshalLine()
		if err == nil {
			_, err = h.cfg.Capture.Write(line)
		}
		if err != nil {
			h.err = fmt.Errorf("writing the capture: %w", err)
			failed = true
		}
	}
	kept := h.cfg.Capture == nil || h.err == nil
	if !kept {
		h.stats.NotCaptured++
		rec.Status, rec.Dropped = http.StatusServiceUnavailable, false
	}
	h.stats.Requests++
	h.stats.Verdicts[rec.Verdict]++
	if rec.Dropped {
		h.stats.Dropped++
	} else if rec.Status != 0 {
		h.stats.Statuses[rec.Status]++
	}
	err := h.err
	h.mu.Unlock()
	if failed && h.cfg.OnCaptureError != nil {
		h.cfg.OnCaptureError(err)
	}
	if h.cfg.OnRecord != nil {
		h.cfg.OnRecord(*rec)
	}
	return kept
}

// explain is the answer's body: why, in a line, so that a sender's report can say it.
func explain(verdict string, status int) string {
	switch verdict {
	case Valid:
		return "token valid"
	case Invalid:
		return "Things-Message-Token does not match the body under the plug UUID's secret"
	case Missing:
		return "no Things-Message-Token"
	case UnknownPlug:
		return "unknown Things-Plug-UUID"
	case TooLarge:
		return "body too large"
	}
	return http.StatusText(status)
}

func redact(hs []record.Header, extra []string) []record.Header {
	for i := range hs {
		if !sensitive(hs[i].Name, sensitiveHeaders) && !sensitive(hs[i].Name, extra) {
			continue
		}
		if scheme, _, ok := strings.Cut(hs[i].Value, " "); ok && (strings.EqualFold(scheme, "Basic") || strings.EqualFold(scheme, "Bearer")) {
			hs[i].Value = scheme + " [redacted]"
		} else {
			hs[i].Value = "[redacted]"
		}
	}
	return hs
}

func sensitive(name string, names []string) bool {
	for _, s := range names {
		if strings.EqualFold(name, s) {
			return true
		}
	}
	return false
}

// Server serves a Handler on a listener, keeping the raw request heads.
type Server struct {
	srv *http.Server
	ln  net.Listener
	url string
	// MaxIdle bounds the connections kept open between requests; set it before Serve.
	MaxIdle int
	mu      sync.Mutex
	idle    map[net.Conn]bool
	shed    int // idle connections closed for MaxIdle
}

// Listen binds addr, with TLS when tlsConfig is not nil. Serve then serves a handler on it.
func Listen(addr string, tlsConfig *tls.Config) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	scheme := "http"
	if tlsConfig != nil {
		scheme = "https"
	}
	s := &Server{
		srv: &http.Server{
			ConnContext:       connContext,
			ReadHeaderTimeout: DefaultHeadTimeout,
			ReadTimeout:       DefaultReadTimeout,
			IdleTimeout:       DefaultIdleTimeout,
			ErrorLog:          log.New(io.Discard, "", 0),
		},
		ln:      rawListener{Listener: ln, tls: tlsConfig},
		url:     scheme + "://" + ln.Addr().String(),
		MaxIdle: DefaultMaxIdle,
	}
	s.srv.ConnState = s.connState
	return s, nil
}

// Defaults of SetTimeouts, and of the idle connections kept.
const (
	DefaultReadTimeout = 30 * time.Second
	DefaultIdleTimeout = 60 * time.Second
	// DefaultHeadTimeout bounds the wait for a request head, also a new connection's first: a
	// client that connects and says nothing is closed after it.
	DefaultHeadTimeout = 10 * time.Second
	DefaultMaxIdle     = 256
)

// connState counts the connections waiting between requests, and closes one that would go past
// MaxIdle at once: connections that only wait cannot crowd out those that send.
func (s *Server) connState(c net.Conn, state http.ConnState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.idle == nil {
		s.idle = map[net.Conn]bool{}
	}
	switch state {
	case http.StateIdle:
		if len(s.idle) >= s.MaxIdle {
			c.Close()
			s.shed++
			return
		}
		s.idle[c] = true
	default:
		delete(s.idle, c)
	}
}

// Idle returns how many connections wait between requests, and how many were closed instead.
func (s *Server) Idle() (waiting int, shed int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.idle), s.shed
}

// SetTimeouts bounds the time to read a whole request, head and body (read), and the time a
// connection may stay open between requests (idle), so that idle or slow clients cannot hold every
// connection the machine has. Zero keeps a default. Call it before Serve.
func (s *Server) SetTimeouts(read, idle time.Duration) {
	if read > 0 {
		s.srv.ReadTimeout = read
		s.srv.ReadHeaderTimeout = min(read, s.srv.ReadHeaderTimeout)
	}
	if idle > 0 {
		s.srv.IdleTimeout = idle
	}
}

// URL returns the base URL the server answers on.
func (s *Server) URL() string { return s.url }

// Serve serves h until Shutdown or Close; it then returns nil.
func (s *Server) Serve(h http.Handler) error {
	s.srv.Handler = h
	err := s.srv.Serve(s.ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Close stops listening and closes every connection at once.
func (s *Server) Close() error {
	s.ln.Close()
	return s.srv.Close()
}

// Shutdown stops accepting and waits for the requests in flight until ctx is done.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	if err != nil {
		s.srv.Close()
	}
	return err
}
