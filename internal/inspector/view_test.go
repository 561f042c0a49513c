package inspector

import (
	"encoding/json"
	"os/exec"
	"strings"
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

// TestShellQuoting: what shellQuote and shellWord make of a string, a POSIX shell gives back byte
// for byte, single quotes, newlines and dollars included.
func TestShellQuoting(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh on this machine")
	}
	for _, s := range []string{"plain", "it's", "''", "a b\nc", "$HOME `id` $(id) \\ \"", "ends with '", "caf\u00e9 \u00fcber"} {
		for name, quote := range map[string]func(string) string{"shellQuote": shellQuote, "shellWord": shellWord} {
			out, err := exec.Command(sh, "-c", "printf '%s' "+quote(s)).Output()
			if err != nil || string(out) != s {
				t.Errorf("%s(%q): the shell gave back %q (%v)", name, s, out, err)
			}
		}
	}
}

// TestLateErrorShowsNothing: a pack whose last record is in error shows no rows and no points of
// the records before it, and says the error.
func TestLateErrorShowsNothing(t *testing.T) {
	r := rec(`[{"bn":"urn:dev:DEVEUI:0000000000000000:","bt":1.7E9},{"n":"a","v":1},{"n":"b","v":2,"v":3}]`)
	v := newView(1, &r, true)
	if len(v.Rows) != 0 || len(v.Points) != 0 || !strings.Contains(v.SenMLError, "appears twice") {
		t.Errorf("rows %v, points %v, error %q", v.Rows, v.Points, v.SenMLError)
	}
}
