package capture

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/thingsim/thingsim/sender"
)

const docBody = `[{"bn":"urn:dev:DEVEUI:0000000000000000:","bt":1.58565075E9},{"n":"temperature","v":21.22,"u":"Celsius"}]`

// docRaw is the platform documentation's example request, as a user would paste it in a file:
// Content-length says 106, the body is 105 bytes, and the file ends with a newline.
const docRaw = "POST /thingsdata HTTP/1.1\n" +
	"Host: www.example.com\n" +
	"Things-Plug-UUID: fbc063cb-4dd4-41b3-917a-e2d1ea907f75\n" +
	"Things-Message-Token: a7939780a487b036d5f41edf29ee3e087b14c121302e321326865255de8ea9c9\n" +
	"Content-type: application/json\n" +
	"Content-length: 106\n" +
	"Test-header: Hello world\n" +
	"\n" + docBody + "\n"

type got struct {
	items    []Item
	problems []*Problem
}

func drain(t *testing.T, s Source) got {
	t.Helper()
	var g got
	for range 10000 {
		it, err := s.Next()
		var p *Problem
		switch {
		case errors.Is(err, io.EOF):
			return g
		case errors.As(err, &p):
			g.problems = append(g.problems, p)
		case err != nil:
			t.Fatal(err)
		default:
			g.items = append(g.items, it)
		}
	}
	t.Fatal("source never ends")
	return g
}

func TestRawHTTPDocExample(t *testing.T) {
	s := Parse("doc.http", []byte(docRaw))
	g := drain(t, s)
	if s.Kind() != "raw HTTP" || len(g.items) != 1 || len(g.problems) != 0 {
		t.Fatalf("%s: %+v", s.Kind(), g)
	}
	it := g.items[0]
	if string(it.Body) != docBody || it.Token != "a7939780a487b036d5f41edf29ee3e087b14c121302e321326865255de8ea9c9" ||
		it.PlugUUID != "fbc063cb-4dd4-41b3-917a-e2d1ea907f75" || len(it.Headers) != 6 || it.Headers[5].Name != "Test-header" {
		t.Fatalf("%+v", it)
	}
	if sender.Sign(it.Body, sender.NewSecret("C03fajLBWj$nbvOnQlV9N49zVFEobV#")) != it.Token {
		t.Fatal("the body read is not the one the documentation's token was made over")
	}
}

func TestRawHTTPSeveralRequests(t *testing.T) {
	data := "POST /a HTTP/1.1\r\nContent-Length: 2\r\n\r\n[]" +
		"\r\n\r\nGET /b?x=1 HTTP/1.1\r\nContent-Length: 4\r\nThings-Message-Token: t2\r\n\r\n[1]\n" +
		"POST /c HTTP/1.1\nHost: h\n\n[2]\n"
	g := drain(t, Parse("three.http", []byte(data)))
	if len(g.items) != 3 || len(g.problems) != 0 {
		t.Fatalf("%+v", g)
	}
	for i, want := range []string{"[]", "[1]\n", "[2]"} {
		if string(g.items[i].Body) != want {
			t.Errorf("request %d: body %q, want %q", i+1, g.items[i].Body, want)
		}
	}
	if g.items[1].Token != "t2" || !strings.Contains(g.items[2].Origin, "request 3 (line 11)") {
		t.Errorf("%+v", g.items)
	}
	g = drain(t, Parse("bad.http", []byte("POST /a HTTP/1.1\nContent-Length: 2\n\n[]\nnot a request\n")))
	if len(g.items) != 1 || len(g.problems) != 1 || !strings.Contains(g.problems[0].Error(), `bad.http request 2 (line 5): "not a request" is not an HTTP request line`) {
		t.Fatalf("%+v %v", g.items, g.problems)
	}
	g = drain(t, Parse("short.http", []byte("POST /a HTTP/1.1\nContent-Length: 300\n\n[1,2,3]\n")))
	if len(g.items) != 0 || len(g.problems) != 1 || !strings.Contains(g.problems[0].Msg, "Content-Length says 300 bytes, but 8 follow the headers") {
		t.Fatalf("cut short: %+v %v", g.items, g.problems)
	}
	// The documentation's example saved without its final newline: one byte short, still read.
	if g := drain(t, Parse("doc.http", []byte(strings.TrimSuffix(docRaw, "\n")))); len(g.items) != 1 || string(g.items[0].Body) != docBody {
		t.Fatalf("doc example without newline: %+v", g)
	}
	g = drain(t, Parse("bad.http", []byte("POST /a HTTP/1.1\nContent-Length: x\n\n[]")))
	if len(g.problems) != 1 || !strings.Contains(g.problems[0].Msg, "Content-Length \"x\" is not a byte count") {
		t.Fatalf("%+v", g.problems)
	}
}

func TestRecords(t *testing.T) {
	rec := sender.MessageRecord{Time: "t", Token: "tok", PlugUUID: "p", Verdict: "valid", Headers: []sender.Header{{Name: "X", Value: "1"}}}
	rec.SetBody([]byte("\x00\xffbinary"))
	line, _ := rec.MarshalLine()
	data := string(line) + "\n" + `{"time":"t","body_truncated":true,"body_size":2000000}` + "\n" + `{"time":"t","body_base64":"W10` + "\n" + `{"time":"t","body":"[]"}` + "\n"
	s := Parse("capture.jsonl", []byte(data))
	g := drain(t, s)
	if s.Kind() != "message records" || len(g.items) != 2 || len(g.problems) != 2 {
		t.Fatalf("%s %+v %v", s.Kind(), g.items, g.problems)
	}
	if string(g.items[0].Body) != "\x00\xffbinary" || g.items[0].Token != "tok" || g.items[0].Verdict != "valid" || g.items[0].Origin != "capture.jsonl line 1" {
		t.Errorf("%+v", g.items[0])
	}
	if string(g.items[1].Body) != "[]" {
		t.Errorf("body without base64: %q", g.items[1].Body)
	}
	if !g.problems[0].Skip || !strings.Contains(g.problems[0].Error(), "capture.jsonl line 3: no body kept (2000000 bytes") {
		t.Errorf("%v", g.problems[0])
	}
	if g.problems[1].Skip || !strings.Contains(g.problems[1].Error(), "line 4: a truncated record") {
		t.Errorf("%v", g.problems[1])
	}
}

func TestBodiesAndStreams(t *testing.T) {
	for _, tc := range []struct {
		data   string
		kind   string
		bodies []string
	}{
		{docBody + "\n", "a body file", []string{docBody}},
		{docBody, "a body file", []string{docBody}},
		{"[\n  {\"n\": \"a\", \"v\": 1}\n]\n", "a body file", []string{"[\n  {\"n\": \"a\", \"v\": 1}\n]"}},
		{"[1]\n\n[2]\r\n[3]", "bodies, one per line", []string{"[1]", "[2]", "[3]"}},
		{"hello\n\n", "a body file", []string{"hello\n"}},
	} {
		s := Parse("f", []byte(tc.data))
		g := drain(t, s)
		var bodies []string
		for _, it := range g.items {
			bodies = append(bodies, string(it.Body))
		}
		if s.Kind() != tc.kind || strings.Join(bodies, "|") != strings.Join(tc.bodies, "|") {
			t.Errorf("%q: %s %q, want %s %q", tc.data, s.Kind(), bodies, tc.kind, tc.bodies)
		}
	}
	if g := drain(t, Parse("empty", []byte("\n"))); len(g.items) != 0 || len(g.problems) != 1 || !strings.Contains(g.problems[0].Msg, "empty") {
		t.Fatalf("empty file: %+v", g)
	}
	g := drain(t, Parse("bin", []byte("\x00\x01")))
	if len(g.problems) != 1 || g.problems[0].Msg != "a binary file, not a body" {
		t.Fatalf("%+v", g)
	}
}

func TestHAR(t *testing.T) {
	data := `{"log":{"version":"1.2","entries":[
	 {"request":{"method":"POST","url":"https://e.com/a","headers":[{"name":"Things-Message-Token","value":"t1"},{"name":"Things-Plug-UUID","value":"p1"}],"postData":{"mimeType":"application/json","text":"[1]"}}},
	 {"request":{"method":"GET","url":"https://e.com/b","headers":[]}},
	 {"request":{"method":"POST","url":"https://e.com/c","headers":[],"postData":{"text":"WzJd","encoding":"base64"}}},
	 {"request":{"method":"POST","url":"https://e.com/d","headers":[],"postData":{"text":"***","encoding":"base64"}}}]}}`
	s := Parse("x.har", []byte(data))
	g := drain(t, s)
	if s.Kind() != "HAR" || len(g.items) != 2 || len(g.problems) != 2 {
		t.Fatalf("%s %+v %v", s.Kind(), g.items, g.problems)
	}
	if string(g.items[0].Body) != "[1]" || g.items[0].Token != "t1" || g.items[0].PlugUUID != "p1" || string(g.items[1].Body) != "[2]" {
		t.Errorf("%+v", g.items)
	}
	if !strings.Contains(g.problems[0].Error(), "x.har entry 2 (GET https://e.com/b): no request body") || !strings.Contains(g.problems[1].Error(), "entry 4") {
		t.Errorf("%v", g.problems)
	}
	g = drain(t, Parse("y.har", []byte(`{"log": [}`)))
	if len(g.problems) != 1 || !strings.HasPrefix(g.problems[0].Msg, "not a HAR file") {
		t.Fatalf("%+v", g)
	}
}

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "b.json"), []byte("[2]\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "a.json"), []byte("[1]"), 0o644)
	os.WriteFile(filepath.Join(dir, ".hidden"), []byte("x"), 0o644)
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	s, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	g := drain(t, s)
	if len(g.items) != 2 || string(g.items[0].Body) != "[1]" || string(g.items[1].Body) != "[2]" {
		t.Fatalf("%+v", g)
	}
	if _, err := Open(filepath.Join(dir, "missing"), nil); err == nil || !strings.Contains(err.Error(), "missing: no such file") {
		t.Fatalf("missing: %v", err)
	}
	p := filepath.Join(dir, "doc.http")
	os.WriteFile(p, []byte(docRaw), 0o644)
	s, _ = Open(p, nil)
	if g := drain(t, s); len(g.items) != 1 || string(g.items[0].Body) != docBody {
		t.Fatalf("%+v", g)
	}
	s, _ = Open("-", strings.NewReader("[1]\n[2]\n"))
	if g := drain(t, s); len(g.items) != 2 || g.items[1].Origin != "standard input line 2" || g.items[1].Line != 2 {
		t.Fatalf("%+v", g)
	}
}

func fuzzSeeds(f *testing.F) {
	rec := sender.MessageRecord{Time: "t", Token: "tok"}
	rec.SetBody([]byte(docBody))
	line, _ := rec.MarshalLine()
	f.Add(line)
	f.Add([]byte(docRaw))
	f.Add([]byte("POST /a HTTP/1.1\r\nContent-Length: 2\r\n\r\n[]GET / HTTP/1.0\n\n"))
	f.Add([]byte(`{"log":{"entries":[{"request":{"method":"POST","url":"u","headers":[],"postData":{"text":"WzJd","encoding":"base64"}}}]}}`))
	f.Add([]byte("[1]\n[2]\n"))
}

// FuzzParse: no input makes a parser panic or loop, and every problem names where it is.
func FuzzParse(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) { drainFuzz(t, Parse("f", data)) })
}

// drainFuzz reads a source to its end, failing on a problem without origin or a source that
// never ends.
func drainFuzz(t *testing.T, s Source) {
	for range 100000 {
		_, err := s.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		var p *Problem
		if errors.As(err, &p) && (p.Origin == "" || p.Msg == "") {
			t.Fatalf("problem without origin or message: %+v", p)
		}
	}
	t.Fatal("source never ends")
}

// FuzzRecords fuzzes the message-record reader alone (captures and dead letters).
func FuzzRecords(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		drainFuzz(t, newRecords("f", bufio.NewReader(bytes.NewReader(data)), nil))
	})
}

// FuzzRawHTTP fuzzes the raw HTTP request reader alone.
func FuzzRawHTTP(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) { drainFuzz(t, parseRaw("f", data)) })
}

// FuzzHAR fuzzes the HAR reader alone.
func FuzzHAR(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) { drainFuzz(t, parseHAR("f", data)) })
}

// TestOpenLongRecords: a capture whose first record is longer than what Open first looks at is
// still a capture, one item per record, not one body.
func TestOpenLongRecords(t *testing.T) {
	body := []byte(`[{"bn":"urn:dev:x:","bt":1.7E9},{"n":"payload","vs":"` + strings.Repeat("ab", 19<<10) + `"}]`)
	var file bytes.Buffer
	for i := 0; i < 5; i++ {
		rec := sender.MessageRecord{Time: "t", Token: "tok"}
		rec.SetBody(body)
		line, _ := rec.MarshalLine()
		file.Write(line)
	}
	if bytes.IndexByte(file.Bytes(), '\n') < 64<<10 {
		t.Fatalf("the first line (%d bytes) is not longer than 64 KiB", bytes.IndexByte(file.Bytes(), '\n'))
	}
	p := filepath.Join(t.TempDir(), "capture.jsonl")
	os.WriteFile(p, file.Bytes(), 0o644)
	s, err := Open(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	g := drain(t, s)
	if s.Kind() != "message records" || len(g.items) != 5 || !bytes.Equal(g.items[4].Body, body) {
		t.Fatalf("kind %q, %d items, %d problems", s.Kind(), len(g.items), len(g.problems))
	}
}

// TestOpenGrowingCapture: a capture that grows while it is read (replayed into the receiver that
// writes it) is read as it was when opened.
func TestOpenGrowingCapture(t *testing.T) {
	rec := sender.MessageRecord{Time: "t", Token: "tok"}
	rec.SetBody([]byte(`[{"bn":"urn:dev:x:"}]`))
	line, _ := rec.MarshalLine()
	p := filepath.Join(t.TempDir(), "capture.jsonl")
	os.WriteFile(p, bytes.Repeat(line, 3), 0o644)
	s, err := Open(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	for ; n < 100; n++ {
		if _, err := s.Next(); err != nil {
			break
		}
		f.Write(line)
	}
	if n != 3 {
		t.Fatalf("read %d records of a capture of 3 that grew by one each", n)
	}
}

// TestWebhookSiteExport: webhook.site's export of a token's requests (the JSON of GET
// /token/{id}/requests; a made-up token, the fields as its API documents them), headers as lists
// and as strings: each body byte for byte, its token and plug UUID, its headers in order; one
// request of it alone reads the same.
func TestWebhookSiteExport(t *testing.T) {
	path := filepath.Join("testdata", "webhook-site-requests.json")
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	want := []struct{ body, token string }{
		{`[{"bn":"urn:dev:DEVEUI:0004A30B001B714E:","bt":1.7E9},{"n":"temperature","u":"Cel","v":21.5},{"n":"label","vs":"café"}]`,
			"4babe381aa870709eed70346122a1f56d0b8e00489fb97d5379fdebdc5c1fb6c"},
		{`[{"bn":"urn:dev:DEVEUI:0004A30B001B714E:","bt":1.7000001E9,"n":"temperature","u":"Cel","v":22.0}]`,
			"74b12356f4a620b77035d3713decfc51bf6c4430a1ab1e936e71a5faae7f39e8"},
	}
	for i, w := range want {
		it, err := s.Next()
		if err != nil {
			t.Fatalf("request %d: %v", i+1, err)
		}
		if string(it.Body) != w.body || it.Token != w.token || it.PlugUUID != "fbc063cb-4dd4-41b3-917a-e2d1ea907f75" {
			t.Errorf("request %d: %q, token %s, plug %s", i+1, it.Body, it.Token, it.PlugUUID)
		}
		if sender.Sign(it.Body, sender.NewSecret("Kp7#ThingsTestSecret:2024/abcXYZ!")) != it.Token {
			t.Errorf("request %d: the body is not the one signed", i+1)
		}
		if !strings.Contains(it.Origin, "request "+strconv.Itoa(i+1)+" (POST https://webhook.site/") {
			t.Errorf("origin %s", it.Origin)
		}
	}
	if _, err := s.Next(); !errors.Is(err, io.EOF) {
		t.Errorf("after the last request: %v", err)
	}
	if s.Kind() != "webhook.site export" {
		t.Errorf("kind %s", s.Kind())
	}

	// One request of the export, as GET /token/{id}/request/{id} gives it.
	one := filepath.Join(t.TempDir(), "one.json")
	os.WriteFile(one, []byte(`{"method":"POST","content":"[1]","headers":{"things-message-token":["ab"],"x-first":["1","2"]},"url":"https://webhook.site/x","created_at":"2026-12-01 10:15:09"}`), 0o644)
	s, _ = Open(one, nil)
	it, err := s.Next()
	if err != nil || string(it.Body) != "[1]" || it.Token != "ab" || len(it.Headers) != 3 || it.Headers[2].Value != "2" {
		t.Errorf("one request: %+v %v", it, err)
	}
}
