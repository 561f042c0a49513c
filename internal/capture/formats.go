package capture

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/thingsim/thingsim/internal/bounded"
	"github.com/thingsim/thingsim/internal/record"
	"github.com/thingsim/thingsim/verify"
)

// records yields message records, one JSON object per line: receive's captures and send's dead
// letters.
type records struct {
	name   string
	r      *bufio.Reader
	closer io.Closer
	line   int
}

func newRecords(name string, r *bufio.Reader, c io.Closer) *records {
	return &records{name: name, r: r, closer: c}
}

func (s *records) Next() (Item, error) {
	for {
		b, err := bounded.ReadLine(s.r, s.line+1, bounded.Record)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return Item{}, io.EOF
			}
			return Item{}, readError(s.name, err)
		}
		s.line++
		b = bytes.TrimRight(b, "\r\n")
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		origin := fmt.Sprintf("%s line %d", s.name, s.line)
		var rec record.MessageRecord
		if err := json.Unmarshal(b, &rec); err != nil {
			msg := "not a message record: " + err.Error()
			if errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "unexpected end of JSON input") {
				msg = "a truncated record (the line ends before its JSON does)"
			}
			return Item{}, &Problem{Origin: origin, Msg: msg}
		}
		if rec.BodyTruncated {
			return Item{}, &Problem{Origin: origin, Msg: fmt.Sprintf("no body kept (%d bytes, over the receiver's limit)", rec.BodySize), Skip: true}
		}
		if rec.BodyBase64 == "" && rec.Body == nil {
			return Item{}, &Problem{Origin: origin, Msg: "the record holds no body", Skip: true}
		}
		body, err := rec.Bytes()
		if err != nil {
			return Item{}, &Problem{Origin: origin, Msg: err.Error()}
		}
		return Item{Body: body, Token: rec.Token, PlugUUID: rec.PlugUUID, Headers: rec.Headers, Verdict: rec.Verdict, Origin: origin, Record: &rec}, nil
	}
}

func (s *records) Kind() string { return "message records" }

func (s *records) Close() error {
	if s.closer != nil {
		return s.closer.Close()
	}
	return nil
}

// requestLine matches an HTTP/1 request line: "POST /thingsdata HTTP/1.1".
var requestLine = regexp.MustCompile(`^[A-Z]+ \S+ HTTP/1\.[01]$`)

// parseRaw reads raw HTTP requests, as the platform's documentation shows one: request line,
// headers, a blank line, the body. Content-Length is honoured, so a file may hold several
// requests; without it the body is the rest of the file. The file's final newline never belongs
// to a body: the documentation's example says Content-length: 106 for a 105-byte body followed by
// a newline.
func parseRaw(name string, data []byte) Source {
	s := &single{kind: "raw HTTP"}
	pos, line := 0, 1
	for n := 1; ; n++ {
		// Blank lines between requests.
		for pos < len(data) && (data[pos] == '\n' || data[pos] == '\r') {
			if data[pos] == '\n' {
				line++
			}
			pos++
		}
		if pos >= len(data) {
			return s
		}
		origin := fmt.Sprintf("%s request %d (line %d)", name, n, line)
		item, next, lines, err := parseOneRaw(data, pos, origin)
		if err != nil {
			s.fail(&Problem{Origin: origin, Msg: err.Error()})
			return s
		}
		s.add(item)
		line += lines
		pos = next
	}
}

// parseOneRaw reads the request at data[pos:] and returns it, where the next one starts and how
// many lines it spanned.
func parseOneRaw(data []byte, pos int, origin string) (Item, int, int, error) {
	item := Item{Origin: origin}
	lines := 0
	readLine := func() (string, bool) {
		if pos >= len(data) {
			return "", false
		}
		end := bytes.IndexByte(data[pos:], '\n')
		var l []byte
		if end < 0 {
			l, pos = data[pos:], len(data)
		} else {
			l, pos = data[pos:pos+end], pos+end+1
		}
		lines++
		return strings.TrimSuffix(string(l), "\r"), true
	}
	first, _ := readLine()
	if !requestLine.MatchString(first) {
		return item, pos, lines, fmt.Errorf("%q is not an HTTP request line (METHOD /path HTTP/1.1)", first)
	}
	contentLength := -1
	for {
		l, ok := readLine()
		if !ok {
			return item, pos, lines, errors.New("the headers do not end in a blank line")
		}
		if l == "" {
			break
		}
		k, v, ok := strings.Cut(l, ":")
		if !ok || strings.TrimSpace(k) != k || k == "" {
			return item, pos, lines, fmt.Errorf("line %d, %q, is not a header (Name: value)", lines, l)
		}
		v = strings.TrimSpace(v)
		item.Headers = append(item.Headers, record.Header{Name: k, Value: v})
		switch {
		case strings.EqualFold(k, "Content-Length"):
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return item, pos, lines, fmt.Errorf("Content-Length %q is not a byte count", v)
			}
			contentLength = n
		case strings.EqualFold(k, verify.TokenHeader):
			item.Token = v
		case strings.EqualFold(k, verify.PlugHeader):
			item.PlugUUID = v
		}
	}
	rest := data[pos:]
	if contentLength > len(rest)+1 {
		// One byte short is the platform documentation's own example (Content-length 106, a body
		// of 105 bytes), saved without a final newline; more is a request cut short.
		return item, pos, lines, fmt.Errorf("Content-Length says %d bytes, but %d follow the headers: the request is cut short", contentLength, len(rest))
	}
	if contentLength < 0 || contentLength >= len(rest) {
		// The body runs to the end of the file, less the file's final newline.
		item.Body = chomp(rest)
		lines += bytes.Count(rest, []byte("\n"))
		return item, len(data), lines, nil
	}
	item.Body = rest[:contentLength]
	lines += bytes.Count(item.Body, []byte("\n"))
	return item, pos + contentLength, lines, nil
}

type harFile struct {
	Log *struct {
		Entries []struct {
			Request struct {
				Method   string          `json:"method"`
				URL      string          `json:"url"`
				Headers  []record.Header `json:"headers"`
				PostData *struct {
					Text     *string `json:"text"`
					Encoding string  `json:"encoding"`
				} `json:"postData"`
			} `json:"request"`
		} `json:"entries"`
	} `json:"log"`
}

// parseHAR reads the request bodies of a HAR 1.2 file, in order; a body marked base64 is decoded.
func parseHAR(name string, data []byte) Source {
	s := &single{kind: "HAR"}
	var h harFile
	if err := json.Unmarshal(data, &h); err != nil {
		s.fail(&Problem{Origin: name, Msg: "not a HAR file: " + err.Error()})
		return s
	}
	if h.Log == nil {
		s.fail(&Problem{Origin: name, Msg: "not a HAR file: no \"log\" member"})
		return s
	}
	for i, e := range h.Log.Entries {
		req := e.Request
		origin := fmt.Sprintf("%s entry %d (%s %s)", name, i+1, req.Method, req.URL)
		if req.PostData == nil || req.PostData.Text == nil {
			s.fail(&Problem{Origin: origin, Msg: "no request body (postData.text)"})
			continue
		}
		body := []byte(*req.PostData.Text)
		if strings.EqualFold(req.PostData.Encoding, "base64") {
			b, err := base64.StdEncoding.DecodeString(*req.PostData.Text)
			if err != nil {
				s.fail(&Problem{Origin: origin, Msg: "postData.text is marked base64 but is not: " + err.Error()})
				continue
			}
			body = b
		}
		s.add(withPlatformHeaders(Item{Body: body, Headers: req.Headers, Origin: origin}))
	}
	return s
}

// webhookSiteRequest is one request of webhook.site's export of a token's requests (the JSON of
// GET /token/{id}/requests: {"data": [...]}), or the JSON of one request.
type webhookSiteRequest struct {
	Method    string          `json:"method"`
	Content   *string         `json:"content"`
	Headers   json.RawMessage `json:"headers"`
	URL       string          `json:"url"`
	CreatedAt string          `json:"created_at"`
}

// parseWebhookSite reads webhook.site's export: each request's body as its content holds it, byte
// for byte, and its headers, whose values are lists or strings, in the order of the file.
func parseWebhookSite(name string, reqs []webhookSiteRequest) Source {
	s := &single{kind: "webhook.site export"}
	for i, req := range reqs {
		origin := fmt.Sprintf("%s request %d (%s %s, %s)", name, i+1, req.Method, req.URL, req.CreatedAt)
		if req.Content == nil {
			s.fail(&Problem{Origin: origin, Msg: "no request body (content)"})
			continue
		}
		headers, err := orderedHeaders(req.Headers)
		if err != nil {
			s.fail(&Problem{Origin: origin, Msg: "headers: " + err.Error()})
			continue
		}
		s.add(withPlatformHeaders(Item{Body: []byte(*req.Content), Headers: headers, Origin: origin}))
	}
	return s
}

// orderedHeaders reads a JSON object of headers, each value a string or a list of strings, into
// headers in the object's order, a list giving one header per value.
func orderedHeaders(raw json.RawMessage) ([]record.Header, error) {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	var out []record.Header
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		name, _ := tok.(string)
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		switch v := v.(type) {
		case string:
			out = append(out, record.Header{Name: name, Value: v})
		case []any:
			for _, x := range v {
				s, ok := x.(string)
				if !ok {
					return nil, fmt.Errorf("%s: a value that is not a string", name)
				}
				out = append(out, record.Header{Name: name, Value: s})
			}
		default:
			return nil, fmt.Errorf("%s: neither a string nor a list of strings", name)
		}
	}
	return out, nil
}

// withPlatformHeaders takes the token and the plug UUID from the item's headers, whatever their
// case.
func withPlatformHeaders(item Item) Item {
	for _, hd := range item.Headers {
		switch {
		case strings.EqualFold(hd.Name, verify.TokenHeader):
			item.Token = hd.Value
		case strings.EqualFold(hd.Name, verify.PlugHeader):
			item.PlugUUID = hd.Value
		}
	}
	return item
}
