package run

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Latencies is a log-bucketed histogram of durations from 1µs to 1 hour with three significant
// digits: constant memory whatever the number of messages. Not safe for concurrent use: keep one
// per worker and Merge them.
type Latencies struct {
	h *hdrhistogram.Histogram
}

const (
	lowest  = int64(time.Microsecond)
	highest = int64(time.Hour)
)

// NewLatencies returns an empty histogram.
func NewLatencies() *Latencies {
	return &Latencies{h: hdrhistogram.New(lowest, highest, 3)}
}

// Record adds one latency; values outside the range are clamped to it.
func (l *Latencies) Record(d time.Duration) {
	v := int64(d)
	if v < lowest {
		v = lowest
	}
	if v > highest {
		v = highest
	}
	l.h.RecordValue(v)
}

// Merge adds another histogram's values.
func (l *Latencies) Merge(o *Latencies) { l.h.Merge(o.h) }

// Reset empties the histogram.
func (l *Latencies) Reset() { l.h.Reset() }

// Count returns the number of values recorded.
func (l *Latencies) Count() int64 { return l.h.TotalCount() }

// Quantile returns the latency at q (0 < q <= 1).
func (l *Latencies) Quantile(q float64) time.Duration {
	if l.h.TotalCount() == 0 {
		return 0
	}
	return time.Duration(l.h.ValueAtQuantile(q * 100))
}

// Max returns the largest latency recorded.
func (l *Latencies) Max() time.Duration {
	if l.h.TotalCount() == 0 {
		return 0
	}
	return time.Duration(l.h.Max())
}

// distributionQuantiles are the points of the percentile reports, denser towards the tail.
func distributionQuantiles() []float64 {
	return []float64{0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 0.975, 0.99, 0.995, 0.999, 0.9995, 0.9999, 1}
}

// WriteCSV writes the percentile distribution: percentile and latency in milliseconds.
func (l *Latencies) WriteCSV(w io.Writer) error {
	if _, err := fmt.Fprintln(w, "percentile,latency_ms,count"); err != nil {
		return err
	}
	for _, q := range distributionQuantiles() {
		v := l.Quantile(math.Max(q, 1e-9))
		if q == 1 {
			v = l.Max()
		}
		if _, err := fmt.Fprintf(w, "%g,%.3f,%d\n", q*100, float64(v)/1e6, l.Count()); err != nil {
			return err
		}
	}
	return nil
}

// WriteSVG draws the percentile distribution: latency against percentile on a log scale of
// 1/(1-q), the usual latency-by-percentile picture.
func (l *Latencies) WriteSVG(w io.Writer, title string) error {
	const width, height, left, bottom, top, right = 800.0, 420.0, 70.0, 50.0, 40.0, 20.0
	qs := distributionQuantiles()
	qs = qs[:len(qs)-1] // 100% has no place on the 1/(1-q) axis; the max is printed instead
	maxMS := float64(l.Max()) / 1e6
	ticks := axisTicks(maxMS)
	topMS := ticks[len(ticks)-1].ms
	xOf := func(q float64) float64 { // 0 .. 4 nines
		return left + (width-left-right)*math.Log10(1/(1-q))/4
	}
	yOf := func(ms float64) float64 { return height - bottom - (height-bottom-top)*ms/topMS }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" font-family="sans-serif" font-size="12">`+"\n", width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%.0f" y="24" font-size="15">%s</text>`+"\n", left, xmlEscape(title))
	fmt.Fprintf(&b, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="black"/>`+"\n", left, height-bottom, width-right, height-bottom)
	fmt.Fprintf(&b, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="black"/>`+"\n", left, top, left, height-bottom)
	for i, label := range []string{"0%", "90%", "99%", "99.9%", "99.99%"} {
		x := left + (width-left-right)*float64(i)/4
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.0f" x2="%.1f" y2="%.0f" stroke="#ddd"/><text x="%.1f" y="%.0f" text-anchor="middle">%s</text>`+"\n",
			x, top, x, height-bottom, x, height-bottom+18, label)
	}
	for _, tick := range ticks {
		y := yOf(tick.ms)
		fmt.Fprintf(&b, `<line x1="%.0f" y1="%.1f" x2="%.0f" y2="%.1f" stroke="#eee"/><text x="%.0f" y="%.1f" text-anchor="end">%s</text>`+"\n",
			left, y, width-right, y, left-6, y+4, tick.label)
	}
	var pts []string
	for _, q := range qs {
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", xOf(q), yOf(float64(l.Quantile(math.Max(q, 1e-9)))/1e6)))
	}
	fmt.Fprintf(&b, `<polyline fill="none" stroke="#1f77b4" stroke-width="2" points="%s"/>`+"\n", strings.Join(pts, " "))
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" text-anchor="middle">percentile (%d messages, max %s)</text>`+"\n", (width+left)/2, height-12, l.Count(), msLabel(maxMS))
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// tick is a mark of the latency axis.
type tick struct {
	ms    float64
	label string
}

// axisTicks returns the five marks of a latency axis from 0 to at least maxMS, at a step of 1, 2,
// 2.5 or 5 times a power of ten, labelled with as many decimals as the step needs (in µs below a
// tenth of a millisecond, in seconds from a step of one), so that no two marks read alike and the
// top is a round number.
func axisTicks(maxMS float64) []tick {
	if maxMS <= 0 {
		maxMS = 1
	}
	raw := maxMS / 4
	pow := math.Pow(10, math.Floor(math.Log10(raw)))
	step := 10 * pow
	for _, m := range []float64{1, 2, 2.5, 5} {
		if m*pow >= raw*(1-1e-9) {
			step = m * pow
			break
		}
	}
	ticks := make([]tick, 5)
	for i := range ticks {
		v := step * float64(i)
		ticks[i] = tick{ms: v, label: axisLabel(v, step)}
	}
	return ticks
}

// axisLabel writes v (milliseconds) with the decimals a step of step needs.
func axisLabel(v, step float64) string {
	switch {
	case step < 0.1:
		return fmt.Sprintf("%.*f µs", decimals(step*1000), v*1000)
	case step >= 1000:
		return fmt.Sprintf("%.*f s", decimals(step/1000), v/1000)
	}
	return fmt.Sprintf("%.*f ms", decimals(step), v)
}

// decimals is how many decimals tell the multiples of step apart.
func decimals(step float64) int {
	d := 0
	for d < 6 && math.Abs(step*math.Pow(10, float64(d))-math.Round(step*math.Pow(10, float64(d)))) > 1e-6 {
		d++
	}
	return d
}

// msLabel writes a latency for a plot's caption: in µs below a tenth of a millisecond.
func msLabel(ms float64) string {
	if ms < 0.1 {
		return fmt.Sprintf("%.0f µs", ms*1000)
	}
	return fmt.Sprintf("%.1f ms", ms)
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}

// Encode writes the histogram in HdrHistogram's V2 compressed form, base64, as other HdrHistogram
// tools read it: latencies in nanoseconds.
func (l *Latencies) Encode() (string, error) {
	b, err := l.h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	return string(b), err
}

// DecodeLatencies reads what Encode wrote.
func DecodeLatencies(s string) (*Latencies, error) {
	h, err := hdrhistogram.Decode([]byte(s))
	if err != nil {
		return nil, err
	}
	l := NewLatencies()
	l.h.Merge(h)
	return l, nil
}
