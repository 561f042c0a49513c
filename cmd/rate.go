package cmd

import (
	"fmt"
	"strconv"
	"strings"
	"time"
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
	r.text = s
	return nil
}
