// Package secretsrc reads credentials from where a user keeps them: a file, less one trailing
// newline, or an environment variable. Errors name the source, never the content.
package secretsrc

import (
	"bytes"
	"fmt"
	"os"

	"github.com/thingsim/thingsim/internal/bounded"
	"github.com/thingsim/thingsim/verify"
)

// ReadFile reads a secret from a file. Exactly one trailing "\n" or "\r\n" is removed (what
// echo writes); nothing else is trimmed, because white space may be part of a secret. The error
// names the file, never its content.
func ReadFile(path string) (verify.Secret, error) {
	b, err := bounded.ReadFile(path, bounded.Secret)
	if err != nil {
		return verify.Secret{}, fmt.Errorf("secret file: %w", bounded.NamedError(err, path))
	}
	return FromBytes(b), nil
}

// FromBytes makes a secret of a file's content less one trailing newline.
func FromBytes(b []byte) verify.Secret {
	if bytes.HasSuffix(b, []byte("\r\n")) {
		b = b[:len(b)-2]
	} else if bytes.HasSuffix(b, []byte("\n")) {
		b = b[:len(b)-1]
	}
	return verify.NewSecret(string(b))
}

// FromEnv reads a secret from an environment variable.
func FromEnv(name string) (verify.Secret, error) {
	v, ok := os.LookupEnv(name)
	if !ok {
		return verify.Secret{}, fmt.Errorf("environment variable %s is not set", name)
	}
	if v == "" {
		return verify.Secret{}, fmt.Errorf("environment variable %s is empty", name)
	}
	return verify.NewSecret(v), nil
}
