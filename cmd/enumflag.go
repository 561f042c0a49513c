package cmd

import (
	"fmt"
	"strings"

	"github.com/spf13/pflag"
)

// enumValue is a flag that takes one of a fixed list of values. Declared once, with enumFlag, it
// checks its value when set (a usage error that names the values, from the command line and from
// THINGSIM_* alike), lists the values in its help, and gives them to shell completion.
type enumValue struct {
	p      *string
	values []string
}

func (e *enumValue) Set(s string) error {
	for _, v := range e.values {
		if s == v {
			*e.p = s
			return nil
		}
	}
	return fmt.Errorf("%q is not %s", s, orList(e.values))
}

func (e *enumValue) String() string { return *e.p }
func (e *enumValue) Type() string   { return "string" }

// enumFlag defines --name (with shorthand short, if not empty) on fs, taking one of values, def by
// default; usage says what each value does.
func enumFlag(fs *pflag.FlagSet, p *string, name, short, def string, values []string, usage string) {
	*p = def
	fs.VarP(&enumValue{p: p, values: values}, name, short, usage)
}

// enumValues returns the values of an enum flag, nil for another flag.
func enumValues(f *pflag.Flag) []string {
	if e, ok := f.Value.(*enumValue); ok {
		return e.values
	}
	return nil
}

// orList writes values as "a, b or c".
func orList(values []string) string {
	if len(values) < 2 {
		return strings.Join(values, "")
	}
	return strings.Join(values[:len(values)-1], ", ") + " or " + values[len(values)-1]
}
