package sender

import (
	"github.com/thingsim/thingsim/internal/record"
	"strings"
	"time"
)

// MessageRecord, AttemptRecord: the message record, which the sender shares with the reference
// endpoint and the capture reader.
type (
	MessageRecord = record.MessageRecord
	AttemptRecord = record.AttemptRecord
)

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
		Outcome:  string(r.Outcome),
		Attempts: AttemptRecords(r.Attempts),
	}
	rec.SetBody(req.Body)
	return rec
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
