package sender

import (
	"github.com/thingsim/thingsim/internal/secretsrc"
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
func ReadSecretFile(path string) (Secret, error) { return secretsrc.ReadFile(path) }

// SecretFromBytes makes a secret of a file's content less one trailing newline.
func SecretFromBytes(b []byte) Secret { return secretsrc.FromBytes(b) }

// SecretFromEnv reads a secret from an environment variable.
func SecretFromEnv(name string) (Secret, error) { return secretsrc.FromEnv(name) }
