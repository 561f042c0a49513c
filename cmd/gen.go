package cmd

import (
	"bufio"
	"context"

	"github.com/spf13/cobra"
)

type genOptions struct {
	ios   *IOStreams
	count int64
	gen   generatorFlags
}

func newGenCmd(ios *IOStreams, runF func(context.Context, *genOptions) error) *cobra.Command {
	opts := &genOptions{ios: ios}
	c := &cobra.Command{
		Use:   "gen",
		Short: "Print generated SenML packs, one compact pack per line",
		Long: `Print SenML packs as the platform writes them, one compact JSON pack per line:
Java-style numbers, the platform's member order, the legacy or merged layout, devices
identified as the platform identifies them, values moving as a bounded random walk.
The same --seed and --now give the same bytes.

--device and --measure build one exact pack instead.`,
		Example: `  thingsim gen --count 3 --devices 2 --profile lora-geo --layout merged
  thingsim gen --device urn:dev:DEVEUI:0000000000000000: --now 1585650750 --measure temperature=21.22:Celsius`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runGen(c.Context(), opts)
		},
	}
	c.Flags().Var(newCountValue(&opts.count, 1), "count", "number of packs")
	opts.gen.register(c.Flags())
	return c
}

func runGen(ctx context.Context, opts *genOptions) error {
	src, err := opts.gen.source()
	if err != nil {
		return err
	}
	w := bufio.NewWriter(opts.ios.Out)
	buf := make([]byte, 0, 1024)
	for i := int64(0); i < opts.count; i++ {
		if ctx.Err() != nil {
			w.Flush()
			return errInterrupted
		}
		buf, _ = src.Next(buf[:0])
		buf = append(buf, '\n')
		if _, err := w.Write(buf); err != nil {
			return failure(err)
		}
	}
	if err := w.Flush(); err != nil {
		return failure(err)
	}
	return nil
}
