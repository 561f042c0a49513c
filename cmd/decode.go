package cmd

import (
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/thingsim/thingsim/internal/bounded"
	"github.com/thingsim/thingsim/internal/capture"
	"github.com/thingsim/thingsim/report"
	"github.com/thingsim/thingsim/senml"
)

type decodeOptions struct {
	ios    *IOStreams
	output string
	args   []string
}

func newDecodeCmd(ios *IOStreams) *cobra.Command {
	opts := &decodeOptions{ios: ios}
	c := &cobra.Command{
		Use:   "decode [FILE|-]",
		Short: "Print the measurements of packs, resolved as RFC 8428 says",
		Long: `decode resolves SenML packs as a receiver should (base name, time, unit, value and sum
applied, relative times made absolute, the platform's numbers read exactly) and prints their
measurements: as a table, as JSON lines of resolved records (n the full name, u, one of v, vs, vb
and vd, s, t in seconds), or as CSV. It reads packs one a line from FILE or standard input, or
the records of a capture (receive --capture) or of dead letters.

A pack that does not decode is reported on standard error with where it is and what is wrong; the
others are printed, and the exit code is 1.`,
		Example: `  thingsim gen --count 5 | thingsim decode
  thingsim decode capture.jsonl --output csv > measurements.csv`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			opts.args = args
			return runDecode(opts)
		},
	}
	enumFlag(c.Flags(), &opts.output, "output", "o", "text", []string{"text", "json", "csv"}, "output: text (a table), json (resolved records, one a line) or csv")
	return c
}

func runDecode(opts *decodeOptions) error {
	ios := opts.ios
	path := "-"
	if len(opts.args) == 1 {
		path = opts.args[0]
	}
	src, err := capture.OpenContext(ios.context(), path, ios.In)
	if err != nil {
		return configErrorf("%v", err)
	}
	defer src.Close()

	var table *tabwriter.Writer
	var sheet *csv.Writer
	switch opts.output {
	case "text":
		table = tabwriter.NewWriter(ios.Out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(table, "time\tdevice\tname\tvalue\tunit")
	case "csv":
		sheet = csv.NewWriter(ios.Out)
		sheet.Write([]string{"time", "device", "name", "kind", "value", "unit", "sum"})
	}
	bad, rows := 0, 0
	// finish writes out what the table or CSV holds, and says how many packs were bad.
	finish := func() error {
		if table != nil {
			table.Flush()
		}
		if sheet != nil {
			sheet.Flush()
		}
		if bad > 0 {
			return failure(fmt.Errorf("%d pack%s could not be decoded", bad, plural(bad)))
		}
		return nil
	}
	for {
		it, err := src.Next()
		var p *capture.Problem
		switch {
		case errors.Is(err, io.EOF):
			return finish()
		case errors.As(err, &p) && p.Skip:
			fmt.Fprintf(ios.ErrOut, "note: %s (skipped)\n", p)
			continue
		case errors.Is(err, bounded.ErrInterrupted):
			return errInterrupted // nothing more of a pack cut short
		case err != nil:
			bad++
			fmt.Fprintf(ios.ErrOut, "%s %v\n", ios.errPalette().bad.Sprint("bad pack:"), err)
			if p == nil {
				return finish() // a read error: the rest of the input is lost
			}
			continue
		}
		// Walked twice, so that a pack is printed whole or not at all without being held whole:
		// a pack of a million records needs the memory of one.
		now := time.Now()
		if err := senml.Walk(it.Body, now, func(senml.Measurement) error { return nil }); err != nil {
			bad++
			fmt.Fprintf(ios.ErrOut, "%s %s: %v\n", ios.errPalette().bad.Sprint("bad pack:"), wireText(it.Origin), err)
			continue
		}
		senml.Walk(it.Body, now, func(m senml.Measurement) error {
			switch opts.output {
			case "json":
				b, _ := json.Marshal(resolvedOf(m))
				fmt.Fprintln(ios.Out, string(b))
			case "csv":
				sum := ""
				if m.Sum != nil {
					sum = strconv.FormatFloat(*m.Sum, 'g', -1, 64)
				}
				sheet.Write([]string{m.Time.UTC().Format(time.RFC3339Nano), m.Device, m.Name, m.Kind.String(), valueText(m), m.Unit, sum})
			default:
				fmt.Fprintf(table, "%s\t%s\t%s\t%s\t%s\n", m.Time.UTC().Format(time.RFC3339Nano), wireText(m.Device), wireText(m.Name), wireText(valueText(m)), wireText(m.Unit))
				// The table aligns blocks of rows: it holds no more than one block.
				if rows++; rows%tableBlock == 0 {
					table.Flush()
				}
			}
			return nil
		})
	}
}

// tableBlock is how many rows of decode's table are aligned together.
const tableBlock = 1000

// valueText writes a measurement's value: numbers in Go's shortest form, data in base64.
func valueText(m senml.Measurement) string {
	switch m.Kind {
	case senml.String:
		return m.Text
	case senml.Bool:
		return strconv.FormatBool(m.Bool)
	case senml.Data:
		return base64.RawURLEncoding.EncodeToString(m.Data)
	case senml.NoValue:
		return ""
	}
	return strconv.FormatFloat(m.Number, 'g', -1, 64)
}

func resolvedOf(m senml.Measurement) report.Resolved {
	r := report.Resolved{Name: m.FullName(), Unit: m.Unit, Sum: m.Sum, Time: float64(m.Time.UnixNano()) / 1e9}
	switch m.Kind {
	case senml.String:
		r.String = &m.Text
	case senml.Bool:
		r.Bool = &m.Bool
	case senml.Data:
		d := base64.RawURLEncoding.EncodeToString(m.Data)
		r.Data = &d
	case senml.NoValue:
	default:
		r.Value = &m.Number
	}
	return r
}
