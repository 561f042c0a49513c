package inspector

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/thingsim/thingsim/internal/receiver"
	"github.com/thingsim/thingsim/internal/record"
)

const pack = `[{"bn":"urn:dev:DEVEUI:0000000000000000:","bt":1.58565075E9},{"n":"temperature","v":21.22,"u":"Cel"},{"n":"status","vs":"<b>ok</b>"}]`

func rec(body string) record.MessageRecord {
	r := record.MessageRecord{Time: "2026-11-29T12:00:00Z", Method: "POST", Target: "/things", PlugUUID: "fbc063cb-4dd4-41b3-917a-e2d1ea907f75",
		Token: strings.Repeat("ab", 32), Verdict: "valid", Status: 200, Device: "urn:dev:DEVEUI:0000000000000000:", SenML: "valid",
		Headers: []record.Header{{Name: "Host", Value: "127.0.0.1:8443"}, {Name: "Things-Plug-UUID", Value: "fbc063cb-4dd4-41b3-917a-e2d1ea907f75"}}}
	r.SetBody([]byte(body))
	r.BodySize = len(body)
	return r
}

// serve starts the inspector over a store on a real socket of 127.0.0.1.
func serve(t *testing.T, cfg Config) (*Handler, *httptest.Server) {
	t.Helper()
	if cfg.Store == nil {
		cfg.Store = NewStore(0, 0)
	}
	h, err := NewHandler(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return h, srv
}

func get(t *testing.T, url string, into any) *http.Response {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if into != nil {
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %s %s", url, resp.Status, b)
		}
		if err := json.Unmarshal(b, into); err != nil {
			t.Fatalf("GET %s: %v in %s", url, err, b)
		}
	}
	return resp
}

func TestMessagesNewestFirst(t *testing.T) {
	store := NewStore(3, 0)
	_, srv := serve(t, Config{Store: store})
	for i := range 5 {
		r := rec(fmt.Sprintf(`[{"bn":"urn:dev:DEVEUI:%016d:","n":"t","v":%d}]`, i, i))
		r.Device, r.SenML = "", "" // as a dead letter: the inspector validates it itself
		store.Add(r)
	}
	var list List
	get(t, srv.URL+"/api/messages", &list)
	if list.Total != 5 || list.Kept != 3 || len(list.Messages) != 3 || list.Messages[0].ID != 5 || list.Messages[2].ID != 3 {
		t.Fatalf("list %+v", list)
	}
	get(t, srv.URL+"/api/messages?after=4", &list)
	if len(list.Messages) != 1 || list.Messages[0].ID != 5 {
		t.Fatalf("after 4: %+v", list.Messages)
	}
	get(t, srv.URL+"/api/messages?limit=1", &list)
	if len(list.Messages) != 1 || list.Messages[0].ID != 5 {
		t.Fatalf("limit 1: %+v", list.Messages)
	}
	if s := list.Messages[0]; s.Device != "urn:dev:DEVEUI:0000000000000004:" || s.Layout != "merged" || len(s.Points) != 1 || s.Points[0].V != 4 {
		t.Fatalf("summary %+v", s)
	}
	for path, want := range map[string]int{"/api/messages/2": 404, "/api/messages/6": 404, "/api/messages/x": 400, "/api/messages?after=x": 400, "/api/messages/4": 200} {
		if resp := get(t, srv.URL+path, nil); resp.StatusCode != want {
			t.Errorf("%s: %s, want %d", path, resp.Status, want)
		}
	}
}

// TestDeadLetterCurl: a dead letter's curl command posts to the URL it was to go to, with the
// platform's headers, not to a placeholder's root.
func TestDeadLetterCurl(t *testing.T) {
	store := NewStore(0, 0)
	_, srv := serve(t, Config{Store: store})
	r := rec(pack)
	r.Target, r.Headers, r.URL = "", nil, "https://staging.example.com/kpn/things?tenant=7"
	store.Add(r)
	var d struct{ Curl string }
	get(t, srv.URL+"/api/messages/1", &d)
	if !strings.Contains(d.Curl, "curl -X 'POST' 'https://staging.example.com/kpn/things?tenant=7'") || strings.Contains(d.Curl, "ENDPOINT") {
		t.Errorf("curl: %s", d.Curl)
	}
	_, srv = serve(t, Config{Store: store, Endpoint: "https://127.0.0.1:8443"})
	get(t, srv.URL+"/api/messages/1", &d)
	if !strings.Contains(d.Curl, "'https://127.0.0.1:8443/kpn/things?tenant=7'") {
		t.Errorf("curl to another endpoint: %s", d.Curl)
	}
}

func TestDetail(t *testing.T) {
	store := NewStore(0, 0)
	_, srv := serve(t, Config{Store: store, Endpoint: "https://127.0.0.1:8443", CAFile: "ca.pem", SecretFile: "secret"})
	r := rec(pack)
	r.Verdict, r.Status, r.TokenCause = "invalid", 401, "the body with a trailing newline"
	store.Add(r)
	bin := rec("")
	bin.SetBody([]byte{0xff, 0x00, '\''})
	store.Add(bin)

	var d struct {
		View
		Replay, Curl string
	}
	get(t, srv.URL+"/api/messages/1", &d)
	if d.Verdict != "invalid" || d.TokenCause != "the body with a trailing newline" || d.Layout != "legacy" || *d.Body != pack ||
		!strings.Contains(d.Pretty, "\n  {\n    \"bn\"") || len(d.Headers) != 2 || d.Headers[1].Name != "Things-Plug-UUID" {
		t.Fatalf("detail %+v", d.View)
	}
	want := []Row{
		{Device: "urn:dev:DEVEUI:0000000000000000:", Name: "temperature", Unit: "Cel", Kind: "number", Value: "21.22", Time: "2020-03-31T10:32:30Z"},
		{Device: "urn:dev:DEVEUI:0000000000000000:", Name: "status", Kind: "string", Value: "<b>ok</b>", Time: "2020-03-31T10:32:30Z"},
	}
	if fmt.Sprint(d.Rows) != fmt.Sprint(want) {
		t.Fatalf("rows %+v\nwant %+v", d.Rows, want)
	}
	if !strings.Contains(d.Replay, "thingsim replay --url 'https://127.0.0.1:8443/things' --relax --ca-file 'ca.pem' --secret-file secret /dev/stdin") {
		t.Errorf("replay: %s", d.Replay)
	}
	if !strings.HasPrefix(d.Curl, "printf '%s' '"+pack+"' |\n  curl --cacert 'ca.pem' -X 'POST' 'https://127.0.0.1:8443/things'") ||
		strings.Contains(d.Curl, "Host:") || !strings.Contains(d.Curl, "-H 'Things-Plug-UUID: fbc063cb") {
		t.Errorf("curl: %s", d.Curl)
	}
	get(t, srv.URL+"/api/messages/2", &d)
	if d.Body != nil || d.BodyBase64 != "/wAn" || d.Layout != "other" || d.SenMLError == "" ||
		!strings.HasPrefix(d.Curl, "printf '%s' '/wAn' | base64 -d |") {
		t.Fatalf("binary body: %+v %s", d.View, d.Curl)
	}

	resp := get(t, srv.URL+"/api/messages/1/record", nil)
	if cd := resp.Header.Get("Content-Disposition"); cd != `attachment; filename="message-1.jsonl"` {
		t.Errorf("record download: %q", cd)
	}
}

func TestSecurityHeadersAndHost(t *testing.T) {
	_, srv := serve(t, Config{Title: `<script>alert(1)</script>`})
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") {
		t.Errorf("CSP %q", csp)
	}
	if strings.Contains(string(page), "<script>alert") || !strings.Contains(string(page), "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("the title is not escaped in the page")
	}
	for _, tc := range []struct {
		host string
		want int
	}{
		{"evil.example.com", 421}, {"rebind.example.com:8090", 421}, {"localhost:8090", 200}, {"LOCALHOST", 200},
		{"127.0.0.1:1", 200}, {"[::1]:8090", 200}, {"192.168.1.5:8090", 200}, {"127.0.0.1.nip.io", 421},
	} {
		req, _ := http.NewRequest("GET", srv.URL+"/api/messages", nil)
		req.Host = tc.host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("Host %q: %d, want %d", tc.host, resp.StatusCode, tc.want)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" && tc.want == 200 {
			t.Errorf("Host %q: no nosniff", tc.host)
		}
	}
}

// TestAnswerNeedsTheTokenFromThisOrigin: only a same-origin POST of JSON with the run's token
// changes the answer.
func TestAnswerNeedsTheTokenFromThisOrigin(t *testing.T) {
	var answer receiver.Answer
	h, srv := serve(t, Config{Answer: func() receiver.Answer { return answer }, SetAnswer: func(a receiver.Answer) { answer = a }, Status: 200})
	post := func(body string, set func(*http.Request)) (int, string) {
		req, _ := http.NewRequest("POST", srv.URL+"/api/answer", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(TokenHeader, h.Token())
		if set != nil {
			set(req)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	ok := `{"script":"500,drop,200","delay":"250ms"}`
	for name, set := range map[string]func(*http.Request){
		"no token":         func(r *http.Request) { r.Header.Del(TokenHeader) },
		"a wrong token":    func(r *http.Request) { r.Header.Set(TokenHeader, strings.Repeat("0", 32)) },
		"a form":           func(r *http.Request) { r.Header.Set("Content-Type", "application/x-www-form-urlencoded") },
		"another origin":   func(r *http.Request) { r.Header.Set("Origin", "http://evil.example") },
		"another site":     func(r *http.Request) { r.Header.Set("Sec-Fetch-Site", "cross-site") },
		"a rebinding name": func(r *http.Request) { r.Host = "evil.example" },
	} {
		if code, body := post(ok, set); code != 403 && code != 421 {
			t.Errorf("%s: %d %s", name, code, body)
		}
	}
	if len(answer.Script) != 0 {
		t.Fatalf("a refused POST changed the answer: %+v", answer)
	}
	for _, bad := range []string{`{"script":"ok"}`, `{"delay":"soon"}`, `{"delay":"-1s"}`, `{"other":1}`, `not json`} {
		if code, body := post(bad, nil); code != 400 {
			t.Errorf("%s: %d %s", bad, code, body)
		}
	}
	code, body := post(ok, func(r *http.Request) { r.Header.Set("Origin", srv.URL); r.Header.Set("Sec-Fetch-Site", "same-origin") })
	if code != 200 || len(answer.Script) != 3 || !answer.Script[1].Drop || answer.Delay != 250*time.Millisecond {
		t.Fatalf("%d %s: answer %+v", code, body, answer)
	}
	var state AnswerState
	get(t, srv.URL+"/api/answer", &state)
	if state != (AnswerState{Editable: true, Script: "500,drop,200", Status: 200, Delay: "250ms"}) {
		t.Fatalf("state %+v", state)
	}

	_, ro := serve(t, Config{})
	resp, err := http.Post(ro.URL+"/api/answer", "application/json", strings.NewReader(ok))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 {
		t.Errorf("inspect's answer: %d, want 405", resp.StatusCode)
	}
}

// event is one Server-Sent Event.
type event struct{ id, name, data string }

func readEvents(t *testing.T, r *bufio.Reader, n int) []event {
	t.Helper()
	var out []event
	var e event
	for len(out) < n {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("after %d events: %v", len(out), err)
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case line == "":
			if e.name != "" {
				out = append(out, e)
			}
			e = event{}
		case strings.HasPrefix(line, "id: "):
			e.id = line[4:]
		case strings.HasPrefix(line, "event: "):
			e.name = line[7:]
		case strings.HasPrefix(line, "data: "):
			e.data = line[6:]
		}
	}
	return out
}

func TestEventsLiveAndMissed(t *testing.T) {
	store := NewStore(0, 0)
	_, srv := serve(t, Config{Store: store})
	resp, err := http.Get(srv.URL + "/api/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	r := bufio.NewReader(resp.Body)
	if ev := readEvents(t, r, 1); ev[0].name != "hello" || ev[0].data != `{"total":0}` {
		t.Fatalf("first event %+v", ev)
	}
	store.Add(rec(pack))
	ev := readEvents(t, r, 1)
	var batch Batch
	var first Summary
	if err := json.Unmarshal([]byte(ev[0].data), &batch); err != nil || ev[0].name != "messages" || ev[0].id != "1" || len(batch.Messages) != 1 {
		t.Fatalf("event %+v (%v)", ev[0], err)
	}
	if json.Unmarshal(batch.Messages[0], &first); first.ID != 1 || first.Verdict != "valid" || batch.Total != 1 {
		t.Fatalf("batch %+v, first %+v", batch, first)
	}

	// Arrivals faster than a window come in one batch, the newest maxBatch of them; the rest are
	// counted as skipped.
	const burst = 2500
	for range burst {
		store.Add(rec(pack))
	}
	got, skipped := 0, int64(0)
	for got+int(skipped) < burst {
		e := readEvents(t, r, 1)[0]
		var b Batch
		if err := json.Unmarshal([]byte(e.data), &b); err != nil {
			t.Fatal(err)
		}
		got += len(b.Messages)
		skipped += b.Skipped + b.Missed // missed too, when this machine made the writer slow
	}
	if got > 2*maxBatch || skipped == 0 {
		t.Fatalf("a burst of %d came as %d live and %d skipped", burst, got, skipped)
	}

	// A stream that does not read: the store goes on without waiting, and the stream is told
	// how many it missed once it reads again.
	stuck, err := http.Get(srv.URL + "/api/events")
	if err != nil {
		t.Fatal(err)
	}
	defer stuck.Body.Close()
	sr := bufio.NewReaderSize(stuck.Body, 64)
	readEvents(t, sr, 1)
	const n = 30000
	for i := range n {
		store.Add(rec(pack))
		if i%1000 == 0 {
			time.Sleep(window / 4) // batches go while the reader's socket fills
		}
	}
	var missed int64
	skipped = 0
	seen := 0
	for seen+int(missed+skipped) < n {
		e := readEvents(t, sr, 1)[0]
		var b Batch
		if err := json.Unmarshal([]byte(e.data), &b); err != nil {
			t.Fatal(err)
		}
		seen += len(b.Messages)
		missed += b.Missed
		skipped += b.Skipped
	}
	if missed == 0 {
		t.Fatalf("a stuck stream was told of no miss: %d live, %d skipped of %d", seen, skipped, n)
	}
	t.Logf("a stuck stream got %d of %d live, and was told it missed %d and skipped %d", seen, n, missed, skipped)
}

// TestVendoredUPlot: the charting library is uPlot 1.6.32 as the npm registry gives it.
func TestVendoredUPlot(t *testing.T) {
	for file, sum := range map[string]string{
		"LICENSE":           "8f989229699b4fe2f1a0432d0e9edc338a8a911e250e2d1b01ecd770a5f5b1bd",
		"uPlot.iife.min.js": "19c8d4c6ad88929a79f4ae49d6f7161566dfd0ba3d15cc495e974f787eb78f1f",
		"uPlot.min.css":     "df630c6a8d6f8eeaff264b50f73ce5b114f646ffd9a0bb74f049b0a00135fa04",
	} {
		b, err := os.ReadFile("assets/vendor/uplot/" + file)
		if err != nil {
			t.Fatal(err)
		}
		if got := sha256.Sum256(b); hex.EncodeToString(got[:]) != sum {
			t.Errorf("%s has changed: sha256 %x", file, got)
		}
	}
}

// bigPack is a pack of n numeric records.
func bigPack(n int) string {
	var b strings.Builder
	b.WriteString(`[{"bn":"urn:dev:DEVEUI:0004A30B001B714E:","bt":1.7E9}`)
	for i := range n {
		fmt.Fprintf(&b, `,{"n":"m%d","v":%d.5}`, i%50, i)
	}
	return b.String() + "]"
}

// TestStoreBoundCountsSummaries: the store's byte bound holds the summaries and their points too,
// and a summary keeps at most MaxPoints points, counting the others.
func TestStoreBoundCountsSummaries(t *testing.T) {
	const bound = 1 << 20
	store := NewStore(0, bound)
	pack := bigPack(2000) // about 40 KiB of body (twice: text and base64), 2,000 points
	for range 9 {
		store.Add(rec(pack))
	}
	if store.Kept() != 9 {
		t.Fatalf("kept %d of 9 bodies under the bound", store.Kept())
	}
	for _, a := range store.All() {
		s := a.Summary()
		if len(s.Points) != MaxPoints || s.PointsCut != 2000-MaxPoints {
			t.Fatalf("%d points, %d cut", len(s.Points), s.PointsCut)
		}
	}
	store.mu.Lock()
	bytes, kept := store.bytes, store.n
	store.mu.Unlock()
	if bytes > bound || kept == 9 {
		t.Errorf("%d bytes in %d arrivals, bound %d: the summaries are not counted", bytes, kept, bound)
	}
}

// TestCrossSiteReadsRefused: a page of another site cannot read the API (a browser says so in
// Sec-Fetch-Site); the page itself, and a command line, can.
func TestCrossSiteReadsRefused(t *testing.T) {
	_, srv := serve(t, Config{})
	for site, want := range map[string]int{"cross-site": 403, "same-site": 403, "same-origin": 200, "none": 200, "": 200} {
		req, _ := http.NewRequest("GET", srv.URL+"/api/messages", nil)
		if site != "" {
			req.Header.Set("Sec-Fetch-Site", site)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("Sec-Fetch-Site %q: %d, want %d", site, resp.StatusCode, want)
		}
	}
}

// TestLargeBodyView: a pack over MaxViewBody gives a view without its body, with MaxRows rows and
// a note, and commands that replay the downloaded record instead of holding the body.
func TestLargeBodyView(t *testing.T) {
	store := NewStore(0, 0)
	_, srv := serve(t, Config{Store: store, Endpoint: "https://127.0.0.1:8443"})
	pack := bigPack(60000) // over 1 MiB
	store.Add(rec(pack))
	resp, err := http.Get(srv.URL + "/api/messages/1")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var d struct {
		View
		Replay, Curl string
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	if len(b) > MaxViewBody || d.Body != nil || len(d.Rows) != MaxRows || !strings.Contains(d.Note, "the page shows no body over 1.0 MiB") ||
		d.Curl != "" || !strings.HasSuffix(d.Replay, " message-1.jsonl") {
		t.Errorf("%d bytes of answer, %d rows, note %q, curl %q, replay %q", len(b), len(d.Rows), d.Note, d.Curl, d.Replay)
	}
}

// TestForwardInView: a relayed arrival's view carries the trip to the app.
func TestForwardInView(t *testing.T) {
	store := NewStore(0, 0)
	_, srv := serve(t, Config{Store: store})
	r := rec(pack)
	r.Forward = &record.ForwardRecord{URL: "http://localhost:3000/things", Status: 502, DurationMS: 1.5, Error: "connection refused"}
	store.Add(r)
	var d View
	get(t, srv.URL+"/api/messages/1", &d)
	if d.Forward == nil || d.Forward.Status != 502 || d.Forward.Error != "connection refused" {
		t.Errorf("forward %+v", d.Forward)
	}
}
