package cmd

import (
	"bytes"
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/thingsim/thingsim/sender"
)

// secretFlags read a shared secret, for the commands that need only that.
type secretFlags struct {
	file, env, value string
}

func (s *secretFlags) register(c *cobra.Command) {
	c.Flags().StringVar(&s.file, "secret-file", "", "read the shared secret from `FILE`")
	c.Flags().StringVar(&s.env, "secret-env", "", "read the shared secret from environment variable `NAME`")
	c.Flags().StringVar(&s.value, "secret", "", "the shared secret itself (visible to other users: prefer --secret-file)")
}

func (s *secretFlags) load(ios *IOStreams) (sender.Secret, error) {
	switch countSet(s.file, s.env, s.value) {
	case 0:
		return sender.Secret{}, usageErrorf("give the shared secret with --secret-file FILE or --secret-env NAME")
	case 1:
	default:
		return sender.Secret{}, usageErrorf("give the shared secret one way: --secret-file, --secret-env or --secret")
	}
	origin := "--secret-file"
	switch {
	case s.env != "":
		origin = "--secret-env"
	case s.value != "":
		origin = "--secret"
		fmt.Fprintf(ios.ErrOut, "%s --secret puts the shared secret where other users of this machine can see it: prefer --secret-file or --secret-env\n", ios.errPalette().warn.Sprint("warning:"))
	}
	if s.file == "-" {
		return sender.Secret{}, usageErrorf("--secret-file -: this command does not read the secret from standard input; put it in a file or use --secret-env")
	}
	return loadSecret(sender.SecretSource{File: s.file, Env: s.env, Value: s.value}, origin, nil)
}

// readBody reads a body's exact bytes from the file argument or, without one (or with "-"),
// standard input.
func readBody(ios *IOStreams, args []string) ([]byte, string, error) {
	path := "-"
	if len(args) > 0 {
		path = args[0]
	}
	return readInput(ios, "body", path)
}

// pathError drops *os.PathError's operation: "x.json: no such file or directory".
func pathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return fmt.Errorf("%s: %w", pe.Path, pe.Err)
	}
	return err
}

// noteTrailingNewline warns that a body's last newline is signed as part of it: the most common
// reason why a token computed by hand does not match.
func noteTrailingNewline(ios *IOStreams, body []byte, where string) {
	if bytes.HasSuffix(body, []byte("\n")) {
		fmt.Fprintf(ios.ErrOut, "note: the body from %s ends with a newline, which is part of the signed bytes (printf '%%s' or a file without it signs the JSON alone)\n", where)
	}
}

type signOptions struct {
	ios    *IOStreams
	secret secretFlags
	args   []string
}

func newSignCmd(ios *IOStreams, runF func(context.Context, *signOptions) error) *cobra.Command {
	opts := &signOptions{ios: ios}
	c := &cobra.Command{
		Use:   "sign [FILE]",
		Short: "Print the Things-Message-Token of a body",
		Long: `Print the Things-Message-Token of a body (FILE, or standard input): the lower-case
hex of sha256(body || sharedSecret), over the exact bytes, trailing newline included.`,
		Example: `  printf '%s' '[{"bn":"urn:dev:DEVEUI:0000000000000000:","bt":1.58565075E9}]' | thingsim sign --secret-file secret
  thingsim sign --secret-env THINGS_SECRET body.json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			opts.args = args
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runSign(c.Context(), opts)
		},
	}
	opts.secret.register(c)
	return c
}

func runSign(_ context.Context, opts *signOptions) error {
	secret, err := opts.secret.load(opts.ios)
	if err != nil {
		return err
	}
	body, where, err := readBody(opts.ios, opts.args)
	if err != nil {
		return err
	}
	noteTrailingNewline(opts.ios, body, where)
	fmt.Fprintln(opts.ios.Out, sender.Sign(body, secret))
	return nil
}
