package main

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/thingsim/thingsim/internal/audit"
	"github.com/thingsim/thingsim/sender"
)

// TestAuditPasses: the README's Go receiver passes every required check of thingsim audit.
func TestAuditPasses(t *testing.T) {
	const secret = "Kp7#ThingsTestSecret:2024/abcXYZ!"
	srv := httptest.NewServer(newHandler(secret))
	defer srv.Close()
	d := &sender.Destination{Name: "go example", URL: srv.URL + "/things", Secret: sender.NewSecret(secret),
		PlugUUID: "fbc063cb-4dd4-41b3-917a-e2d1ea907f75"}
	if _, err := d.Check(true); err != nil {
		t.Fatal(err)
	}
	results, err := audit.Run(context.Background(), audit.Config{Destination: d, Backoff: []time.Duration{time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if r.Outcome == audit.Fail || r.Outcome == audit.Warn {
			t.Errorf("%s: %s: %s", r.Name, r.Outcome, r.Message)
		}
	}
}
