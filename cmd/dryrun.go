package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/thingsim/thingsim/internal/run"
	"github.com/thingsim/thingsim/report"
	"github.com/thingsim/thingsim/sender"
)

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
			ev := report.Request{Event: "request", Message: m.Index, Method: req.Method, URL: req.URL.String(),
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
