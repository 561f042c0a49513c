package cmd

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/thingsim/thingsim/internal/audit"
	"github.com/thingsim/thingsim/report"
	"github.com/thingsim/thingsim/sender"
	"github.com/thingsim/thingsim/senmlgen"
	"github.com/thingsim/thingsim/verify"
)

type vectorsOptions struct {
	ios  *IOStreams
	out  string
	seed uint64
}

func newVectorsCmd(ios *IOStreams) *cobra.Command {
	opts := &vectorsOptions{ios: ios}
	c := &cobra.Command{
		Use:   "vectors [--out FILE]",
		Short: "Write signed request cases for a receiver's own unit tests",
		Long: `vectors writes a JSON file of requests as the platform sends them, and forged ones, each with
what a correct receiver does with it (expect: accept or refuse) and why, for a receiver's unit
tests in any language. The platform's byte shapes: both layouts, Java numbers, non-ASCII text,
every generated profile. The forged ones: a wrong token, none, another secret, a tampered body, a
trailing newline added after signing; and an upper-case token, which a receiver should accept.

The cases are signed with a test secret drawn from --seed and written in the file: never give a
receiver under test a real destination's secret. The same seed gives the same file.`,
		Example: `  thingsim vectors --out testdata/things-vectors.json`,
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return runVectors(opts)
		},
	}
	c.Flags().StringVar(&opts.out, "out", "", "write the cases to `FILE` (default standard output)")
	c.Flags().Uint64Var(&opts.seed, "seed", 1, "draws the test secret, the plug UUID and the packs")
	return c
}

// buildVectors makes the cases of seed.
func buildVectors(seed uint64) report.Vectors {
	r := rand.New(rand.NewPCG(seed, 0x7ec7))
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	s, _ := sender.SharedSecretFrom(rand.NewChaCha8(key), 40) // ChaCha8's Read never fails
	secret := s.Reveal()
	plug := uuid.NewSHA1(uuid.NameSpaceURL, fmt.Appendf(nil, "thingsim vectors %d", seed)).String()
	now := time.Unix(1767323045, 0).Add(time.Duration(r.IntN(86400)) * time.Second)
	f := report.Vectors{
		About: "Requests of the KPN Things HTTPS destination for a receiver's unit tests, written by thingsim vectors. " +
			"Send each with its method, path, headers and the exact bytes of body_base64 (body is the same bytes as text), " +
			"to a receiver configured with this secret and plug UUID; expect says what a correct receiver does: accept (a 2xx) or refuse (a 4xx).",
		Secret: secret, PlugUUID: plug,
	}
	add := func(name string, body []byte, token, expect, why string, headers ...report.VectorHeader) {
		hs := []report.VectorHeader{{Name: verify.PlugHeader, Value: plug}}
		if token != "" {
			hs = append(hs, report.VectorHeader{Name: verify.TokenHeader, Value: token})
		}
		hs = append(append(hs, report.VectorHeader{Name: "Content-type", Value: "application/json"}), headers...)
		f.Cases = append(f.Cases, report.VectorCase{Name: name, Method: "POST", Path: "/things", Headers: hs,
			BodyBase64: base64.StdEncoding.EncodeToString(body), Body: string(body), Expect: expect, Why: why})
	}
	sign := func(b []byte) string { return verify.Token(b, secret) }
	doc := senmlgen.ExactPack("urn:dev:DEVEUI:0000000000000000:", time.Unix(1585650750, 0), senmlgen.Legacy,
		[]senmlgen.Record{{Name: "temperature", Unit: "Celsius", Kind: senmlgen.NumberValue, Number: 21.22}})
	docBody, _ := doc.Encode(senmlgen.Format{Order: senmlgen.DocOrder})
	add("the documentation's example", docBody, sign(docBody), "accept", "the platform's example body, signed with the test secret")
	for _, name := range senmlgen.ProfileNames() {
		for _, layout := range []senmlgen.Layout{senmlgen.Legacy, senmlgen.Merged} {
			g, _ := senmlgen.New(senmlgen.Config{Profile: senmlgen.Profile(name), Layout: layout, Seed: seed, Now: now})
			b := g.AppendNext(nil)
			add(name+", "+layout.String()+" layout", b, sign(b), "accept", "a pack as the platform writes it, signed over its exact bytes")
		}
	}
	java := senmlgen.ExactPack("urn:dev:DEVEUI:0004A30B001B714E:", now, senmlgen.Merged, []senmlgen.Record{
		{Name: "count", Kind: senmlgen.NumberValue, Number: 3}, {Name: "small", Kind: senmlgen.NumberValue, Number: 1e-4},
		{Name: "large", Kind: senmlgen.NumberValue, Number: 1e7}, {Name: "label", Kind: senmlgen.StringValue, Text: "Zoë's café, 24 °C ✓"}})
	javaBody, _ := java.Encode(senmlgen.Format{Order: senmlgen.CaptureOrder})
	add("Java numbers and non-ASCII text", javaBody, sign(javaBody), "accept",
		"3.0, 1.0E-4 and 1.0E7 as Java writes them, and UTF-8 text: a receiver that re-serialises before hashing refuses it")
	add("an upper-case token", docBody, strings.ToUpper(sign(docBody)), "accept",
		"hex is case-insensitive; the platform sends lower case, and a receiver should not depend on it")
	// The forged cases are audit's probes, from its catalogue.
	add("a wrong token", docBody, audit.WrongToken(docBody, secret), "refuse", "the token with its last digit changed: a check of the token's start alone passes it")
	add("no token", docBody, "", "refuse", "no Things-Message-Token header: anyone who knows the URL could post")
	add("another secret", docBody, audit.OtherSecretToken(docBody, secret), "refuse", "signed with a secret that is not the destination's")
	tampered, from, to, _ := audit.Tamper(docBody)
	add("a tampered body", tampered, sign(docBody), "refuse", "the body changed after signing ("+from+" became "+to+"): the token is of the original")
	withNewline := append(append([]byte(nil), docBody...), '\n')
	add("a trailing newline added", withNewline, sign(docBody), "refuse", "a newline added after signing changes the bytes the token covers")
	return f
}

func runVectors(opts *vectorsOptions) error {
	b, err := json.MarshalIndent(buildVectors(opts.seed), "", "  ")
	if err != nil {
		return failure(err)
	}
	b = append(b, '\n')
	if opts.out == "" {
		_, err := opts.ios.Out.Write(b)
		return err
	}
	if err := os.WriteFile(opts.out, b, 0o644); err != nil {
		return configErrorf("--out: %v", pathError(err))
	}
	fmt.Fprintf(opts.ios.ErrOut, "%d cases written to %s\n", len(buildVectors(opts.seed).Cases), opts.out)
	return nil
}
