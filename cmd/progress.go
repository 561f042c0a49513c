package cmd

import (
	"fmt"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/thingsim/thingsim/sender"
)

// progressView shows a run's progress on stderr when it is a terminal: done of total (or elapsed
// of the duration), the live rate, outcomes so far and the p99 latency.
type progressView struct {
	bar  *progressbar.ProgressBar
	done chan struct{}
	over chan struct{}
}

func startProgress(ios *IOStreams, r *runReport, total int64, duration time.Duration) *progressView {
	max := total
	byTime := total < 0 && duration > 0
	if byTime {
		max = int64(duration / time.Second)
	}
	bar := progressbar.NewOptions64(max,
		progressbar.OptionSetWriter(ios.ErrOut),
		progressbar.OptionSetWidth(24),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionShowCount(),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionEnableColorCodes(ios.colorFor(ios.ErrTTY)),
	)
	v := &progressView{bar: bar, done: make(chan struct{}), over: make(chan struct{})}
	go func() {
		defer close(v.over)
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		start := time.Now()
		var last int64
		lastAt := start
		for {
			select {
			case <-v.done:
				return
			case now := <-tick.C:
				t := r.totals()
				rate := float64(t.Messages-last) / now.Sub(lastAt).Seconds()
				last, lastAt = t.Messages, now
				failed := t.Messages - t.Outcomes[sender.Delivered]
				bar.Describe(fmt.Sprintf("%.0f/s · ✓ %d ✗ %d · p99 %s", rate, t.Outcomes[sender.Delivered], failed, formatDuration(t.Latency.Quantile(0.99))))
				if byTime {
					bar.Set64(int64(now.Sub(start) / time.Second))
				} else {
					bar.Set64(t.Messages)
				}
			}
		}
	}()
	return v
}

func (v *progressView) stop() {
	close(v.done)
	<-v.over
	v.bar.Clear()
}
