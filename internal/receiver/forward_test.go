package receiver

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/thingsim/thingsim/internal/localca"
	"github.com/thingsim/thingsim/sender"
)

// The relay's rows: a receiver with Forward in front of an app (itself a receiver, capturing what
// it gets with its raw headers), the platform played by the sender on both engines.

type relayRig struct {
	app, relay       *Handler
	appCap, relayCap *syncBuffer
	send             func(t *testing.T, secret string) *sender.Result
}

// startRelay starts the app (answering as appCfg says), a relay forwarding to it with fwd (its URL
// set here when nil), and a sender of attempts attempts on the given engine.
func startRelay(t *testing.T, appCfg Config, fwd Forward, attempts int, engine func(sender.HTTPOptions) sender.Transport) *relayRig {
	t.Helper()
	rig := &relayRig{appCap: &syncBuffer{}, relayCap: &syncBuffer{}}
	appCfg.Capture = rig.appCap
	rig.app = NewHandler(appCfg)
	appAddr := servePlain(t, rig.app, 0, 0)
	if fwd.URL == nil {
		fwd.URL, _ = url.Parse("http://" + appAddr + "/things?tenant=7")
	}
	rig.relay = NewHandler(Config{Secrets: AnyPlug{sender.NewSecret(secret)}, Capture: rig.relayCap, Forward: &fwd})
	ca, err := localca.New("relay test")
	if err != nil {
		t.Fatal(err)
	}
	tlsCfg, _ := ca.ServerConfig()
	srv, err := Listen("127.0.0.1:0", tlsCfg)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(rig.relay)
	t.Cleanup(func() { srv.Close() })
	rig.send = func(t *testing.T, s string) *sender.Result {
		d := sender.Destination{Name: "t", URL: srv.URL() + "/hook?x=1", Secret: sender.NewSecret(s), PlugUUID: plug, ExpectedStatus: 202,
			Headers: []sender.Header{{Name: "Test-header", Value: "Hello world"}}}
		if _, err := d.Check(true); err != nil {
			t.Fatal(err)
		}
		snd, err := sender.New(sender.Config{Destination: &d, Attempts: attempts, Transport: engine(sender.HTTPOptions{RootCAs: ca.Pool()}),
			Timeouts: []time.Duration{time.Minute}, Backoff: []time.Duration{time.Millisecond}})
		if err != nil {
			t.Fatal(err)
		}
		return snd.Deliver(context.Background(), 0, []byte(docBody))
	}
	return rig
}

var relayEngines = map[string]func(sender.HTTPOptions) sender.Transport{
	"net/http": func(o sender.HTTPOptions) sender.Transport { return sender.NewHTTPTransport(o) },
	"fasthttp": func(o sender.HTTPOptions) sender.Transport { return sender.NewFastTransport(o) },
}

func forRelayEngines(t *testing.T, test func(t *testing.T, engine func(sender.HTTPOptions) sender.Transport)) {
	for name, engine := range relayEngines {
		t.Run(name, func(t *testing.T) { test(t, engine) })
	}
}

// TestRelayForwards: the app gets the exact bytes, method, token, plug UUID as spelled, the
// additional header, and the request's query after its own; the platform gets the app's answer.
func TestRelayForwards(t *testing.T) {
	forRelayEngines(t, func(t *testing.T, engine func(sender.HTTPOptions) sender.Transport) {
		rig := startRelay(t, Config{Status: 202}, Forward{}, 1, engine)
		if res := rig.send(t, secret); res.Outcome != sender.Delivered || res.Status() != 202 {
			t.Fatalf("%s %d", res.Outcome, res.Status())
		}
		got := rig.appCap.records(t)
		if len(got) != 1 {
			t.Fatalf("the app got %d requests", len(got))
		}
		a := got[0]
		body, _ := a.Bytes()
		hs := headerList(a)
		if string(body) != docBody || a.Method != "POST" || a.Target != "/things?tenant=7&x=1" || a.Token != sender.Sign([]byte(docBody), sender.NewSecret(secret)) ||
			!strings.Contains(hs, "Things-Plug-UUID="+plug) || !strings.Contains(hs, "Test-header=Hello world") || strings.Contains(hs, "Connection=") {
			t.Errorf("the app got %s %s %q, headers %s", a.Method, a.Target, body, hs)
		}
		r := rig.relayCap.records(t)
		if len(r) != 1 || r[0].Forward == nil || r[0].Forward.Status != 202 || r[0].Status != 202 || !strings.HasSuffix(r[0].Forward.URL, "/things?tenant=7") {
			t.Errorf("the relay's record: %+v", r[0].Forward)
		}
	})
}

// TestRelayAppErrorIsRetried: the app's 500 goes back to the platform, which sends again.
func TestRelayAppErrorIsRetried(t *testing.T) {
	forRelayEngines(t, func(t *testing.T, engine func(sender.HTTPOptions) sender.Transport) {
		rig := startRelay(t, Config{Script: []Action{{Status: 500}, {Status: 202}}}, Forward{}, 3, engine)
		res := rig.send(t, secret)
		if res.Outcome != sender.Delivered || len(res.Attempts) != 2 || res.Attempts[0].Status() != 500 {
			t.Fatalf("%s after %d attempts", res.Outcome, len(res.Attempts))
		}
		if n := len(rig.appCap.records(t)); n != 2 {
			t.Errorf("the app got %d requests", n)
		}
	})
}

// TestRelayForgedNeverForwarded: a request signed with another secret is refused by the relay and
// never reaches the app; with Invalid it does, marked.
func TestRelayForgedNeverForwarded(t *testing.T) {
	forRelayEngines(t, func(t *testing.T, engine func(sender.HTTPOptions) sender.Transport) {
		rig := startRelay(t, Config{Status: 202}, Forward{}, 1, engine)
		if res := rig.send(t, "Zz9@AnotherSecret/2025:QRSxyz#abc"); res.Status() != 401 {
			t.Errorf("forged: %d", res.Status())
		}
		if n := len(rig.appCap.records(t)); n != 0 {
			t.Errorf("the app got %d forged requests", n)
		}
		marked := startRelay(t, Config{Status: 202}, Forward{Invalid: "X-Forged"}, 1, engine)
		marked.send(t, "Zz9@AnotherSecret/2025:QRSxyz#abc")
		got := marked.appCap.records(t)
		if len(got) != 1 || !strings.Contains(headerList(got[0]), "X-Forged=the token did not verify") {
			t.Errorf("with Invalid, the app got %d requests", len(got))
		}
	})
}

// TestRelayAppDownOrSilent: an app that is not there gives 502; one that does not answer within
// the timeout, 504; each said in the record.
func TestRelayAppDownOrSilent(t *testing.T) {
	forRelayEngines(t, func(t *testing.T, engine func(sender.HTTPOptions) sender.Transport) {
		l, _ := net.Listen("tcp", "127.0.0.1:0")
		down, _ := url.Parse("http://" + l.Addr().String() + "/things")
		l.Close()
		rig := startRelay(t, Config{}, Forward{URL: down}, 1, engine)
		if res := rig.send(t, secret); res.Status() != http.StatusBadGateway {
			t.Errorf("app down: %d", res.Status())
		}
		if r := rig.relayCap.records(t); len(r) != 1 || r[0].Forward.Error == "" || r[0].Status != 502 {
			t.Errorf("app down: record %+v", r[0].Forward)
		}
		silent := startRelay(t, Config{Delay: time.Minute}, Forward{Timeout: 300 * time.Millisecond}, 1, engine)
		if res := silent.send(t, secret); res.Status() != http.StatusGatewayTimeout {
			t.Errorf("app silent: %d", res.Status())
		}
		if r := silent.relayCap.records(t); len(r) != 1 || !strings.Contains(r[0].Forward.Error, "no answer within 300ms") {
			t.Errorf("app silent: record %+v", r[0].Forward)
		}
	})
}

// TestForwardURLRedacted: a password in the app's URL never reaches a record.
func TestForwardURLRedacted(t *testing.T) {
	u, _ := url.Parse("http://relay:s3cret@localhost:3000/things?tenant=7")
	h := NewHandler(Config{Forward: &Forward{URL: u}})
	if h.forwardURL != "http://relay:[redacted]@localhost:3000/things?tenant=7" {
		t.Errorf("record URL %q", h.forwardURL)
	}
	if u.String() != "http://relay:s3cret@localhost:3000/things?tenant=7" {
		t.Errorf("the app's URL changed: %s", u)
	}
}
