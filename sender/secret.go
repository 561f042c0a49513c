package sender

import (
	"bytes"
	"fmt"
	"os"

	"github.com/thingsim/thingsim/internal/bounded"
)

// redacted is what a Secret prints as, wherever it is printed.
const redacted = "[redacted]"

// Secret holds a credential: the shared secret, a password, a token or an API key. It prints as
// [redacted] in every fmt verb and in JSON, so that it cannot reach output, logs or reports by
// accident; Reveal is the one way to its value.
type Secret struct{ value string }

// NewSecret wraps a credential.
func NewSecret(value string) Secret { return Secret{value: value} }

// Reveal returns the credential itself, for signing and for the auth header only.
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

// ReadSecretFile reads a secret from a file. Exactly one trailing "\n" or "\r\n" is removed (what
// echo writes); nothing else is trimmed, because white space may be part of a secret. The error
// names the file, never its content.
func ReadSecretFile(path string) (Secret, error) {
	b, err := bounded.ReadFile(path, bounded.Secret)
	if err != nil {
		return Secret{}, fmt.Errorf("secret file: %w", unwrapPathError(err, path))
	}
	return SecretFromBytes(b), nil
}

// SecretFromBytes makes a secret of a file's content less one trailing newline.
func SecretFromBytes(b []byte) Secret {
	if bytes.HasSuffix(b, []byte("\r\n")) {
		b = b[:len(b)-2]
	} else if bytes.HasSuffix(b, []byte("\n")) {
		b = b[:len(b)-1]
	}
	return NewSecret(string(b))
}

// SecretFromEnv reads a secret from an environment variable.
func SecretFromEnv(name string) (Secret, error) {
	v, ok := os.LookupEnv(name)
	if !ok {
		return Secret{}, fmt.Errorf("environment variable %s is not set", name)
	}
	if v == "" {
		return Secret{}, fmt.Errorf("environment variable %s is empty", name)
	}
	return NewSecret(v), nil
}

// unwrapPathError turns *os.PathError's "open X: no such file or directory" into "X: no such file
// or directory".
func unwrapPathError(err error, path string) error {
	if pe, ok := err.(*os.PathError); ok {
		return fmt.Errorf("%s: %w", path, pe.Err)
	}
	return err
}
