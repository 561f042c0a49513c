package run

import (
	"bytes"
	"encoding/xml"
	"image/png"
	"strings"
	"testing"
	"time"
)

func TestLatencies(t *testing.T) {
	l := NewLatencies()
	for i := 1; i <= 1000; i++ {
		l.Record(time.Duration(i) * time.Millisecond)
	}
	for q, want := range map[float64]time.Duration{0.5: 500 * time.Millisecond, 0.9: 900 * time.Millisecond, 0.99: 990 * time.Millisecond, 0.999: 999 * time.Millisecond} {
		got := l.Quantile(q)
		if diff := got - want; diff < -want/500 || diff > want/500 { // three significant digits
			t.Errorf("p%g = %v, want %v", q*100, got, want)
		}
	}
	if m := l.Max(); m < 999*time.Millisecond || m > 1001*time.Millisecond {
		t.Errorf("max %v", m)
	}
	// Merging per-worker histograms gives the same as one.
	a, b := NewLatencies(), NewLatencies()
	for i := 1; i <= 1000; i++ {
		if i%2 == 0 {
			a.Record(time.Duration(i) * time.Millisecond)
		} else {
			b.Record(time.Duration(i) * time.Millisecond)
		}
	}
	a.Merge(b)
	if a.Count() != 1000 || a.Quantile(0.99) != l.Quantile(0.99) {
		t.Errorf("merged: %d, p99 %v vs %v", a.Count(), a.Quantile(0.99), l.Quantile(0.99))
	}
	// Out of range values are clamped, not lost.
	l.Record(0)
	l.Record(2 * time.Hour)
	if l.Count() != 1002 || l.Max() < time.Hour-time.Hour/500 {
		t.Errorf("clamped: count %d, max %v", l.Count(), l.Max())
	}
	if NewLatencies().Quantile(0.5) != 0 || NewLatencies().Max() != 0 {
		t.Error("an empty histogram reports a latency")
	}
}

func TestLatencyReports(t *testing.T) {
	l := NewLatencies()
	for i := 1; i <= 100; i++ {
		l.Record(time.Duration(i) * time.Millisecond)
	}
	var csv bytes.Buffer
	if err := l.WriteCSV(&csv); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(csv.String()), "\n")
	if lines[0] != "percentile,latency_ms,count" || len(lines) != 21 || !strings.HasPrefix(lines[6], "50,50.") || !strings.HasPrefix(lines[20], "100,100.") {
		t.Errorf("csv:\n%s", csv.String())
	}
	var svg bytes.Buffer
	if err := l.WriteSVG(&svg, "a <test> & run"); err != nil {
		t.Fatal(err)
	}
	var doc struct{ XMLName xml.Name }
	if err := xml.Unmarshal(svg.Bytes(), &doc); err != nil || doc.XMLName.Local != "svg" {
		t.Fatalf("svg does not parse: %v", err)
	}
	if !strings.Contains(svg.String(), "a &lt;test&gt; &amp; run") || !strings.Contains(svg.String(), "<polyline") {
		t.Error("svg lacks its title or line")
	}
}

func TestSchedule(t *testing.T) {
	start := time.Unix(1000, 0)
	s := NewSchedule(start, 200, false, 1)
	if got := s.At(0); !got.Equal(start) {
		t.Errorf("first at %v", got)
	}
	if got := s.At(200); !got.Equal(start.Add(time.Second)) {
		t.Errorf("200th at %v", got)
	}
	if n := s.Count(10 * time.Minute); n != 120000 {
		t.Errorf("count over 10m: %d", n)
	}
	// With jitter: within the slot, never back in time, and about the rate over many.
	j := NewSchedule(start, 100, true, 7)
	prev := start
	for k := int64(0); k < 10000; k++ {
		at := j.At(k)
		slot := start.Add(time.Duration(k) * 10 * time.Millisecond)
		if at.Before(slot) || !at.Before(slot.Add(10*time.Millisecond)) || at.Before(prev) {
			t.Fatalf("message %d at %v, slot %v, previous %v", k, at, slot, prev)
		}
		prev = at
	}
	// Reproducible for a seed.
	a, b := NewSchedule(start, 50, true, 3), NewSchedule(start, 50, true, 3)
	for k := int64(0); k < 100; k++ {
		if !a.At(k).Equal(b.At(k)) {
			t.Fatal("same seed, other times")
		}
	}
}

func BenchmarkRecord(b *testing.B) {
	l := NewLatencies()
	for i := 0; b.Loop(); i++ {
		l.Record(time.Duration(i%100000) * time.Microsecond)
	}
}

func TestLatencyPNG(t *testing.T) {
	l := NewLatencies()
	for i := 1; i <= 1000; i++ {
		l.Record(time.Duration(i) * time.Microsecond * 37)
	}
	var buf bytes.Buffer
	if err := l.WritePNG(&buf, "a run"); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 800 || b.Dy() != 420 {
		t.Fatalf("size %v", b)
	}
	// The curve is drawn: some pixels are the line's blue.
	blue := 0
	for y := 0; y < 420; y++ {
		for x := 0; x < 800; x++ {
			if r, g, bl, _ := img.At(x, y).RGBA(); r>>8 == 31 && g>>8 == 119 && bl>>8 == 180 {
				blue++
			}
		}
	}
	if blue < 500 {
		t.Fatalf("%d blue pixels", blue)
	}
}

// TestAxisTicks: the latency axis rises in round steps to at least the largest latency, and no two
// of its marks read alike, below a millisecond too.
func TestAxisTicks(t *testing.T) {
	for _, c := range []struct {
		max  float64
		want string
	}{
		{187.3, "0 ms,50 ms,100 ms,150 ms,200 ms"},
		{100, "0 ms,25 ms,50 ms,75 ms,100 ms"},
		{1.7, "0.0 ms,0.5 ms,1.0 ms,1.5 ms,2.0 ms"},
		{0.9, "0.00 ms,0.25 ms,0.50 ms,0.75 ms,1.00 ms"},
		{0.3, "0.0 ms,0.1 ms,0.2 ms,0.3 ms,0.4 ms"},
		{0.066, "0 µs,20 µs,40 µs,60 µs,80 µs"},
		{0, "0.00 ms,0.25 ms,0.50 ms,0.75 ms,1.00 ms"},
		{3600000, "0 s,1000 s,2000 s,3000 s,4000 s"},
		{2500, "0 s,1 s,2 s,3 s,4 s"},
	} {
		var labels []string
		ticks := axisTicks(c.max)
		for _, tk := range ticks {
			labels = append(labels, tk.label)
		}
		if got := strings.Join(labels, ","); got != c.want {
			t.Errorf("axis to %v ms: %s, want %s", c.max, got, c.want)
		}
		if top := ticks[len(ticks)-1].ms; top < c.max {
			t.Errorf("axis to %v ms tops at %v", c.max, top)
		}
	}
}
