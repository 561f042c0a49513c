package sender

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// MessageRecord is one message as a JSON line: the same shape for receive's captures, send's dead
// letters and replay's input. Body holds the text when it is valid UTF-8; BodyBase64 always holds
// the exact bytes, and is what a reader trusts.
type MessageRecord struct {
	Time       string   `json:"time"`
	Method     string   `json:"method,omitempty"`
	URL        string   `json:"url,omitempty"`
	Target     string   `json:"target,omitempty"`
	Remote     string   `json:"remote,omitempty"`
	Headers    []Header `json:"headers,omitempty"`
	PlugUUID   string   `json:"plug_uuid,omitempty"`
	Token      string   `json:"token,omitempty"`
	Body       *string  `json:"body,omitempty"`
	BodyBase64 string   `json:"body_base64,omitempty"`
	// Capture only: what the receiver made of the request.
	BodySize      int      `json:"body_size,omitempty"`
	BodyTruncated bool     `json:"body_truncated,omitempty"` // too large: the body is not kept
	Device        string   `json:"device,omitempty"`
	Records       int      `json:"records,omitempty"`
	SenML         string   `json:"senml,omitempty"` // valid or invalid
	SenMLFindings []string `json:"senml_findings,omitempty"`
	Verdict       string   `json:"verdict,omitempty"`
	Status        int      `json:"status,omitempty"`
	Dropped       bool     `json:"dropped,omitempty"` // the connection was closed without an answer
	// Dead letters only.
	Message  *int            `json:"message,omitempty"`
	Outcome  Outcome         `json:"outcome,omitempty"`
	Attempts []AttemptRecord `json:"attempts,omitempty"`
}

// AttemptRecord is one attempt in a dead letter and in JSON events.
type AttemptRecord struct {
	Attempt    int     `json:"attempt"`
	Status     int     `json:"status,omitempty"`
	Error      string  `json:"error,omitempty"`
	DurationMS float64 `json:"duration_ms"`
}

// SetBody stores the exact bytes, and the text when they are valid UTF-8.
func (m *MessageRecord) SetBody(b []byte) {
	m.BodyBase64 = base64.StdEncoding.EncodeToString(b)
	if utf8.Valid(b) {
		s := string(b)
		m.Body = &s
	} else {
		m.Body = nil
	}
}

// Bytes returns the exact body: from body_base64, or from body when a hand-written record lacks it.
func (m *MessageRecord) Bytes() ([]byte, error) {
	if m.BodyBase64 != "" {
		b, err := base64.StdEncoding.DecodeString(m.BodyBase64)
		if err != nil {
			return nil, fmt.Errorf("body_base64: %w", err)
		}
		return b, nil
	}
	if m.Body != nil {
		return []byte(*m.Body), nil
	}
	return nil, nil
}

// MillisOf returns d in milliseconds with a tenth of a millisecond's precision.
func MillisOf(d time.Duration) float64 {
	return float64(d.Round(100*time.Microsecond)) / float64(time.Millisecond)
}

// AttemptRecords returns the attempts as they are recorded.
func AttemptRecords(as []Attempt) []AttemptRecord {
	out := make([]AttemptRecord, len(as))
	for i, a := range as {
		out[i] = AttemptRecord{Attempt: a.Number, DurationMS: MillisOf(a.Duration)}
		if a.Response.Status != 0 {
			out[i].Status = a.Response.Status
		} else if a.Err != nil {
			out[i].Error = a.Err.Error()
		}
	}
	return out
}

// DeadLetter returns the record of a message that was not delivered, credentials redacted.
func (s *Sender) DeadLetter(r *Result) MessageRecord {
	req := r.Request
	msg := r.Message
	rec := MessageRecord{
		Time:     s.cfg.Now().UTC().Format(time.RFC3339Nano),
		Method:   req.Method,
		URL:      req.URL.String(),
		Headers:  s.template.Redacted(req),
		PlugUUID: req.headerValue(PlugHeader),
		Token:    req.Token,
		Message:  &msg,
		Outcome:  r.Outcome,
		Attempts: AttemptRecords(r.Attempts),
	}
	rec.SetBody(req.Body)
	return rec
}

// MarshalLine returns the record as one JSON line, newline included.
func (m *MessageRecord) MarshalLine() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // bodies stay readable: <, > and & as they are
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// headerValue returns the value of the request's first header of that name.
func (r *Request) headerValue(name string) string {
	for _, h := range r.Header {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}
