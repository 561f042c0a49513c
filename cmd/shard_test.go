package cmd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/thingsim/thingsim/report"
)

// TestShardsMerge: four shards of a run, at once against one receiver, send between them every
// pack the whole run would send, each once, with the whole run's message numbers; merge adds them
// up to its counts, with percentiles that are those of every message; results of another run are
// refused.
func TestShardsMerge(t *testing.T) {
	t.Chdir(t.TempDir())
	writeFile(t, ".", "secret", "Kp7#ThingsTestSecret:2024/abcXYZ!")
	url, stop := startReceive(t, "url", "--secret-file", "secret", "--ca-out", "ca.pem", "--capture", "capture.jsonl")
	waitFile(t, "ca.pem")
	run := []string{"send", "--url", url + "/things", "--ca-file", "ca.pem", "--relax", "--secret-file", "secret",
		"--count", "40", "--devices", "10", "--seed", "7", "--now", "1767323045", "--output", "json"}
	const shards = 4
	outs := make([]bytes.Buffer, shards)
	var wg sync.WaitGroup
	for i := range shards {
		wg.Go(func() {
			args := append(slices.Clone(run), "--shard", fmt.Sprintf("%d/%d", i, shards), "--result", fmt.Sprintf("shard-%d.json", i))
			if code := Run(t.Context(), &IOStreams{In: strings.NewReader(""), Out: &outs[i], ErrOut: &outs[i], ColorMode: "never"}, args); code != 0 {
				t.Errorf("shard %d: exit %d\n%s", i, code, &outs[i])
			}
		})
	}
	wg.Wait()
	stop()

	// Every message once, by number, and every pack the whole run sends.
	numbers := map[int]int{}
	var latencies []float64
	for i := range shards {
		for _, line := range strings.Split(outs[i].String(), "\n") {
			var m report.Message
			if json.Unmarshal([]byte(line), &m) == nil && m.Event == "message" {
				numbers[m.Message]++
				latencies = append(latencies, m.LatencyMS)
			}
		}
	}
	for k := range 40 {
		if numbers[k] != 1 {
			t.Errorf("message %d sent %d times", k, numbers[k])
		}
	}
	var gen bytes.Buffer
	Run(t.Context(), &IOStreams{In: strings.NewReader(""), Out: &gen, ErrOut: &gen, ColorMode: "never"},
		[]string{"gen", "--count", "40", "--devices", "10", "--seed", "7", "--now", "1767323045"})
	want := strings.Split(strings.TrimSpace(gen.String()), "\n")
	var got []string
	capture, _ := os.ReadFile("capture.jsonl")
	for _, line := range strings.Split(strings.TrimSpace(string(capture)), "\n") {
		var rec struct{ Body string }
		json.Unmarshal([]byte(line), &rec)
		got = append(got, rec.Body)
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("the shards sent %d packs, not the whole run's %d (or not the same)", len(got), len(want))
	}

	// Merged: the whole run's counts, and percentiles of every message's latency.
	files, _ := filepath.Glob("shard-*.json")
	var merged bytes.Buffer
	code := Run(t.Context(), &IOStreams{In: strings.NewReader(""), Out: &merged, ErrOut: &merged, ColorMode: "never"},
		append([]string{"merge", "--output", "json", "--slo", "failed<1%"}, files...))
	if code != 0 {
		t.Fatalf("merge: exit %d\n%s", code, &merged)
	}
	var sum report.Summary
	for _, line := range strings.Split(merged.String(), "\n") {
		if strings.HasPrefix(line, `{"event":"summary"`) {
			json.Unmarshal([]byte(line), &sum)
		}
	}
	if sum.Messages != 40 || sum.Delivered != 40 || sum.Attempts != 40 || len(sum.SLO) != 1 || !sum.SLO[0].Pass {
		t.Errorf("merged: %+v", sum)
	}
	slices.Sort(latencies)
	rank := func(q float64) float64 { return latencies[int(math.Ceil(q*float64(len(latencies))))-1] }
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"p50", sum.LatencyMS.P50, rank(0.5)}, {"p90", sum.LatencyMS.P90, rank(0.9)}, {"max", sum.LatencyMS.Max, latencies[len(latencies)-1]}} {
		// The histogram keeps three significant digits, and both the events and the summary write
		// milliseconds to a tenth: a tenth apart, and the histogram's precision, is the same value.
		if math.Abs(c.got-c.want) > 0.002*c.want+0.1001 {
			t.Errorf("%s: merged %.3f ms, the shards' messages %.3f ms", c.name, c.got, c.want)
		}
	}

	// A result of another run (another seed) is refused.
	other := strings.Replace(string(mustRead(t, "shard-0.json")), `"shard":0`, `"shard":1`, 1)
	var res report.Result
	json.Unmarshal([]byte(other), &res)
	res.Run = "0123456789abcdef"
	b, _ := json.Marshal(res)
	os.WriteFile("other.json", b, 0o644)
	var refused bytes.Buffer
	if code := Run(t.Context(), &IOStreams{In: strings.NewReader(""), Out: &refused, ErrOut: &refused, ColorMode: "never"},
		[]string{"merge", "shard-0.json", "other.json"}); code != 2 || !strings.Contains(refused.String(), "these results are of different runs") {
		t.Errorf("different runs: exit %d\n%s", code, &refused)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
