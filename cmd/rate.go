package cmd

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Bounds of a rate: one message a day, a million a second.
const (
	minRate = 1.0 / 86400
	maxRate = 1_000_000
)

// rateValue is a message rate: "200/s", "12000/m", "1/5s", or a number per second.
type rateValue struct {
	perSecond float64
	text      string
	jitter    bool // set by fleet schedules, not by the flag
}

func (r *rateValue) String() string {
	if r.text == "" {
		return "0"
	}
	return r.text
}

func (r *rateValue) Type() string { return "rate" }

func (r *rateValue) Set(s string) error {
	n, per, hasPer := strings.Cut(strings.TrimSpace(s), "/")
	count, err := strconv.ParseFloat(n, 64)
	if err != nil || count < 0 {
		return fmt.Errorf("%q is not a rate such as 200/s, 12000/m or 50", s)
	}
	unit := time.Second
	if hasPer {
		switch per {
		case "s":
		case "m", "min":
			unit = time.Minute
		case "h":
			unit = time.Hour
		default:
			d, err := time.ParseDuration(per)
			if err != nil || d <= 0 {
				return fmt.Errorf("%q: the period %q is not s, m, h or a duration such as 5s", s, per)
			}
			unit = d
		}
	}
	r.perSecond = count / unit.Seconds()
	if r.perSecond != 0 && (r.perSecond < minRate || r.perSecond > maxRate) || math.IsInf(r.perSecond, 0) || math.IsNaN(r.perSecond) {
		return fmt.Errorf("%q: a rate must be 0, or from one a day to %d a second", s, int(maxRate))
	}
	r.text = s
	return nil
}
