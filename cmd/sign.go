package cmd

import (
	"bytes"
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/thingsim/thingsim/sender"
)

// secretFlags are --secret-file, --secret-env and --secret: the one flag set of the shared secret,
// which the destination flags and the commands that need only a secret (sign, verify, receive)
// register alike, and source reads.
type secretFlags struct {
	file, env, value string
	stdin            bool // --secret-file - reads standard input
}

// register defines the flags on fs; stdin says whether the command lets "-" mean standard input
// (not where standard input carries the body).
func (s *secretFlags) register(fs *pflag.FlagSet, stdin bool) {
	s.stdin = stdin
	fileUsage := "read the shared secret from `FILE`"
	if stdin {
		fileUsage += " (- for standard input)"
	}
	fs.StringVar(&s.file, "secret-file", "", fileUsage)
	fs.StringVar(&s.env, "secret-env", "", "read the shared secret from environment variable `NAME`")
	fs.StringVar(&s.value, "secret", "", "the shared secret itself (visible to other users: prefer --secret-file)")
}

// source says where the secret is to be read from (not set when no flag gives it), the flag that
// names it, and a warning when that is --secret.
func (s *secretFlags) source() (src sender.SecretSource, origin, warning string, err error) {
	switch countSet(s.file, s.env, s.value) {
	case 0:
		return src, "", "", nil
	case 1:
	default:
		return src, "", "", usageErrorf("give the shared secret one way: --secret-file, --secret-env or --secret")
	}
	if s.file == "-" && !s.stdin {
		return src, "", "", usageErrorf("--secret-file -: this command reads the body from standard input, not the secret; put it in a file or use --secret-env")
	}
	origin = "--secret-file"
	switch {
	case s.env != "":
		origin = "--secret-env"
	case s.value != "":
		origin = "--secret"
		warning = "--secret puts the shared secret where other users of this machine can see it (ps, shell history): prefer --secret-file or --secret-env"
	}
	return sender.SecretSource{File: s.file, Env: s.env, Value: s.value}, origin, warning, nil
}

// load reads the secret the flags name, for the commands that need only a secret: one is required.
func (s *secretFlags) load(ios *IOStreams) (sender.Secret, error) {
	src, origin, warning, err := s.source()
	switch {
	case err != nil:
		return sender.Secret{}, err
	case !src.IsSet():
		return sender.Secret{}, usageErrorf("give the shared secret with --secret-file FILE or --secret-env NAME")
	case warning != "":
		fmt.Fprintf(ios.ErrOut, "%s %s\n", ios.errPalette().warn.Sprint("warning:"), warning)
	}
	return loadSecret(src, origin, ios.In)
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
	opts.secret.register(c.Flags(), false)
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
