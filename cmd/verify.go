package cmd

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/thingsim/thingsim/sender"
)

type verifyOptions struct {
	ios    *IOStreams
	secret secretFlags
	token  string
	args   []string
}

func newVerifyCmd(ios *IOStreams, runF func(context.Context, *verifyOptions) error) *cobra.Command {
	opts := &verifyOptions{ios: ios}
	c := &cobra.Command{
		Use:   "verify --token HEX [FILE]",
		Short: "Check a Things-Message-Token against a body",
		Long: `Check a Things-Message-Token against a body (FILE, or standard input) in constant time,
as a receiver must: exit 0 when it matches, 1 when it does not. When it does not, say
whether a near miss (a trailing newline, re-serialised JSON) would have matched.`,
		Example: `  thingsim verify --secret-file secret --token a7939780a487b036d5f41edf29ee3e087b14c121302e321326865255de8ea9c9 body.json`,
		Args:    cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			opts.args = args
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runVerify(c.Context(), opts)
		},
	}
	opts.secret.register(c.Flags(), false)
	c.Flags().StringVar(&opts.token, "token", "", "the token to check (64 hex digits)")
	return c
}

func runVerify(_ context.Context, opts *verifyOptions) error {
	if opts.token == "" {
		return usageErrorf("--token is required")
	}
	if b, err := hex.DecodeString(opts.token); err != nil || len(b) != 32 {
		return usageErrorf("--token: want 64 hex digits (a SHA-256), got %d characters", len(opts.token))
	}
	secret, err := opts.secret.load(opts.ios)
	if err != nil {
		return err
	}
	body, _, err := readBody(opts.ios, opts.args)
	if err != nil {
		return err
	}
	p := opts.ios.outPalette()
	if sender.Verify(body, secret, opts.token) {
		fmt.Fprintf(opts.ios.Out, "%s the token matches the body (%d bytes)\n", p.ok.Sprint("✓"), len(body))
		return nil
	}
	fmt.Fprintf(opts.ios.Out, "%s the token does not match the body (%d bytes) under this secret\n", p.bad.Sprint("✗"), len(body))
	for _, near := range nearMisses(body) {
		if sender.Verify(near.body, secret, opts.token) {
			fmt.Fprintf(opts.ios.Out, "  it matches %s: %s\n", near.what, near.hint)
		}
	}
	return errFailed
}

type nearMiss struct {
	what, hint string
	body       []byte
}

// nearMisses are the bodies a sender or a hand check commonly signs instead of the exact bytes.
func nearMisses(body []byte) []nearMiss {
	var out []nearMiss
	if trimmed := bytes.TrimRight(body, "\r\n"); len(trimmed) != len(body) {
		out = append(out, nearMiss{"the body without its trailing newline", "the newline was added after signing (echo adds one; use printf)", trimmed})
	} else {
		out = append(out, nearMiss{"the body with a trailing newline", "the signer's body ended with a newline that did not arrive", append(append([]byte(nil), body...), '\n')})
	}
	return out
}
