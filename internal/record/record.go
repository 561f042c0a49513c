// Package record is the message record: one message as a JSON line, the same shape for receive's
// captures, send's dead letters and replay's input, shared by the sender, the reference endpoint
// and the capture reader without one depending on another.
package record

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Header is one header, name as spelled, in order.
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

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
	TokenCause    string   `json:"token_cause,omitempty"` // an invalid token's likely cause, verify's near miss
	Status        int      `json:"status,omitempty"`
	Dropped       bool     `json:"dropped,omitempty"` // the connection was closed without an answer
	// Forward is what the app behind receive --forward made of the request, if it was relayed.
	Forward *ForwardRecord `json:"forward,omitempty"`
	// Dead letters only.
	Message  *int            `json:"message,omitempty"`
	Outcome  string          `json:"outcome,omitempty"` // the sender's outcome
	Attempts []AttemptRecord `json:"attempts,omitempty"`
}

// ForwardRecord is a relayed request's trip to the app: where to, the app's status (0 when none
// came), how long it took, and why it failed, if it did.
type ForwardRecord struct {
	URL        string  `json:"url"`
	Status     int     `json:"status,omitempty"`
	DurationMS float64 `json:"duration_ms"`
	Error      string  `json:"error,omitempty"`
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

// RedactURL hides the password of a URL's user information ("https://alice:[redacted]@host"), so
// that a URL can be shown in a message; it works on text that is not a valid URL too.
func RedactURL(raw string) string {
	scheme := strings.Index(raw, "://")
	if scheme < 0 {
		return raw
	}
	rest := raw[scheme+3:]
	authority := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority = rest[:i]
	}
	at := strings.LastIndex(authority, "@")
	colon := strings.Index(authority, ":")
	if at < 0 || colon < 0 || colon > at {
		return raw
	}
	return raw[:scheme+3] + authority[:colon+1] + "[redacted]" + rest[at:]
}
