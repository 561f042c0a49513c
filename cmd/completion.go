package cmd

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/thingsim/thingsim/internal/audit"
	"github.com/thingsim/thingsim/senmlgen"
)

// flagValues are the values a flag takes, by flag name, for shell completion.
var flagValues = map[string][]string{
	"profile":       senmlgen.ProfileNames(),
	"jvm":           {"21", "17"},
	"auth":          {"none", "basic", "bearer", "x-api-key"},
	"method":        {"POST", "GET"},
	"reject-status": {"401", "403"},
	"only":          audit.Names(),
	"skip":          audit.Names(),
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
