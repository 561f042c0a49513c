package verify

import "fmt"

// redacted is what a Secret prints as, wherever it is printed.
const redacted = "[redacted]"

// Secret holds a credential: the shared secret, a password, a token or an API key. It prints as
// [redacted] in every fmt verb and in JSON, so that it cannot reach output, logs or reports by
// accident; Reveal is the one way to its value.
type Secret struct{ value string }

// NewSecret wraps a credential.
func NewSecret(value string) Secret { return Secret{value: value} }

// Reveal returns the credential itself, for signing and checking only.
func (s Secret) Reveal() string { return s.value }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.value == "" }

// String returns [redacted].
func (s Secret) String() string { return redacted }

// GoString returns [redacted].
func (s Secret) GoString() string { return redacted }

// Format writes [redacted] whatever the verb.
func (s Secret) Format(f fmt.State, _ rune) { fmt.Fprint(f, redacted) }

// MarshalJSON writes "[redacted]".
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText writes [redacted], so that encoders that prefer text (YAML) redact it too.
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }
