package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/thingsim/thingsim/internal/run"
	"io"

	"github.com/thingsim/thingsim/sender"
)

type requestEvent struct {
	Event   string          `json:"event"`
	Message int             `json:"message"`
	Method  string          `json:"method"`
	URL     string          `json:"url"`
	Headers []sender.Header `json:"headers"`
	Token   string          `json:"token"`
	Body    json.RawMessage `json:"body,omitempty"`
	BodyB64 string          `json:"body_base64"`
}

// dryRun prints the requests the run would send, credentials redacted.
func dryRun(ctx context.Context, ios *IOStreams, s *sender.Sender, f run.Messages, jsonOut bool) error {
	t := s.Template()
	for ctx.Err() == nil {
		m, err := f.Next()
		err = inputError(err)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return failure(err)
		}
		req := request(t, m)
		if jsonOut {
			rec := sender.MessageRecord{}
			rec.SetBody(req.Body)
			ev := requestEvent{Event: "request", Message: m.Index, Method: req.Method, URL: req.URL.String(),
				Headers: t.Redacted(req), Token: req.Token, BodyB64: rec.BodyBase64}
			if rec.Body != nil {
				ev.Body, _ = json.Marshal(*rec.Body)
			}
			b, _ := json.Marshal(ev)
			fmt.Fprintln(ios.Out, string(b))
			continue
		}
		if m.Index > 0 {
			fmt.Fprintln(ios.Out)
		}
		ios.Out.Write(t.Dump(req))
		fmt.Fprintln(ios.Out)
	}
	return errInterrupted
}
