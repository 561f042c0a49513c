package receiver

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/thingsim/thingsim/internal/record"
	"github.com/thingsim/thingsim/sender"
)

// servePlain serves a handler over plain HTTP on 127.0.0.1 and returns its address.
func servePlain(t *testing.T, h *Handler, read, idle time.Duration) string {
	t.Helper()
	srv, err := Listen("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	srv.SetTimeouts(read, idle)
	go srv.Serve(h)
	t.Cleanup(func() { srv.Close() })
	return strings.TrimPrefix(srv.URL(), "http://")
}

// exchange writes raw bytes, closes the writing side unless hold is set, and reads the answer's
// status line; the client gives up after 10 s, which only a server that never answers reaches.
func exchange(t *testing.T, addr, raw string, hold bool) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, raw)
	if !hold {
		c.(*net.TCPConn).CloseWrite()
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "error: " + err.Error()
	}
	return strings.TrimSpace(line)
}

// TestUnreadableBodyIsNeverAccepted: a body that ends before its Content-Length, or a chunked body
// with a bad chunk size, is answered 400 and captured as unreadable, never 2xx.
func TestUnreadableBodyIsNeverAccepted(t *testing.T) {
	capture := &syncBuffer{}
	h := NewHandler(Config{Capture: capture})
	addr := servePlain(t, h, 0, 0)
	for name, raw := range map[string]string{
		"short":     "POST /t HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789",
		"bad chunk": "POST /t HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
	} {
		if got := exchange(t, addr, raw, false); got != "HTTP/1.1 400 Bad Request" {
			t.Errorf("%s: %q", name, got)
		}
	}
	recs := capture.records(t)
	if len(recs) != 2 || recs[0].Verdict != Unreadable || recs[0].Status != 400 || h.Stats().Statuses[200] != 0 {
		t.Errorf("captured %+v, stats %+v", recs, h.Stats())
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("no space left on device") }

// TestCaptureFailureAnswers503: a request that cannot be captured is not acknowledged; the error
// is told at once, once.
func TestCaptureFailureAnswers503(t *testing.T) {
	var told atomic.Int32
	h := NewHandler(Config{Capture: failingWriter{}, Secrets: AnyPlug{sender.NewSecret(secret)},
		OnCaptureError: func(err error) {
			told.Add(1)
			if !strings.Contains(err.Error(), "no space left on device") {
				t.Errorf("error %v", err)
			}
		}})
	addr := servePlain(t, h, 0, 0)
	for i := 0; i < 2; i++ {
		req, _ := http.NewRequest("POST", "http://"+addr+"/t", strings.NewReader(docBody))
		req.Header.Set(sender.TokenHeader, sender.Sign([]byte(docBody), sender.NewSecret(secret)))
		req.Header.Set(sender.PlugHeader, plug)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 503 || !strings.Contains(string(body), "capture could not be written") {
			t.Errorf("request %d: %d %s", i, resp.StatusCode, body)
		}
	}
	if n := told.Load(); n != 1 {
		t.Errorf("told %d times", n)
	}
	if st := h.Stats(); st.NotCaptured != 2 || st.Statuses[503] != 2 || st.Statuses[200] != 0 {
		t.Errorf("stats %+v", st)
	}
	if err := h.CaptureError(); err == nil {
		t.Error("no capture error")
	}
}

// TestSlowAndIdleClientsAreCut: a body that stalls and a connection that says nothing are closed
// after the read timeout instead of holding a connection for good.
func TestSlowAndIdleClientsAreCut(t *testing.T) {
	h := NewHandler(Config{})
	addr := servePlain(t, h, 300*time.Millisecond, 300*time.Millisecond)
	if got := exchange(t, addr, "POST /t HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789", true); got != "HTTP/1.1 400 Bad Request" {
		t.Errorf("stalled body: %q", got)
	}
	if got := exchange(t, addr, "", true); got != "" {
		t.Errorf("idle connection: %q", got)
	}
}

// TestBodyCannotForgeHeads: a chunked body that holds a request head does not become the next
// request's captured headers.
func TestBodyCannotForgeHeads(t *testing.T) {
	capture := &syncBuffer{}
	h := NewHandler(Config{Capture: capture})
	addr := servePlain(t, h, 0, 0)
	forged := "POST /t HTTP/1.1\r\nX-Forged: yes\r\nContent-Length: 0\r\n\r\n"
	chunked := fmt.Sprintf("POST /t HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n", len(forged), forged)
	second := "POST /t HTTP/1.1\r\nHost: x\r\nX-Real: 1\r\nContent-Length: 2\r\n\r\n[]"
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	for _, raw := range []string{chunked, second} {
		io.WriteString(c, raw)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	recs := capture.records(t)
	if len(recs) != 2 {
		t.Fatalf("%d records", len(recs))
	}
	if got := headerList(recs[1]); strings.Contains(got, "Forged") || !strings.Contains(got, "X-Real=1") {
		t.Errorf("second request's headers: %s", got)
	}
}

// TestHeadEndingLFCRLF: a head whose last line ends in a bare "\n" before the blank "\r\n" (Go
// accepts it) ends there: the body's lines, X-Forged and a second plug UUID, are no headers of
// the capture, which holds the headers Go parsed.
func TestHeadEndingLFCRLF(t *testing.T) {
	capture := &syncBuffer{}
	h := NewHandler(Config{Capture: capture})
	addr := servePlain(t, h, 0, 0)
	body := "X-Forged: yes\r\nThings-Plug-UUID: 00000000-0000-0000-0000-000000000000\r\n\r\n"
	raw := fmt.Sprintf("POST /t HTTP/1.1\r\nHost: x\r\nThings-Plug-UUID: fbc063cb-4dd4-41b3-917a-e2d1ea907f75\r\nContent-Length: %d\n\r\n%s", len(body), body)
	if got := exchange(t, addr, raw, true); !strings.HasPrefix(got, "HTTP/1.1 ") {
		t.Fatalf("answer %q", got)
	}
	recs := capture.records(t)
	if len(recs) != 1 {
		t.Fatalf("%d records", len(recs))
	}
	if got := headerList(recs[0]); strings.Contains(got, "Forged") || strings.Count(got, "Things-Plug-UUID") != 1 || recs[0].PlugUUID != "fbc063cb-4dd4-41b3-917a-e2d1ea907f75" {
		t.Errorf("headers %s, plug UUID %s", got, recs[0].PlugUUID)
	}
	if b, _ := recs[0].Bytes(); string(b) != body {
		t.Errorf("body %q", b)
	}
}

// TestHTTP2PrefaceIsNoRequest: an HTTP/2 preface on the HTTP/1.1 endpoint is refused, not captured.
func TestHTTP2PrefaceIsNoRequest(t *testing.T) {
	capture := &syncBuffer{}
	h := NewHandler(Config{Capture: capture})
	addr := servePlain(t, h, 0, 0)
	got := exchange(t, addr, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", false)
	if !strings.HasPrefix(got, "HTTP/1.1 505") {
		t.Errorf("answer %q", got)
	}
	if recs := capture.records(t); len(recs) != 0 {
		t.Errorf("captured %+v", recs)
	}
}

// TestIdleConnectionsBounded: past MaxIdle connections waiting between requests, one that goes
// idle is closed at once, so that clients that connect and wait cannot hold every connection; a
// connection that then sends a request still gets its answer on a new one.
func TestIdleConnectionsBounded(t *testing.T) {
	srv, err := Listen("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	srv.MaxIdle = 2
	go srv.Serve(NewHandler(Config{}))
	t.Cleanup(func() { srv.Close() })
	addr := strings.TrimPrefix(srv.URL(), "http://")
	const clients = 6
	for range clients {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		io.WriteString(c, "POST /t HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n[]")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	// Each connection goes idle after its answer is written: wait for all six to have done so.
	deadline := time.Now().Add(10 * time.Second)
	for {
		waiting, shed := srv.Idle()
		if waiting+shed == clients {
			if waiting != 2 || shed != 4 {
				t.Errorf("%d idle, %d closed; want 2 and 4", waiting, shed)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 10 s: %d idle, %d closed", waiting, shed)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := exchange(t, addr, "POST /t HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n[]", true); !strings.HasPrefix(got, "HTTP/1.1 ") {
		t.Errorf("a new request: %q", got)
	}
}

// headerList writes a record's headers as Name=value, comma-separated, in their order.
func headerList(r record.MessageRecord) string {
	var names []string
	for _, h := range r.Headers {
		names = append(names, h.Name+"="+h.Value)
	}
	return strings.Join(names, ",")
}
