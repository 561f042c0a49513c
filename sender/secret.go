package sender

import (
	"bytes"
	"fmt"
	"os"

	"github.com/thingsim/thingsim/internal/bounded"
	"github.com/thingsim/thingsim/verify"
)

// redacted is what a Secret prints as, and what stands for any credential in output.
const redacted = "[redacted]"

// Secret holds a credential and prints as [redacted]: verify's type, which receivers share.
type Secret = verify.Secret

// NewSecret wraps a credential.
func NewSecret(value string) Secret { return verify.NewSecret(value) }

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
