package cmd

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/thingsim/thingsim/internal/record"
	"github.com/thingsim/thingsim/verify"
)

// browser starts a headless Chromium for the test, or skips it, saying why, where there is none.
// Debian's chromium is what .ci/run installs.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	// In CI, where .ci/run installs Chromium, a browser that is missing or does not start fails
	// the tests (the XSS one among them) instead of skipping them.
	skip := t.Skipf
	if os.Getenv("CI") != "" {
		skip = t.Fatalf
	}
	if path == "" {
		skip("no Chromium on this machine (apt-get install chromium): the inspector's browser tests cannot run")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true),
		chromedp.WindowSize(1280, 900))
	actx, cancelAlloc := chromedp.NewExecAllocator(t.Context(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		skip("Chromium at %s does not start here (%v): the inspector's browser tests cannot run", path, err)
	}
	return ctx
}

// waitFor polls a JavaScript expression in the page until it is true.
func waitFor(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	pctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if ok, err := chromedp.Run(pctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(50*time.Millisecond))); err != nil || !ok {
		state, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`Array.from(document.querySelectorAll("#list li")).map(li => li.dataset.id + " " + li.dataset.device).join("\\n") + "\\ncharts: " + Array.from(document.querySelectorAll(".chart")).map(c => c.dataset.measurement + "=" + c.dataset.points + (c.querySelector("canvas") ? "+canvas" : "")).join(" ") + "\\n" + document.body.innerText.slice(0, 2000)`))
		t.Fatalf("the page never showed %s (%s): %v\n%s", what, expr, err, state)
	}
}

func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// thingsim runs a command in the test's folder and returns its exit code and output.
func thingsim(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	code := Run(t.Context(), &IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &out, ColorMode: "never"}, args)
	return code, out.String()
}

// post sends body to the endpoint as the platform would, but with the token and headers given.
func post(t *testing.T, url, caFile, body, token string, headers ...string) int {
	t.Helper()
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set(verify.PlugHeader, "fbc063cb-4dd4-41b3-917a-e2d1ea907f75")
	req.Header.Set(verify.TokenHeader, token)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// testSecret is the shared secret of the inspector's tests.
const testSecret = "Kp7#ThingsTestSecret:2024/abcXYZ!"

// startInspecting writes testSecret to secretFile in the test's folder and runs receive with it,
// its throwaway CA in ca.pem and the inspector on a free port, with args. It returns the endpoint's
// URL, the page's and stop.
func startInspecting(t *testing.T, secretFile string, args ...string) (endpoint, ui string, stop func() string) {
	t.Helper()
	if err := os.WriteFile(secretFile, []byte(testSecret), 0o600); err != nil {
		t.Fatal(err)
	}
	endpoint, stop = startReceive(t, "url", append([]string{"--secret-file", secretFile, "--ca-out", "ca.pem",
		"--ui", "--ui-listen", "127.0.0.1:0", "--ui-url-out", "ui"}, args...)...)
	return strings.TrimSpace(endpoint), strings.TrimSpace(waitFile(t, "ui")), stop
}

// openPage opens the page in the browser and waits until it follows the arrivals live.
func openPage(t *testing.T, ctx context.Context, ui string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(ui)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "that it is live", `document.querySelector("#live").textContent === "live"`)
}

// TestInspectorInTheBrowser drives receive --ui's page in Chromium: what send sends appears live
// with its verdict, a forged message shows invalid with its cause, markup in a body, a header and
// a device name shows as text and runs nothing, the chart draws a device's points, and a script
// set from the page makes the next send retry.
func TestInspectorInTheBrowser(t *testing.T) {
	ctx := browser(t)
	t.Chdir(t.TempDir())
	secret := testSecret
	url, ui, stop := startInspecting(t, "secret", "--capture", "capture.jsonl")
	defer stop()
	openPage(t, ctx, ui)

	send := func(args ...string) (int, string) {
		return thingsim(t, append([]string{"send", "--url", url + "/things", "--ca-file", "ca.pem", "--relax", "--secret-file", "secret",
			"--timeouts", "5s", "--backoff", "10ms"}, args...)...)
	}
	if code, out := send("--count", "3", "--devices", "1", "--seed", "7"); code != 0 {
		t.Fatalf("send: exit %d\n%s", code, out)
	}
	waitFor(t, ctx, "three valid arrivals answered 200",
		`document.querySelectorAll('#list li[data-verdict="valid"][data-status="200"]').length === 3`)
	device := eval[string](t, ctx, `document.querySelector("#list li").dataset.device`)
	if !strings.HasPrefix(device, "urn:dev:DEVEUI:") {
		t.Fatalf("device %q", device)
	}

	t.Run("forged", func(t *testing.T) {
		body := `[{"bn":"urn:dev:DEVEUI:00000000000000F0:","bt":1.7E9},{"n":"temperature","u":"Cel","v":20.5}]`
		if code := post(t, url+"/things", "ca.pem", body, verify.Token([]byte(body+"\n"), secret)); code != 401 {
			t.Fatalf("forged message answered %d", code)
		}
		waitFor(t, ctx, "the forged arrival", `document.querySelector('#list li[data-verdict="invalid"][data-status="401"]') !== null`)
		chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#list li[data-verdict="invalid"]`)))
		waitFor(t, ctx, "its cause", `document.querySelector("#token-cause") !== null`)
		if cause := eval[string](t, ctx, `document.querySelector("#token-cause").textContent`); cause != "likely cause: the body with a trailing newline" {
			t.Errorf("cause %q", cause)
		}
		rows := eval[[]string](t, ctx, `Array.from(document.querySelectorAll("#detail tr[data-name]")).map(r => r.dataset.name + "=" + r.dataset.value)`)
		if fmt.Sprint(rows) != "[temperature=20.5]" {
			t.Errorf("resolved rows %v", rows)
		}
	})

	t.Run("markup is text", func(t *testing.T) {
		body := `[{"bn":"urn:dev:<img src=x onerror=window.__pwned=1>:","n":"t","v":1},{"n":"x","vs":"<img src=x onerror=window.__pwned=2>"}]`
		code := post(t, url+"/things", "ca.pem", body, verify.Token([]byte(body), secret), "X-Note", "<script>window.__pwned=3</script>")
		if code != 200 {
			t.Fatalf("answered %d", code)
		}
		waitFor(t, ctx, "the arrival with markup", `document.querySelector('#list li[data-device^="urn:dev:<img"]') !== null`)
		chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#list li[data-device^="urn:dev:<img"]`)))
		waitFor(t, ctx, "its body", `document.querySelector("#raw") !== null && document.querySelector("#raw").textContent.includes("onerror")`)
		time.Sleep(200 * time.Millisecond) // an onerror of a broken image would fire by now
		if raw := eval[string](t, ctx, `document.querySelector("#raw").textContent`); raw != body {
			t.Errorf("raw body shown as %q", raw)
		}
		header := eval[bool](t, ctx, `Array.from(document.querySelectorAll("#detail td")).some(td => td.textContent === "<script>window.__pwned=3</script>")`)
		if !header {
			t.Errorf("the header with markup is not shown as text")
		}
		pwned := eval[any](t, ctx, `window.__pwned === undefined ? null : window.__pwned`)
		images := eval[int](t, ctx, `document.querySelectorAll("img").length`)
		scripts := eval[int](t, ctx, `document.querySelectorAll("script").length`)
		if pwned != nil || images != 0 || scripts != 2 {
			t.Fatalf("markup from the wire ran or became elements: __pwned=%v, %d img, %d script", pwned, images, scripts)
		}
	})

	t.Run("chart", func(t *testing.T) {
		if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS("#chart-device"), device),
			chromedp.Evaluate[chromedp.Void](`document.querySelector("#chart-device").dispatchEvent(new Event("change")), undefined`)); err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, "a chart of the device's temperature with three points",
			`(c => c !== null && c.dataset.points === "3" && c.querySelector("canvas") !== null)(document.querySelector('.chart[data-measurement="temperature"]'))`)
		// A new message of the device adds its point live.
		if code, out := send("--count", "1", "--devices", "1", "--seed", "7"); code != 0 {
			t.Fatalf("send: exit %d\n%s", code, out)
		}
		waitFor(t, ctx, "the fourth point, live", `document.querySelector('.chart[data-measurement="temperature"]').dataset.points === "4"`)
	})

	t.Run("control", func(t *testing.T) {
		if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS("#script"), "500"), chromedp.Click(chromedp.CSS("#apply"))); err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, "the new answer", `document.querySelector("#answer-state").dataset.script === "500"`)
		code, out := send("--count", "1")
		if code == 0 || !strings.Contains(out, "500×3") {
			t.Fatalf("send after the page set 500: exit %d\n%s", code, out)
		}
		waitFor(t, ctx, "three attempts answered 500", `document.querySelectorAll('#list li[data-status="500"]').length === 3`)
	})

	count := eval[string](t, ctx, `document.querySelector("#count").dataset.total`)
	if count != "9" {
		t.Errorf("the page counts %s arrivals, want 9", count)
	}
	if *updateDocs {
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#list li[data-verdict="invalid"]`)), chromedp.Sleep(300*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(repoRoot, "docs", "inspector.png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestInspectInTheBrowser: inspect lists every record of a capture and a dead-letter file.
func TestInspectInTheBrowser(t *testing.T) {
	ctx := browser(t)
	t.Chdir(t.TempDir())
	if err := os.WriteFile("secret", []byte(testSecret), 0o600); err != nil {
		t.Fatal(err)
	}
	url, stop := startReceive(t, "url", "--secret-file", "secret", "--ca-out", "ca.pem", "--capture", "capture.jsonl", "--respond", "200,200,200,200,500")
	url = strings.TrimSpace(url)
	code, out := thingsim(t, "send", "--url", url+"/things", "--ca-file", "ca.pem", "--relax", "--secret-file", "secret", "--count", "5",
		"--attempts", "1", "--dead-letter", "dead.jsonl")
	stop()
	if code != 1 {
		t.Fatalf("send: exit %d, want 1 (one message answered 500)\n%s", code, out)
	}

	ctxRun, cancel := context.WithCancel(t.Context())
	done := make(chan string)
	go func() {
		var out bytes.Buffer
		Run(ctxRun, &IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &out, ColorMode: "never"},
			[]string{"inspect", "--ui-listen", "127.0.0.1:0", "--ui-url-out", "ui", "capture.jsonl", "dead.jsonl"})
		done <- out.String()
	}()
	ui := strings.TrimSpace(waitFile(t, "ui"))
	if err := chromedp.Do(ctx, chromedp.Navigate(ui)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "six messages: five captured, one dead letter", `document.querySelectorAll("#list li").length === 6`)
	if n := eval[int](t, ctx, `document.querySelectorAll('#list li[data-verdict="valid"]').length`); n != 5 {
		t.Errorf("%d valid arrivals, want the 5 captured", n)
	}
	if hidden := eval[bool](t, ctx, `document.querySelector("#control").hidden`); !hidden {
		t.Errorf("inspect shows the answer control")
	}
	cancel()
	if out := <-done; !strings.Contains(out, "capture.jsonl: 5 messages") || !strings.Contains(out, "dead.jsonl: 1 message") {
		t.Errorf("inspect said:\n%s", out)
	}
}

// TestInspectorCommandsSendItAgain runs the page's "copy as thingsim replay" and "copy as curl"
// commands in a shell: each sends the same bytes again, and the endpoint finds the token valid.
func TestInspectorCommandsSendItAgain(t *testing.T) {
	bin := buildBinary(t)
	t.Chdir(t.TempDir())
	secret := testSecret
	url, ui, stop := startInspecting(t, "my secret", "--capture", "capture.jsonl")
	body := "[{\"bn\":\"urn:dev:DEVEUI:00000000000000AB:\",\"bt\":1.7E9},\n {\"n\":\"note\",\"vs\":\"it's 'quoted' $HOME `x` \\\\ é\"}]"
	if code := post(t, url+"/things?a=1&b=2", "ca.pem", body, verify.Token([]byte(body), secret)); code != 200 {
		t.Fatalf("answered %d", code)
	}
	resp, err := http.Get(ui + "api/messages/1")
	if err != nil {
		t.Fatal(err)
	}
	var d struct{ Replay, Curl string }
	json.NewDecoder(resp.Body).Decode(&d)
	resp.Body.Close()
	if !strings.Contains(d.Replay, "--secret-file 'my secret'") {
		t.Errorf("the replay command does not name receive's secret file: %s", d.Replay)
	}
	commands := []string{d.Replay}
	if _, err := exec.LookPath("curl"); err == nil {
		commands = append(commands, d.Curl)
	} else {
		t.Log("no curl here: the curl command is not run")
	}
	for _, c := range commands {
		sh := exec.Command("sh", "-c", c)
		sh.Env = append(os.Environ(), "PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"))
		if out, err := sh.CombinedOutput(); err != nil {
			t.Fatalf("%s\n%v\n%s", c, err, out)
		}
	}
	out := stop()
	recs := readRecords(t, "capture.jsonl")
	if len(recs) != 1+len(commands) {
		t.Fatalf("%d records, want %d\n%s", len(recs), 1+len(commands), out)
	}
	for i, r := range recs {
		b, _ := r.Bytes()
		if string(b) != body || r.Verdict != "valid" || r.Target != "/things?a=1&b=2" {
			t.Errorf("record %d: verdict %s, target %s, body %q", i+1, r.Verdict, r.Target, b)
		}
	}
}

// readRecords reads a file of message records.
func readRecords(t *testing.T, path string) []record.MessageRecord {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []record.MessageRecord
	for line := range strings.Lines(string(b)) {
		var r record.MessageRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, r)
	}
	return out
}

// TestInspectorTenThousandArrivals: after 10,000 arrivals the page counts them all, holds the
// newest 1,000, draws only the rows on screen, and still answers a click and a filter.
func TestInspectorTenThousandArrivals(t *testing.T) {
	ctx := browser(t)
	t.Chdir(t.TempDir())
	url, ui, stop := startInspecting(t, "secret")
	defer stop()
	openPage(t, ctx, ui)
	code, out := thingsim(t, "send", "--url", url+"/things", "--ca-file", "ca.pem", "--relax", "--secret-file", "secret",
		"--count", "10000", "--concurrency", "32", "--devices", "50", "--message-lines", "none")
	if code != 0 {
		t.Fatalf("send: exit %d\n%s", code, out)
	}
	waitFor(t, ctx, "10,000 arrivals counted", `document.querySelector("#count").dataset.total === "10000"`)
	waitFor(t, ctx, "the newest on top", `(li => li !== null && li.dataset.id === "10000")(document.querySelector("#list li"))`)
	if shown := eval[string](t, ctx, `document.querySelector("#shown").textContent`); shown != "the newest 1,000 of 10,000 arrivals" {
		t.Errorf("the page says %q", shown)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll("#list li").length`); n < 5 || n > 60 {
		t.Errorf("%d rows drawn: the list should draw the rows on screen, not all 1,000", n)
	}
	// Scrolled to the end, the list draws the oldest it holds.
	chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`(v => { v.scrollTop = v.scrollHeight; })(document.querySelector("#viewport"))`))
	waitFor(t, ctx, "the oldest row held, at the end of the list", `Array.from(document.querySelectorAll("#list li")).some(li => li.dataset.id === "9001")`)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#list li[data-id="9001"]`))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the detail of a row clicked", `document.querySelector("#detail h2") !== null && document.querySelector("#detail h2").textContent.startsWith("#9001 ")`)
	device := eval[string](t, ctx, `document.querySelector('#list li[data-id="9001"]').dataset.device`)
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS("#filter-device"), device)); err != nil {
		t.Fatal(err)
	}
	chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector("#filter-device").dispatchEvent(new Event("change")), undefined`))
	waitFor(t, ctx, "only the device's rows", `(lis => lis.length > 0 && lis.every(li => li.dataset.device === `+strconv.Quote(device)+`))(Array.from(document.querySelectorAll("#list li")))`)
}

// TestInspectorShowsTheRelay: with receive --forward, the page shows for each arrival where it was
// relayed and what the app answered, and the app's failure as text; the password of the app's URL
// is shown redacted and appears nowhere on the page.
func TestInspectorShowsTheRelay(t *testing.T) {
	ctx := browser(t)
	t.Chdir(t.TempDir())
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if bytes.Contains(body, []byte("00000000000000F0")) {
			// The app dies on this one: the connection closes without an answer.
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
			return
		}
		w.WriteHeader(201)
	}))
	defer app.Close()
	appURL := strings.Replace(app.URL, "http://", "http://relay:app-s3cret@", 1) + "/things"
	url, ui, stop := startInspecting(t, "secret", "--forward", appURL)
	defer stop()
	openPage(t, ctx, ui)

	stored := `[{"bn":"urn:dev:DEVEUI:00000000000000A1:","bt":1.7E9},{"n":"temperature","u":"Cel","v":20.5}]`
	if code := post(t, url+"/things", "ca.pem", stored, verify.Token([]byte(stored), testSecret)); code != 201 {
		t.Fatalf("relayed message answered %d, want the app's 201", code)
	}
	dies := `[{"bn":"urn:dev:DEVEUI:00000000000000F0:","bt":1.7E9},{"n":"temperature","u":"Cel","v":20.5}]`
	if code := post(t, url+"/things", "ca.pem", dies, verify.Token([]byte(dies), testSecret)); code != 502 {
		t.Fatalf("message the app dropped answered %d, want 502", code)
	}
	waitFor(t, ctx, "both arrivals", `document.querySelector('#list li[data-status="201"]') !== null && document.querySelector('#list li[data-status="502"]') !== null`)
	redacted := strings.Replace(app.URL, "http://", "http://relay:[redacted]@", 1) + "/things"
	for _, c := range []struct{ status, want string }{
		{"201", "relayed to " + redacted + " → 201 in "},
		{"502", "relayed to " + redacted + " → 502 in "},
	} {
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#list li[data-status="`+c.status+`"]`))); err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, "the relay of the arrival answered "+c.status,
			`document.querySelector("#forward") !== null && document.querySelector("#forward").textContent.includes("→ `+c.status+` in")`)
		line := eval[string](t, ctx, `document.querySelector("#forward").textContent`)
		if !strings.HasPrefix(line, c.want) {
			t.Errorf("relay line %q, want it to start %q", line, c.want)
		}
		if c.status == "502" && !strings.Contains(line, "(") {
			t.Errorf("relay line %q does not say why the app gave no answer", line)
		}
		if page := eval[string](t, ctx, `document.documentElement.outerHTML`); strings.Contains(page, "app-s3cret") {
			t.Fatalf("the app's password is on the page")
		}
	}
}
