package cmd

import (
	"strconv"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/thingsim/thingsim/internal/audit"
	"github.com/thingsim/thingsim/sender"
	"github.com/thingsim/thingsim/senmlgen"
)

// flagValues are the values a flag takes, by flag name, for shell completion.
// Each list is the one its parser or check uses; enum flags (--output, --color, …) say their own.
var flagValues = map[string][]string{
	"profile":       senmlgen.ProfileNames(),
	"jvm":           itoas(senmlgen.JavaReleases),
	"auth":          strs(sender.AuthMethods),
	"method":        sender.Methods,
	"reject-status": itoas(rejectStatuses),
	"only":          audit.Names(),
	"skip":          audit.Names(),
}

func itoas(ns []int) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = strconv.Itoa(n)
	}
	return out
}

func strs[S ~string](ss []S) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return out
}

// registerCompletions makes every flag of every command complete as it should: its values when
// it has a fixed set, file names when it takes a FILE, nothing otherwise (a shell's default would
// offer file names for --url or --rate). Commands whose arguments are not files complete none.
func registerCompletions(root *cobra.Command) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		flags := pflag.NewFlagSet(c.Name(), pflag.ContinueOnError)
		flags.AddFlagSet(c.Flags())
		flags.AddFlagSet(c.PersistentFlags())
		flags.VisitAll(func(f *pflag.Flag) {
			if _, done := c.GetFlagCompletionFunc(f.Name); done {
				return
			}
			var complete cobra.CompletionFunc
			values := enumValues(f) // an enum flag says its own
			if values == nil {
				values = flagValues[f.Name]
			}
			if values != nil {
				complete = cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp)
			} else if varname, _ := pflag.UnquoteUsage(f); varname == "FILE" {
				return // the shell completes file names
			} else {
				complete = cobra.NoFileCompletions
			}
			c.RegisterFlagCompletionFunc(f.Name, complete)
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	for _, c := range root.Commands() {
		switch c.Name() {
		case "sign", "verify", "replay":
			// Their arguments are files.
		default:
			if c.ValidArgsFunction == nil {
				c.ValidArgsFunction = cobra.NoFileCompletions
			}
		}
	}
}
