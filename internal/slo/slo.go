// Package slo judges a load run against service levels given on the command line (--slo): a
// latency percentile or the maximum under a bound, the share of failed messages under a bound, the
// achieved rate at least a bound, each on the whole run, and writes the verdicts as JUnit.
package slo

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/thingsim/thingsim/internal/junit"
	"github.com/thingsim/thingsim/report"
)

// Grammar says what Parse takes, for usage errors.
const Grammar = "p50|p90|p95|p99|p99.9|max<DURATION (p99<500ms), failed<PERCENT (failed<1%), rate>=N/s (rate>=200/s, or /m, /h)"

// Objective is one service level.
type Objective struct {
	Expr     string  // as given
	metric   string  // p50 … max, failed, rate
	quantile float64 // of a latency percentile; 1 for max
	bound    float64 // milliseconds, percent, or messages a second
}

var quantiles = map[string]float64{"p50": 0.50, "p90": 0.90, "p95": 0.95, "p99": 0.99, "p99.9": 0.999, "max": 1}

// Parse reads one objective of Grammar.
func Parse(s string) (Objective, error) {
	expr := strings.ReplaceAll(s, " ", "")
	o := Objective{Expr: expr}
	if metric, value, ok := strings.Cut(expr, ">="); ok {
		if metric != "rate" {
			return o, fmt.Errorf("%q: only rate takes >=", s)
		}
		num, unit, _ := strings.Cut(value, "/")
		per := map[string]float64{"": 1, "s": 1, "m": 60, "h": 3600}[unit]
		n, err := strconv.ParseFloat(num, 64)
		if err != nil || per == 0 || n <= 0 {
			return o, fmt.Errorf("%q: the rate is not N/s, N/m or N/h", s)
		}
		o.metric, o.bound = "rate", n/per
		return o, nil
	}
	metric, value, ok := strings.Cut(expr, "<")
	if !ok || strings.HasPrefix(value, "=") {
		return o, fmt.Errorf("%q: want METRIC<BOUND, or rate>=N/s", s)
	}
	switch q, isLatency := quantiles[metric]; {
	case isLatency:
		d, err := time.ParseDuration(value)
		if err != nil || d <= 0 {
			return o, fmt.Errorf("%q: %q is not a duration such as 500ms", s, value)
		}
		o.metric, o.quantile, o.bound = metric, q, float64(d)/float64(time.Millisecond)
	case metric == "failed":
		n, err := strconv.ParseFloat(strings.TrimSuffix(value, "%"), 64)
		if err != nil || n < 0 || n > 100 {
			return o, fmt.Errorf("%q: %q is not a percentage such as 1%%", s, value)
		}
		o.metric, o.bound = "failed", n
	default:
		return o, fmt.Errorf("%q: no metric is named %q", s, metric)
	}
	return o, nil
}

// ParseAll reads every objective, or says what is wrong and the grammar.
func ParseAll(exprs []string) ([]Objective, error) {
	var out []Objective
	for _, e := range exprs {
		o, err := Parse(e)
		if err != nil {
			return nil, fmt.Errorf("%w; an objective is %s", err, Grammar)
		}
		out = append(out, o)
	}
	return out, nil
}

// Measures are what a run measured, the whole run's.
type Measures struct {
	Quantile func(q float64) time.Duration // latency at q; q = 1 is the maximum
	Messages int64
	Failed   int64 // discarded or answered another code than the expected one
	Rate     float64
}

// Judge returns the objective's verdict on the run.
func (o Objective) Judge(m Measures) report.SLO {
	v := report.SLO{Objective: o.Expr}
	switch o.metric {
	case "rate":
		v.Value, v.Unit, v.Pass = round(m.Rate), "messages/s", m.Rate >= o.bound
	case "failed":
		pct := 0.0
		if m.Messages > 0 {
			pct = 100 * float64(m.Failed) / float64(m.Messages)
		}
		v.Value, v.Unit, v.Pass = round(pct), "%", pct < o.bound
	default:
		ms := float64(m.Quantile(o.quantile)) / float64(time.Millisecond)
		v.Value, v.Unit, v.Pass = round(ms), "ms", ms < o.bound && m.Messages > 0
	}
	return v
}

func round(x float64) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'f', 3, 64), 64)
	return r
}

// Text says a verdict in a line: the objective, the value, and whether it was met.
func Text(v report.SLO) string {
	mark := "met"
	if !v.Pass {
		mark = "missed"
	}
	return fmt.Sprintf("slo %s: %s %s, %s", v.Objective, strconv.FormatFloat(v.Value, 'f', -1, 64), v.Unit, mark)
}

// WriteJUnit writes one testcase per verdict; note, when not empty, says what the run was (an
// interrupted one is judged on what ran).
func WriteJUnit(w io.Writer, target string, started time.Time, took time.Duration, verdicts []report.SLO, note string) error {
	if len(verdicts) == 0 {
		return errors.New("no objective to write")
	}
	suite := junit.NewSuite("thingsim load "+target, started)
	suite.Time = junit.Seconds(took)
	for _, v := range verdicts {
		c := junit.Case{Name: v.Objective, Classname: "thingsim.slo", Time: suite.Time}
		if v.Pass {
			c.SystemOut = Text(v) + "\n" + note
		} else {
			c.Failure = &junit.Message{Message: Text(v), Type: "slo_missed", Text: note}
		}
		suite.Add(c)
	}
	return junit.Write(w, "thingsim load", suite)
}
