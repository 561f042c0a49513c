package receiver

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/uuid"
	"github.com/thingsim/thingsim/internal/bounded"
	"github.com/thingsim/thingsim/internal/yamlfile"
	"go.yaml.in/yaml/v3"

	"github.com/thingsim/thingsim/internal/secretsrc"
	"github.com/thingsim/thingsim/verify"
)

// Secrets looks up the shared secret of a plug UUID, as the platform's documentation tells a
// receiver to do.
type Secrets interface {
	Lookup(plugUUID string) (verify.Secret, bool)
}

// AnyPlug accepts every plug UUID with one secret: a receiver of one destination.
type AnyPlug struct{ Secret verify.Secret }

// Lookup returns the one secret.
func (a AnyPlug) Lookup(string) (verify.Secret, bool) { return a.Secret, true }

// SecretMap maps plug UUIDs, in lower case, to their secrets.
type SecretMap map[string]verify.Secret

// Lookup returns the plug UUID's secret, whatever the case of its hex digits.
func (m SecretMap) Lookup(plug string) (verify.Secret, bool) {
	s, ok := m[strings.ToLower(plug)]
	return s, ok
}

// LoadSecrets reads a secrets file: YAML or JSON mapping plug UUIDs to {secretFile: PATH} (relative
// to the file) or {secretEnv: NAME}. Errors name the file and the line, never a secret.
func LoadSecrets(path string) (SecretMap, error) {
	b, err := bounded.ReadFile(path, bounded.Config)
	if err != nil {
		if pe, ok := err.(*os.PathError); ok {
			return nil, fmt.Errorf("secrets file: %s: %w", path, pe.Err)
		}
		return nil, fmt.Errorf("secrets file: %w", err)
	}
	m, err := parseSecrets(b, filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("secrets file %s: %w", path, err)
	}
	return m, nil
}

func parseSecrets(b []byte, dir string) (SecretMap, error) {
	root, err := yamlfile.Parse(b)
	if err != nil {
		return nil, errors.New(strings.ReplaceAll(strings.TrimPrefix(err.Error(), "yaml: "), "\n", "; "))
	}
	if len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("want a mapping of plug UUIDs to {secretFile: PATH} or {secretEnv: NAME}")
	}
	doc := root.Content[0]
	out := SecretMap{}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		k, v := doc.Content[i], doc.Content[i+1]
		if _, err := uuid.Parse(k.Value); err != nil {
			return nil, fmt.Errorf("line %d: %q is not a plug UUID", k.Line, k.Value)
		}
		plug := strings.ToLower(k.Value)
		if _, dup := out[plug]; dup {
			return nil, fmt.Errorf("line %d: plug UUID %s is given twice", k.Line, k.Value)
		}
		var src struct {
			SecretFile string `yaml:"secretFile"`
			SecretEnv  string `yaml:"secretEnv"`
		}
		if v.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("line %d: plug UUID %s: want {secretFile: PATH} or {secretEnv: NAME}", v.Line, k.Value)
		}
		for j := 0; j+1 < len(v.Content); j += 2 {
			if key := v.Content[j].Value; key != "secretFile" && key != "secretEnv" {
				return nil, fmt.Errorf("line %d: %q is not secretFile or secretEnv (secrets are never written in this file)", v.Content[j].Line, key)
			}
		}
		if err := v.Decode(&src); err != nil {
			return nil, fmt.Errorf("line %d: %v", v.Line, err)
		}
		var secret verify.Secret
		var err error
		switch {
		case src.SecretFile != "" && src.SecretEnv != "":
			return nil, fmt.Errorf("line %d: plug UUID %s: give secretFile or secretEnv, not both", v.Line, k.Value)
		case src.SecretFile != "":
			p := src.SecretFile
			if !filepath.IsAbs(p) {
				p = filepath.Join(dir, p)
			}
			secret, err = secretsrc.ReadFile(p)
		case src.SecretEnv != "":
			secret, err = secretsrc.FromEnv(src.SecretEnv)
		default:
			return nil, fmt.Errorf("line %d: plug UUID %s: give secretFile or secretEnv", v.Line, k.Value)
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: plug UUID %s: %v", v.Line, k.Value, err)
		}
		if secret.IsZero() {
			return nil, fmt.Errorf("line %d: plug UUID %s: the secret is empty", v.Line, k.Value)
		}
		out[plug] = secret
	}
	if len(out) == 0 {
		return nil, errors.New("no plug UUID in it")
	}
	return out, nil
}
