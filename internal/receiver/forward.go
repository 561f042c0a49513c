package receiver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/thingsim/thingsim/internal/record"
)

// Forward relays the requests a receiver accepts to an app behind it, so that the receiver can
// stand in front of the app on the platform's real path: the app gets every verified request with
// its exact bytes, method, query and headers, and its answer goes back to the platform, which then
// retries and discards as it would without the relay.
type Forward struct {
	// URL is where requests go; the query of each request is added to URL's own.
	URL *url.URL
	// Timeout bounds the app's answer (its head: the body then streams); past it the platform is
	// answered 504. Default DefaultForwardTimeout, below the platform's first timeout.
	Timeout time.Duration
	// Invalid, when set, forwards forged requests too (a wrong or missing token, an unknown plug
	// UUID), marked with this header; when empty they are answered by the receiver and never
	// reach the app.
	Invalid string
	// Client sends to the app; nil means one with keep-alive connections and the system roots.
	Client *http.Client
}

// DefaultForwardTimeout is Forward's default Timeout.
const DefaultForwardTimeout = 10 * time.Second

// hopByHop are the headers of one connection, which a relay does not pass on (RFC 9110 7.6.1), by
// their canonical names.
var hopByHop = map[string]bool{"Connection": true, "Keep-Alive": true, "Proxy-Connection": true, "Proxy-Authenticate": true,
	"Proxy-Authorization": true, "Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true}

// NewForwardClient returns a client for Forward: keep-alive connections to the app, no
// compression asked for, no redirect followed (the platform follows none).
func NewForwardClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns, t.MaxIdleConnsPerHost = 256, 256
	t.DisableCompression = true
	t.ForceAttemptHTTP2 = false
	return &http.Client{Transport: t, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// target returns the app's URL for a request whose query is query.
func (f *Forward) target(query string) string {
	u := *f.URL
	switch {
	case query == "":
	case u.RawQuery == "":
		u.RawQuery = query
	default:
		u.RawQuery += "&" + query
	}
	return u.String()
}

// relay sends the request to the app: body as it arrived, headers as spelled (raw, in wire order)
// but for hop-by-hop ones, marked with Invalid when forged. It returns the app's answer, whose
// body the caller streams and closes, and the record of the trip; a nil answer means none came
// (the record says why, and status is the one the platform gets: 502 or 504).
// shown is f.URL as records show it (redactURL), made once by the handler.
func (f *Forward) relay(ctx context.Context, r *http.Request, raw []record.Header, body []byte, forged bool, shown string) (*http.Response, *record.ForwardRecord, context.CancelFunc) {
	timeout := f.Timeout
	if timeout <= 0 {
		timeout = DefaultForwardTimeout
	}
	client := f.Client
	if client == nil {
		client = defaultForwardClient
	}
	fr := &record.ForwardRecord{URL: shown}
	ctx, cancel := context.WithCancel(ctx)
	req, err := http.NewRequestWithContext(ctx, r.Method, f.target(r.URL.RawQuery), bytes.NewReader(body))
	if err != nil {
		cancel()
		fr.Status, fr.Error = http.StatusBadGateway, err.Error()
		return nil, fr, nil
	}
	// The headers Connection names are of this connection too.
	var named []string
	for _, v := range r.Header.Values("Connection") {
		for _, name := range strings.Split(v, ",") {
			named = append(named, http.CanonicalHeaderKey(strings.TrimSpace(name)))
		}
	}
	req.Header = make(http.Header, len(raw))
	for _, h := range raw {
		if k := http.CanonicalHeaderKey(h.Name); hopByHop[k] || k == "Host" || k == "Content-Length" || slices.Contains(named, k) {
			continue
		}
		// Set as spelled: Things-Plug-UUID reaches the app as the platform wrote it.
		req.Header[h.Name] = append(req.Header[h.Name], h.Value)
	}
	if _, ok := req.Header["User-Agent"]; !ok {
		req.Header["User-Agent"] = []string{""} // no Go-http-client of ours
	}
	if forged && f.Invalid != "" {
		req.Header.Set(f.Invalid, "the token did not verify")
	}
	req.ContentLength = int64(len(body))
	start := time.Now()
	timer := time.AfterFunc(timeout, cancel) // the answer's head within the timeout; then it streams
	resp, err := client.Do(req)
	stopped := timer.Stop()
	fr.DurationMS = float64(time.Since(start).Microseconds()) / 1000
	if err != nil {
		cancel()
		var ne net.Error
		switch {
		case !stopped || errors.As(err, &ne) && ne.Timeout():
			fr.Error = fmt.Sprintf("no answer within %v", timeout)
			fr.Status = http.StatusGatewayTimeout
		default:
			fr.Error = unwrapURLError(err).Error()
			fr.Status = http.StatusBadGateway
		}
		return nil, fr, nil
	}
	fr.Status = resp.StatusCode
	return resp, fr, cancel
}

var defaultForwardClient = NewForwardClient()

// writeRelayed writes the app's answer to the platform: status, headers but hop-by-hop ones, and
// the body as it streams.
func writeRelayed(w http.ResponseWriter, resp *http.Response) {
	defer resp.Body.Close()
	for k, vs := range resp.Header {
		if !hopByHop[k] { // net/http's keys are canonical
			w.Header()[k] = vs
		}
	}
	w.WriteHeader(resp.StatusCode)
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return
			}
			if fl, ok := w.(http.Flusher); ok {
				fl.Flush()
			}
		}
		if err != nil {
			return
		}
	}
}

// unwrapURLError drops net/http's "Post \"URL\":" prefix, which the record says already.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// redactURL writes the app's URL with its password hidden, as thingsim hides credentials.
func redactURL(u *url.URL) string { return record.RedactURL(u.String()) }
