package cmd

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/thingsim/thingsim/internal/bounded"

	"github.com/thingsim/thingsim/sender"
)

// destinationFlags are the settings of a destination as flags, shared by every command that
// talks to one. Each can also be given as THINGSIM_<FLAG> in the environment (THINGSIM_URL,
// THINGSIM_SECRET_FILE); a flag on the command line wins over the environment, which wins over
// the destination file.
type destinationFlags struct {
	file           string
	name           string
	url            string
	method         string
	headers        []string
	secret         secretFlags
	plugUUID       string
	expect         int
	auth           string
	authUser       string
	authSecretFile string
	authSecretEnv  string
	apiKeyHeader   string
	relax          bool

	flags *pflag.FlagSet
}

func (f *destinationFlags) register(c *cobra.Command) {
	fs := c.Flags()
	f.flags = fs
	fs.StringVar(&f.file, "destination", "", "destination `FILE` (JSON or YAML, the platform's field names)")
	fs.StringVar(&f.name, "name", "", "destination name (default \"thingsim\" when no file names it)")
	fs.StringVar(&f.url, "url", "", "endpoint `URL` (https, port 443)")
	fs.StringVar(&f.method, "method", "", "HTTP method: POST or GET (default POST)")
	fs.StringArrayVarP(&f.headers, "header", "H", nil, "additional header 'Name: value' (repeatable)")
	f.secret.register(fs, true)
	fs.StringVar(&f.plugUUID, "plug-uuid", "", "the destination's plug `UUID` (generated when absent)")
	fs.IntVar(&f.expect, "expect", 0, "expected response `CODE`, 200-299 (default 200)")
	fs.StringVar(&f.auth, "auth", "", "authentication: none, basic, bearer or x-api-key")
	fs.StringVar(&f.authUser, "auth-user", "", "user name for basic authentication")
	fs.StringVar(&f.authSecretFile, "auth-secret-file", "", "read the password, token or API key from `FILE`")
	fs.StringVar(&f.authSecretEnv, "auth-secret-env", "", "read the password, token or API key from environment variable `NAME`")
	fs.StringVar(&f.apiKeyHeader, "api-key-header", "", "header of x-api-key authentication (default X-API-Key)")
	fs.BoolVar(&f.relax, "relax", false, "turn the platform's policy rules (https, port 443, reachable host, secret strength) into warnings, for local and staging targets")
}

// applyEnv sets the flags that the command line left alone from THINGSIM_* variables; every
// command applies it to its flags before it runs.
func applyEnv(fs *pflag.FlagSet, names []string) error {
	for _, name := range names {
		fl := fs.Lookup(name)
		if fl == nil || fl.Changed {
			continue
		}
		env := "THINGSIM_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
		if v, ok := os.LookupEnv(env); ok && v != "" {
			if err := fs.Set(name, v); err != nil {
				if invalid := (*pflag.InvalidValueError)(nil); errors.As(err, &invalid) {
					return usageErrorf("%s: %s", env, valueError(invalid))
				}
				return usageErrorf("%s: %v", env, err)
			}
		}
	}
	return nil
}

// destinationInput is a destination with what was said about it while it was built.
type destinationInput struct {
	dest          *sender.Destination
	relax         bool
	caFile        string // the destination file's thingsim.caFile
	warnings      []string
	generatedPlug bool
}

// build merges the destination file, the environment and the flags, reads the secrets and, when
// no plug UUID is given, generates one. stdin feeds a secret given as "-". It does not check the
// rules: callers call Check so that they can show the warnings their way.
func (f *destinationFlags) build(stdin io.Reader) (*destinationInput, error) {
	in := &destinationInput{}
	spec := &sender.DestinationSpec{}
	secretOrigin, authOrigin := "", ""
	if f.file != "" {
		var err error
		if spec, err = sender.LoadDestinationFile(f.file); err != nil {
			return nil, configError(err)
		}
		secretOrigin, authOrigin = "destination file "+f.file, "destination file "+f.file
		if spec.SecretSource.Value != "" {
			in.warnings = append(in.warnings, fmt.Sprintf("%s holds the shared secret itself: prefer sharedSecretFile or sharedSecretEnv", f.file))
		}
	} else {
		spec.Name = "thingsim"
	}
	d := &spec.Destination
	set := func(name string) bool { return f.flags.Changed(name) }
	if set("name") {
		d.Name = f.name
	}
	if set("url") {
		d.URL = f.url
	}
	if set("method") {
		d.Method = f.method
	}
	if set("plug-uuid") {
		d.PlugUUID = f.plugUUID
	}
	if set("expect") {
		d.ExpectedStatus = f.expect
		if f.expect == 0 {
			return nil, usageErrorf("--expect: 0 is not a response code")
		}
	}
	for _, h := range f.headers {
		name, value, ok := strings.Cut(h, ":")
		if !ok {
			return nil, usageErrorf("--header %q: want 'Name: value'", h)
		}
		value = strings.TrimSpace(value)
		replaced := false
		for i := range d.Headers {
			if strings.EqualFold(d.Headers[i].Name, name) {
				d.Headers[i] = sender.Header{Name: name, Value: value}
				replaced = true
			}
		}
		if !replaced {
			d.Headers = append(d.Headers, sender.Header{Name: name, Value: value})
		}
	}
	if src, origin, warning, err := f.secret.source(); err != nil {
		return nil, err
	} else if src.IsSet() {
		spec.SecretSource, secretOrigin = src, origin
		if warning != "" {
			in.warnings = append(in.warnings, warning)
		}
	}
	if set("auth") {
		m, err := sender.ParseAuthMethod(f.auth)
		if err != nil {
			return nil, usageErrorf("--auth: %v", err)
		}
		d.Auth.Method = m
	}
	if set("auth-user") {
		d.Auth.Username = f.authUser
	}
	if set("api-key-header") {
		d.Auth.Header = f.apiKeyHeader
	}
	if countSet(f.authSecretFile, f.authSecretEnv) > 1 {
		return nil, usageErrorf("give the authentication secret one way: --auth-secret-file or --auth-secret-env")
	}
	if f.authSecretFile != "" || f.authSecretEnv != "" {
		spec.AuthSource = sender.SecretSource{File: f.authSecretFile, Env: f.authSecretEnv}
		authOrigin = "--auth-secret-file"
		if f.authSecretEnv != "" {
			authOrigin = "--auth-secret-env"
		}
	}

	var err error
	if d.Secret, err = loadSecret(spec.SecretSource, secretOrigin, stdin); err != nil {
		return nil, err
	}
	if d.Auth.Method != "" && d.Auth.Method != sender.AuthNone {
		if d.Auth.Credential, err = loadSecret(spec.AuthSource, authOrigin, stdin); err != nil {
			return nil, err
		}
	} else if spec.AuthSource.IsSet() {
		return nil, usageErrorf("an authentication secret is given but no --auth method")
	}
	if d.PlugUUID == "" {
		d.PlugUUID = uuid.NewString()
		in.generatedPlug = true
	}
	in.dest = d
	in.relax = f.relax
	if r := spec.Local.Relax; r != nil && !set("relax") {
		in.relax = *r
	}
	in.caFile = spec.Local.CAFile
	return in, nil
}

// loadSecret reads a secret from its source; origin names the source in errors.
func loadSecret(src sender.SecretSource, origin string, stdin io.Reader) (sender.Secret, error) {
	if src.File == "-" {
		b, err := bounded.Read(stdin, "standard input", bounded.Secret)
		if err != nil {
			return sender.Secret{}, configErrorf("%s: reading standard input: %v", origin, err)
		}
		return sender.SecretFromBytes(b), nil
	}
	if !src.IsSet() {
		return sender.Secret{}, nil
	}
	s, err := src.Load()
	if err != nil {
		return s, configErrorf("%s: %v", origin, err)
	}
	if s.IsZero() {
		return s, configErrorf("%s: the secret is empty", origin)
	}
	return s, nil
}

// readsStdin reports whether the flags read a secret from standard input.
func (f *destinationFlags) readsStdin() bool {
	return f.secret.file == "-" || f.authSecretFile == "-"
}

// oneStdinReader refuses a command line where standard input would feed both a secret and the
// messages ("-" among paths), or the messages twice; what names the messages in the error.
func (f *destinationFlags) oneStdinReader(what string, paths ...string) error {
	readers := 0
	if f.readsStdin() {
		readers++
	}
	for _, p := range paths {
		if p == "-" {
			readers++
		}
	}
	if readers > 1 {
		return usageErrorf("standard input can feed only one of the secret and the %s", what)
	}
	return nil
}

// check applies the destination rules and prints the warnings. A broken rule is a configuration
// error (exit 2).
func (in *destinationInput) check(ios *IOStreams, relax bool) error {
	warnings, err := in.dest.Check(relax)
	w := ios.errPalette().warn
	for _, s := range in.warnings {
		fmt.Fprintf(ios.ErrOut, "%s %s\n", w.Sprint("warning:"), s)
	}
	for _, v := range warnings {
		fmt.Fprintf(ios.ErrOut, "%s %s\n", w.Sprint("warning:"), violationText(v, true))
	}
	if re := (*sender.RuleError)(nil); errors.As(err, &re) {
		return ruleError(re)
	}
	if err != nil {
		return configError(err)
	}
	return nil
}

// announce says, once every input has been read and before anything is sent, which plug UUID a
// run without one uses.
func (in *destinationInput) announce(ios *IOStreams) {
	if in.generatedPlug {
		fmt.Fprintf(ios.ErrOut, "plug UUID %s generated for this run (--plug-uuid keeps one)\n", in.dest.PlugUUID)
	}
}

func countSet(vs ...string) int {
	n := 0
	for _, v := range vs {
		if v != "" {
			n++
		}
	}
	return n
}

// parseDurations reads a comma-separated list of durations ("5s,10s,20s") for flag name.
func parseDurations(name, s string, allowZero bool) ([]time.Duration, error) {
	if strings.TrimSpace(s) == "" || s == "0" {
		if allowZero {
			return []time.Duration{}, nil
		}
		return nil, usageErrorf("--%s: give at least one duration, such as 5s", name)
	}
	var out []time.Duration
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		d, err := time.ParseDuration(part)
		if err != nil {
			if _, numErr := strconv.ParseFloat(part, 64); numErr == nil {
				return nil, usageErrorf("--%s: %q needs a unit, such as %ss", name, part, part)
			}
			return nil, usageErrorf("--%s: %q is not a duration (such as 500ms, 5s, 1m)", name, part)
		}
		if d < 0 || (d == 0 && !allowZero) {
			return nil, usageErrorf("--%s: %q must be positive", name, part)
		}
		out = append(out, d)
	}
	return out, nil
}
