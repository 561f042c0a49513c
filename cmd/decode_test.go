package cmd

import (
	"strings"
	"testing"
)

// TestDecodeKeepsWhatCameBefore: a line that cannot be read ends the input, and the table still
// holds the measurements of the packs before it.
func TestDecodeKeepsWhatCameBefore(t *testing.T) {
	ios, out, errOut := testStreams()
	ios.In = strings.NewReader(`[{"bn":"urn:dev:x:","bt":1.7E9,"n":"good","v":1}]` + "\n" + strings.Repeat("x", 2<<20))
	if code := Run(t.Context(), ios, []string{"decode"}); code != 1 {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(out.String(), "urn:dev:x:  good  1") || !strings.Contains(errOut.String(), "line 2 is longer than 1 MiB") {
		t.Errorf("stdout:\n%s\nstderr:\n%s", out, errOut)
	}
}
