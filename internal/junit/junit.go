// Package junit writes JUnit XML as CI systems read it: testsuites of one testsuite of testcases,
// each passed (with its system-out), failed, in error or skipped. audit writes its checks with it,
// and send, replay and merge their service levels.
package junit

import (
	"encoding/xml"
	"fmt"
	"io"
	"time"
)

// Suite is one testsuite; Add counts each case's failure, error or skip.
type Suite struct {
	Name      string `xml:"name,attr"`
	Tests     int    `xml:"tests,attr"`
	Failures  int    `xml:"failures,attr"`
	Errors    int    `xml:"errors,attr"`
	Skipped   int    `xml:"skipped,attr"`
	Time      string `xml:"time,attr"`
	Timestamp string `xml:"timestamp,attr"`
	Cases     []Case `xml:"testcase"`
}

// Case is one testcase.
type Case struct {
	Name      string   `xml:"name,attr"`
	Classname string   `xml:"classname,attr"`
	Time      string   `xml:"time,attr"`
	Failure   *Message `xml:"failure,omitempty"`
	Error     *Message `xml:"error,omitempty"`
	Skipped   *Message `xml:"skipped,omitempty"`
	SystemOut string   `xml:"system-out,omitempty"`
}

// Message is a failure's, an error's or a skip's.
type Message struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// NewSuite returns an empty suite started at started.
func NewSuite(name string, started time.Time) *Suite {
	return &Suite{Name: name, Timestamp: started.UTC().Format("2006-01-02T15:04:05")}
}

// Add adds a case and counts it.
func (s *Suite) Add(c Case) {
	s.Tests++
	switch {
	case c.Failure != nil:
		s.Failures++
	case c.Error != nil:
		s.Errors++
	case c.Skipped != nil:
		s.Skipped++
	}
	s.Cases = append(s.Cases, c)
}

// Seconds writes a duration as JUnit times are written.
func Seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

type suites struct {
	XMLName  xml.Name `xml:"testsuites"`
	Name     string   `xml:"name,attr"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Errors   int      `xml:"errors,attr"`
	Skipped  int      `xml:"skipped,attr"`
	Time     string   `xml:"time,attr"`
	Suites   []*Suite `xml:"testsuite"`
}

// Write writes the suite inside testsuites named name, with the XML header.
func Write(w io.Writer, name string, s *Suite) error {
	doc := suites{Name: name, Tests: s.Tests, Failures: s.Failures, Errors: s.Errors, Skipped: s.Skipped, Time: s.Time, Suites: []*Suite{s}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
