package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"github.com/thingsim/thingsim/report"
	"github.com/thingsim/thingsim/sender"
)

type validateOptions struct {
	ios    *IOStreams
	dest   destinationFlags
	output string
}

func newValidateCmd(ios *IOStreams, runF func(context.Context, *validateOptions) error) *cobra.Command {
	opts := &validateOptions{ios: ios}
	c := &cobra.Command{
		Use:   "validate",
		Short: "Check a destination against the platform's rules",
		Long: `Check a destination (a file with the platform's field names, or the same settings as
flags) against the platform's rules: https on port 443, GET or POST, header names without
white space, a strong shared secret, a 2xx expected code. Every violation is reported at
once; exit 2 when there is one, 0 when the destination is valid.`,
		Example: `  thingsim validate --destination destination.yaml
  thingsim validate --url https://example.com/thingsdata --secret-file secret -H 'Test-header: Hello world'`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runValidate(c.Context(), opts)
		},
	}
	opts.dest.register(c)
	enumFlag(c.Flags(), &opts.output, "output", "o", "text", []string{"text", "json"}, "output: text or json")
	return c
}

func runValidate(_ context.Context, opts *validateOptions) error {
	in, err := opts.dest.build(opts.ios.In)
	if err != nil {
		return err
	}
	warnings, err := in.dest.Check(in.relax)
	var re *sender.RuleError
	if err != nil && !errors.As(err, &re) {
		return configError(err)
	}
	if opts.output == "json" {
		out := report.Validation{Valid: re == nil, Name: in.dest.Name, Violations: []sender.Violation{}, Warnings: []sender.Violation{}}
		if re != nil {
			out.Violations = re.Violations
		}
		out.Warnings = append(out.Warnings, warnings...)
		for _, w := range in.warnings {
			out.Warnings = append(out.Warnings, sender.Violation{Message: w})
		}
		b, _ := json.Marshal(out)
		fmt.Fprintln(opts.ios.Out, string(b))
		if re != nil {
			return &exitError{code: exitUsage}
		}
		return nil
	}
	p := opts.ios.outPalette()
	for _, w := range in.warnings {
		fmt.Fprintf(opts.ios.Out, "%s %s\n", p.warn.Sprint("!"), w)
	}
	for _, w := range warnings {
		fmt.Fprintf(opts.ios.Out, "%s %s\n", p.warn.Sprint("!"), violationText(w, true))
	}
	if re != nil {
		for _, v := range re.Violations {
			fmt.Fprintf(opts.ios.Out, "%s %s\n", p.bad.Sprint("✗"), violationText(v, false))
		}
		fmt.Fprintf(opts.ios.Out, "destination %q breaks %d rule%s\n", in.dest.Name, len(re.Violations), plural(len(re.Violations)))
		if slices.ContainsFunc(re.Violations, func(v sender.Violation) bool { return v.Policy }) {
			fmt.Fprintln(opts.ios.Out, "for a local or staging endpoint, --relax makes the platform's policy rules (https, port 443, a reachable host, the secret's strength) warnings")
		}
		return &exitError{code: exitUsage}
	}
	plug := in.dest.PlugUUID
	if in.generatedPlug {
		plug = "none given: one is generated per run"
	}
	fmt.Fprintf(opts.ios.Out, "%s destination %q is valid: %s %s, expects %d, plug UUID %s\n",
		p.ok.Sprint("✓"), in.dest.Name, in.dest.HTTPMethod(), in.dest.URL, in.dest.Expected(), plug)
	return nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
