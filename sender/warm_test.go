package sender

import (
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// TestWarm: the fasthttp engine opens connections ahead of a run, sending nothing on them, and
// the run's requests go out on them; one the server closed meanwhile is passed over for a new one.
// The net/http engine cannot, and says so by opening none.
func TestWarm(t *testing.T) {
	var opened, requests atomic.Int32
	e := &endpoint{script: []int{200}}
	e.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		requests.Add(1)
	}))
	e.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			opened.Add(1)
		}
	}
	e.Config.ErrorLog = log.New(io.Discard, "", 0)
	e.StartTLS()
	t.Cleanup(e.Close)
	s, _ := testSender(t, e, validDestination(), Config{Transport: NewFastTransport(HTTPOptions{RootCAs: e.pool()}), Attempts: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if n := s.Warm(ctx, 3); n != 3 {
		t.Fatalf("warmed %d", n)
	}
	if got := opened.Load(); got != 3 || requests.Load() != 0 {
		t.Fatalf("%d connections opened, %d requests sent while warming", got, requests.Load())
	}
	if res := s.Deliver(ctx, 0, []byte(docBody)); res.Outcome != Delivered {
		t.Fatalf("%s", res.Outcome)
	}
	if got := opened.Load(); got != 3 {
		t.Errorf("the request opened a connection of its own: %d opened", got)
	}

	// Warm connections the server closes are not used.
	e.CloseClientConnections()
	s2, _ := testSender(t, e, validDestination(), Config{Transport: NewFastTransport(HTTPOptions{RootCAs: e.pool()}), Attempts: 1})
	s2.Warm(ctx, 2)
	e.CloseClientConnections()
	if res := s2.Deliver(ctx, 1, []byte(docBody)); res.Outcome != Delivered {
		t.Errorf("after the warm connections were closed: %s %v", res.Outcome, res.Attempts[0].Err)
	}

	h, _ := testSender(t, e, validDestination(), Config{Transport: NewHTTPTransport(HTTPOptions{RootCAs: e.pool()})})
	if n := h.Warm(ctx, 3); n != 0 {
		t.Errorf("net/http warmed %d", n)
	}
}
