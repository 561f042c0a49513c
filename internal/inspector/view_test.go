package inspector

import (
	"encoding/json"
	"testing"

	"github.com/thingsim/thingsim/internal/record"
)

// FuzzView: whatever bytes arrive, the page's view of them is made without a panic, encodes as
// JSON, and gives the commands that send them again.
func FuzzView(f *testing.F) {
	for _, seed := range []string{pack, `[{"bn":"x","bt":-1e308,"v":1e308},{"n":"a","t":1e300}]`, `[{"vd":"!!"}]`, "\xff\x00", `[{"bn":1}]`, `{}`, ``} {
		f.Add([]byte(seed), "valid", 200)
	}
	h, err := NewHandler(Config{Store: NewStore(0, 0), Endpoint: "https://127.0.0.1:8443"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte, verdict string, status int) {
		r := record.MessageRecord{Time: "2026-11-29T12:00:00Z", Verdict: verdict, Status: status, Target: "/x"}
		r.SetBody(body)
		a := h.cfg.Store.Add(r)
		v := a.View()
		if s := a.Summary(); s.Device != v.Device || s.Layout != v.Layout || len(s.Points) != len(v.Points) {
			t.Fatalf("summary %+v and view %+v differ", s, v.Summary)
		}
		if _, err := json.Marshal(Detail{View: v, Replay: h.replayCommand(a), Curl: h.curlCommand(a)}); err != nil {
			t.Fatal(err)
		}
		if v.Size != len(body) {
			t.Fatalf("size %d of %d bytes", v.Size, len(body))
		}
	})
}
