package inspector

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/thingsim/thingsim/internal/record"
	"github.com/thingsim/thingsim/senml"
)

// Summary is an arrival as the list shows it, and as /api/messages and /api/events give it.
type Summary struct {
	ID       int64   `json:"id"`
	Time     string  `json:"time"`
	Method   string  `json:"method"`
	Target   string  `json:"target"`
	Device   string  `json:"device"`
	PlugUUID string  `json:"plug_uuid"`
	Layout   string  `json:"layout"` // legacy, merged, or other (not a pack the platform writes)
	Records  int     `json:"records"`
	Size     int     `json:"size"`
	Verdict  string  `json:"verdict"` // valid, invalid, missing, unknown_plug, unchecked, …
	Status   int     `json:"status"`  // the answer; 0 when there was none
	Dropped  bool    `json:"dropped,omitempty"`
	Outcome  string  `json:"outcome,omitempty"` // a dead letter's: why the sender gave it up
	Points   []Point `json:"points"`            // the pack's numeric measurements, for the charts
	// PointsCut counts the numeric measurements past MaxPoints, which the charts do not get.
	PointsCut int `json:"points_cut,omitempty"`
}

// What one arrival may cost the page: its points in the store, its rows and body in a view. A pack
// of a million records must not take the memory of a million rows (the record link downloads it
// whole).
const (
	MaxPoints   = 1000
	MaxRows     = 2000
	MaxViewBody = 1 << 20
)

// Point is one numeric measurement: the arrival it came in, name (without the base name), unit,
// time (Unix seconds) and value.
type Point struct {
	ID   int64   `json:"id"` // the arrival's
	Name string  `json:"name"`
	Unit string  `json:"unit,omitempty"`
	T    float64 `json:"t"`
	V    float64 `json:"v"`
}

// Row is one resolved SenML record as the detail's table shows it.
type Row struct {
	Device string `json:"device"`
	Name   string `json:"name"`
	Unit   string `json:"unit"`
	Kind   string `json:"kind"`
	Value  string `json:"value"`
	Sum    string `json:"sum,omitempty"`
	Time   string `json:"time"`
}

// View is everything the page shows of one arrival.
type View struct {
	Summary
	Headers    []record.Header        `json:"headers"`
	Token      string                 `json:"token"`
	TokenCause string                 `json:"token_cause,omitempty"`
	Body       *string                `json:"body"` // nil when the bytes are not UTF-8
	BodyBase64 string                 `json:"body_base64"`
	Truncated  bool                   `json:"body_truncated,omitempty"`
	Pretty     string                 `json:"pretty,omitempty"` // the body indented, when it is JSON
	Rows       []Row                  `json:"rows"`
	SenMLError string                 `json:"senml_error,omitempty"`
	Findings   []string               `json:"findings"`
	Attempts   []record.AttemptRecord `json:"attempts,omitempty"`
	// Forward is the trip to the app behind receive --forward, when the request was relayed.
	Forward *record.ForwardRecord `json:"forward,omitempty"`
	// Note says what the view leaves out of a large arrival.
	Note string `json:"note,omitempty"`
}

// newView makes the view of a record; without full, only its summary (no pretty body, no rows).
func newView(id int64, rec *record.MessageRecord, full bool) *View {
	v := &View{
		Summary: Summary{
			ID: id, Time: rec.Time, Method: rec.Method, Target: rec.Target, Device: rec.Device,
			PlugUUID: rec.PlugUUID, Records: rec.Records, Size: rec.BodySize, Verdict: rec.Verdict,
			Status: rec.Status, Dropped: rec.Dropped, Outcome: rec.Outcome, Points: []Point{},
		},
		Headers: rec.Headers, Token: rec.Token, TokenCause: rec.TokenCause, Body: rec.Body,
		BodyBase64: rec.BodyBase64, Truncated: rec.BodyTruncated, Rows: []Row{},
		Findings: append([]string{}, rec.SenMLFindings...), Attempts: rec.Attempts, Forward: rec.Forward,
	}
	if v.Headers == nil {
		v.Headers = []record.Header{}
	}
	if v.Method == "" {
		v.Method = "POST" // a dead letter: the sender's method is not recorded
	}
	if v.Verdict == "" {
		v.Verdict = "unchecked" // a dead letter: no receiver checked it
	}
	if v.Status == 0 && len(rec.Attempts) > 0 {
		v.Status = rec.Attempts[len(rec.Attempts)-1].Status
	}
	body, err := rec.Bytes()
	if err != nil || rec.BodyTruncated {
		v.Layout = "other"
		if err != nil {
			v.SenMLError = "the record's body cannot be read: " + err.Error()
		}
		return v
	}
	if v.Size == 0 {
		v.Size = len(body)
	}
	if rec.SenML == "" { // not a capture: validate here, as receive does
		rep := senml.Validate(body)
		v.Device, v.Records = rep.BaseName, rep.Records
		for _, f := range rep.Findings {
			v.Findings = append(v.Findings, f.String())
		}
	}
	v.Layout = senml.Layout(body)
	large := len(body) > MaxViewBody
	var indented bytes.Buffer
	if full && !large && json.Valid(body) && json.Indent(&indented, body, "", "  ") == nil {
		v.Pretty = indented.String()
	}
	if full && large {
		v.Body, v.BodyBase64 = nil, ""
		v.Note = fmt.Sprintf("the body is %s: the page shows no body over %s, nor more than %d of its records (the record link downloads it whole)", byteSize(len(body)), byteSize(MaxViewBody), MaxRows)
	}
	at := time.Now()
	if t, err := time.Parse(time.RFC3339Nano, rec.Time); err == nil {
		at = t // relative SenML times count from the arrival
	}
	// What the page keeps is gathered as the pack is read, and dropped when it fails late: a pack
	// in error shows no rows, as it shows no points.
	rowsCut := 0
	err = senml.Walk(body, at, func(m senml.Measurement) error {
		if full && len(v.Rows) < MaxRows {
			v.Rows = append(v.Rows, row(m))
		} else if full {
			rowsCut++
		}
		if m.Kind == senml.Number && !math.IsInf(m.Number, 0) && !math.IsNaN(m.Number) {
			if len(v.Points) < MaxPoints {
				v.Points = append(v.Points, Point{ID: id, Name: m.Name, Unit: m.Unit, T: float64(m.Time.UnixNano()) / 1e9, V: m.Number})
			} else {
				v.PointsCut++
			}
		}
		return nil
	})
	if err != nil {
		v.SenMLError = err.Error()
		v.Rows, v.Points, v.PointsCut = []Row{}, []Point{}, 0
		return v
	}
	if rowsCut > 0 && v.Note == "" {
		v.Note = fmt.Sprintf("the first %d records are shown, %d more are not (the record link downloads them)", MaxRows, rowsCut)
	}
	return v
}

// byteSize writes a size for people: 52.0 MB, 1.0 MiB.
func byteSize(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

func row(m senml.Measurement) Row {
	r := Row{Device: m.Device, Name: m.Name, Unit: m.Unit, Kind: m.Kind.String(), Time: m.Time.UTC().Format(time.RFC3339Nano)}
	switch m.Kind {
	case senml.Number:
		r.Value = strconv.FormatFloat(m.Number, 'g', -1, 64)
	case senml.String:
		r.Value = m.Text
	case senml.Bool:
		r.Value = strconv.FormatBool(m.Bool)
	case senml.Data:
		r.Value = "base64:" + base64.StdEncoding.EncodeToString(m.Data)
	}
	if m.Sum != nil {
		r.Sum = strconv.FormatFloat(*m.Sum, 'g', -1, 64)
	}
	return r
}
