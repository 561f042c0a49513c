// Package cmd holds thingsim's commands. Main builds the command tree, runs it under a context that
// Ctrl-C and SIGTERM cancel, prints the error once and returns the exit code.
package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/thingsim/thingsim/internal/bounded"
)

// Main runs thingsim with the process's arguments and streams and returns the exit code.
func Main() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// THINGSIM_CPUPROFILE=FILE writes a CPU profile of the run, for bench/ and `go tool pprof`.
	if path := os.Getenv("THINGSIM_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil && pprof.StartCPUProfile(f) == nil {
			defer f.Close()
			defer pprof.StopCPUProfile()
		}
	}
	return Run(ctx, System(), os.Args[1:])
}

// Run runs thingsim with the given arguments and streams and returns the exit code.
func Run(ctx context.Context, ios *IOStreams, args []string) int {
	// Input that can wait for ever (a terminal, a pipe) gives up when Ctrl-C ends ctx.
	run := *ios
	run.In, run.ctx = bounded.Interruptible(ctx, ios.In), ctx
	ios = &run
	root := NewRootCmd(ios)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	code, msg, usage := exitCodeOf(ctx, err)
	if msg != "" {
		// cmd is the root itself for an unknown command: "thingsim", not "thingsim thingsim".
		msg = strings.TrimSuffix(msg, ` for "thingsim"`)
		fmt.Fprintf(ios.ErrOut, "%s: %s\n", ios.errPalette().bad.Sprint(cmd.CommandPath()), msg)
		if usage {
			fmt.Fprintf(ios.ErrOut, "Run '%s --help' for usage.\n", cmd.CommandPath())
		}
	}
	return code
}

// NewRootCmd builds the command tree, every subcommand added explicitly.
func NewRootCmd(ios *IOStreams) *cobra.Command {
	root := &cobra.Command{
		Use:   "thingsim",
		Short: "Play the KPN Things platform's side of an HTTPS destination",
		Long: `thingsim sends SenML payloads to an HTTPS endpoint as the KPN Things platform does:
signed with the destination's shared secret (Things-Message-Token), with the platform's
headers, destination rules, retries and TLS policy. Test an endpoint before going live,
replay payloads, run it in CI.

Start with: thingsim demo`,
		Version:       version(),
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetIn(ios.In)
	root.SetOut(ios.Out)
	root.SetErr(ios.ErrOut)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageErrorf("%v", flagError(err))
	})
	enumFlag(root.PersistentFlags(), &ios.ColorMode, "color", "", "auto", []string{"auto", "always", "never"}, "colour human output: auto, always or never")
	root.PersistentPreRunE = func(c *cobra.Command, _ []string) error {
		if err := applyEnv(c.Flags(), envFlags(c)); err != nil {
			return err
		}
		return nil
	}
	root.SetUsageTemplate(root.UsageTemplate() + envUsage)
	root.SetVersionTemplate("{{with .Annotations}}{{.buildinfo}}{{end}}")
	root.Annotations = map[string]string{"buildinfo": buildInfo().String()}
	root.AddCommand(
		newDemoCmd(ios, nil),
		newSendCmd(ios, nil),
		newGenCmd(ios, nil),
		newSignCmd(ios, nil),
		newVerifyCmd(ios, nil),
		newValidateCmd(ios, nil),
		newReceiveCmd(ios, nil),
		newReplayCmd(ios, nil),
		newAuditCmd(ios, nil),
		newCheckTLSCmd(ios, nil),
		newDecodeCmd(ios),
		newMergeCmd(ios),
		newInspectCmd(ios, nil),
		newSecretCmd(ios),
		newVectorsCmd(ios),
		newVersionCmd(ios),
	)
	registerCompletions(root)
	return root
}

// userAgent is what requests carry unless --user-agent says otherwise.
func userAgent() string { return "thingsim/" + version() }

// flagError says what pflag found wrong with a flag's value in thingsim's words: the flag, the
// value, and what it should be, without the parser's name.
func flagError(err error) error {
	var invalid *pflag.InvalidValueError
	if !errors.As(err, &invalid) {
		return err
	}
	return fmt.Errorf("--%s: %s", invalid.GetFlag().Name, valueError(invalid))
}

// valueError says what is wrong with the value of an InvalidValueError.
func valueError(invalid *pflag.InvalidValueError) string {
	var num *strconv.NumError
	switch {
	case errors.As(invalid, &num) && errors.Is(num.Err, strconv.ErrRange):
		return fmt.Sprintf("%q is out of range", invalid.GetValue())
	case errors.As(invalid, &num) && invalid.GetFlag().Value.Type() == "bool":
		return fmt.Sprintf("%q is not true or false", invalid.GetValue())
	case errors.As(invalid, &num):
		return fmt.Sprintf("%q is not a whole number", invalid.GetValue())
	}
	return errors.Unwrap(invalid).Error()
}

// envUsage ends every command's help.
const envUsage = `
Every flag can also be set in the environment as THINGSIM_<FLAG>: THINGSIM_CA_FILE=ca.pem for
--ca-file, THINGSIM_RELAX=true for --relax. A flag on the command line wins over the environment,
which wins over a destination file. The shared secret comes from THINGSIM_SECRET_FILE or
THINGSIM_SECRET_ENV, not THINGSIM_SECRET.
`

// envFlags are the flags of c that the environment may set: all but help, version and the
// secret itself, which belongs in a file or a variable named by --secret-env.
func envFlags(c *cobra.Command) []string {
	var names []string
	c.Flags().VisitAll(func(f *pflag.Flag) {
		switch f.Name {
		case "help", "version", "secret":
			return
		}
		names = append(names, f.Name)
	})
	return names
}
