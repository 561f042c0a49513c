package cmd

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/thingsim/thingsim/sender"
)

// violationText says a broken destination rule as the command line fixes it: a policy rule that
// --relax turned into a warning says so, and a missing secret names the ways to give one.
func violationText(v sender.Violation, warning bool) string {
	s := v.String()
	switch {
	case warning && v.Policy:
		s += " (allowed by --relax)"
	case v.Field == "sharedSecret" && v.Message == "is required":
		s += ": give it with --secret-file, --secret-env or the destination file's sharedSecretFile"
		if os.Getenv("THINGSIM_SECRET") != "" {
			s += "; THINGSIM_SECRET is set but not read, as a flag --secret would be: a secret comes only from a file or a variable you name (--secret-env THINGSIM_SECRET reads it)"
		}
	}
	return s
}

// ruleError reports a destination that breaks the rules, every violation on a line of its own;
// when one of them is a policy rule, it names --relax, which local and staging targets need.
func ruleError(re *sender.RuleError) error {
	var b strings.Builder
	fmt.Fprintf(&b, "the destination breaks %d rule%s", len(re.Violations), plural(len(re.Violations)))
	policy := false
	for _, v := range re.Violations {
		b.WriteString("\n  " + violationText(v, false))
		policy = policy || v.Policy
	}
	if policy {
		b.WriteString("\n  for a local or staging endpoint, --relax makes the platform's policy rules (https, port 443, a reachable host, the secret's strength) warnings")
	}
	return configError(errors.New(b.String()))
}
