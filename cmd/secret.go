package cmd

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/thingsim/thingsim/sender"
)

type secretOptions struct {
	ios    *IOStreams
	out    string
	length int
	force  bool
}

func newSecretCmd(ios *IOStreams) *cobra.Command {
	opts := &secretOptions{ios: ios}
	c := &cobra.Command{
		Use:   "secret --out FILE",
		Short: "Make a fresh shared secret that passes the platform's rules",
		Long: `secret draws a shared secret from the system's random source that passes the platform's
rules (at least 32 characters, with upper- and lower-case letters, digits and one of
#?!@$%^&(){}:.,/+*;), and writes it to FILE with mode 0600, or to standard output when that is a
pipe: never to a terminal, where it would stay in the scrollback. Paste it into the destination's
Shared secret field, and give the file to thingsim with --secret-file.`,
		Example: `  thingsim secret --out secret
  thingsim secret | vault kv put secret/things shared=-`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if opts.length < sender.MinSecretLength || opts.length > 1024 {
				return usageErrorf("--length: must be %d to 1024, not %d", sender.MinSecretLength, opts.length)
			}
			if opts.out == "" && ios.OutTTY {
				return usageErrorf("the secret goes to a file (--out FILE) or a pipe, not to a terminal")
			}
			return runSecret(opts)
		},
	}
	fs := c.Flags()
	fs.StringVar(&opts.out, "out", "", "write the secret to `FILE`, mode 0600 (it must not exist, unless --force)")
	fs.IntVar(&opts.length, "length", 40, "characters of the secret")
	fs.BoolVar(&opts.force, "force", false, "replace FILE if it exists")
	return c
}

func runSecret(opts *secretOptions) error {
	s, err := sender.NewSharedSecret(opts.length)
	if err != nil {
		return failure(err)
	}
	if opts.out == "" {
		fmt.Fprintln(opts.ios.Out, s.Reveal())
		return nil
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if opts.force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(opts.out, flags, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return configErrorf("--out: %s exists: thingsim does not replace a secret unless --force", opts.out)
	}
	if err != nil {
		return configErrorf("--out: %v", pathError(err))
	}
	// A file that existed keeps its mode through O_TRUNC: a secret is for its owner only.
	err = f.Chmod(0o600)
	if _, werr := fmt.Fprintln(f, s.Reveal()); err == nil {
		err = werr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return failure(fmt.Errorf("--out: writing %s: %v", opts.out, err))
	}
	fmt.Fprintf(opts.ios.ErrOut, "a new shared secret of %d characters, which passes the platform's rules, is in %s (mode 0600):\n"+
		"paste it into the destination's Shared secret field, and give thingsim --secret-file %s\n", opts.length, opts.out, opts.out)
	return nil
}
