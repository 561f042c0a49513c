package sender

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/thingsim/thingsim/internal/bounded"
	"github.com/thingsim/thingsim/internal/yamlfile"
)

// SecretSource says where a secret comes from: a value written in the destination file, a file,
// or an environment variable. At most one is set.
type SecretSource struct {
	Value string // written inline; discouraged
	File  string // a file, "-" for standard input; resolved against the destination file's folder
	Env   string // an environment variable
}

// IsSet reports whether any source is given.
func (s SecretSource) IsSet() bool { return s.Value != "" || s.File != "" || s.Env != "" }

// Load reads the secret from its source. Standard input ("-") is read by the caller.
func (s SecretSource) Load() (Secret, error) {
	switch {
	case s.File != "":
		return ReadSecretFile(s.File)
	case s.Env != "":
		return SecretFromEnv(s.Env)
	}
	return NewSecret(s.Value), nil
}

// DestinationSpec is a destination as a file or flags describe it: the settings, and where the
// secrets are to be read from once every source has been merged.
type DestinationSpec struct {
	Destination
	SecretSource SecretSource
	AuthSource   SecretSource
	// Local are the file's thingsim section: settings of local runs that are not the platform's.
	Local LocalSettings
}

// LocalSettings are what a destination file's thingsim section may hold, so that local and
// staging runs need no long flag lists: the CA that signs the endpoint's certificate, and whether
// the platform's policy rules are warnings (--ca-file and --relax; flags and the environment win).
type LocalSettings struct {
	CAFile string // resolved against the file's folder
	Relax  *bool
}

// destinationKeys are the members a destination file may hold, per mapping.
var destinationKeys = map[string][]string{
	"": {"name", "description", "url", "httpMethod", "additionalHeaders", "authentication", "expectedResponseCode",
		"sharedSecret", "sharedSecretFile", "sharedSecretEnv", "plugUUID", "thingsim"},
	"thingsim": {"caFile", "relax"},
	"authentication": {"method", "username", "password", "passwordFile", "passwordEnv", "token", "tokenFile", "tokenEnv",
		"apiKey", "apiKeyFile", "apiKeyEnv", "header"},
}

type destinationFile struct {
	Name                 string    `yaml:"name"`
	Description          string    `yaml:"description"`
	URL                  string    `yaml:"url"`
	HTTPMethod           string    `yaml:"httpMethod"`
	AdditionalHeaders    yaml.Node `yaml:"additionalHeaders"`
	Authentication       *authFile `yaml:"authentication"`
	ExpectedResponseCode int       `yaml:"expectedResponseCode"`
	SharedSecret         string    `yaml:"sharedSecret"`
	SharedSecretFile     string    `yaml:"sharedSecretFile"`
	SharedSecretEnv      string    `yaml:"sharedSecretEnv"`
	PlugUUID             string    `yaml:"plugUUID"`
	Thingsim             *struct {
		CAFile string `yaml:"caFile"`
		Relax  *bool  `yaml:"relax"`
	} `yaml:"thingsim"`
}

type authFile struct {
	Method       string `yaml:"method"`
	Username     string `yaml:"username"`
	Password     string `yaml:"password"`
	PasswordFile string `yaml:"passwordFile"`
	PasswordEnv  string `yaml:"passwordEnv"`
	Token        string `yaml:"token"`
	TokenFile    string `yaml:"tokenFile"`
	TokenEnv     string `yaml:"tokenEnv"`
	APIKey       string `yaml:"apiKey"`
	APIKeyFile   string `yaml:"apiKeyFile"`
	APIKeyEnv    string `yaml:"apiKeyEnv"`
	Header       string `yaml:"header"`
}

// LoadDestinationFile reads a destination file: JSON or YAML with the platform's field names.
// Secrets are not read yet (see DestinationSpec); their files are resolved against the
// destination file's folder.
func LoadDestinationFile(path string) (*DestinationSpec, error) {
	b, err := bounded.ReadFile(path, bounded.Config)
	if err != nil {
		return nil, fmt.Errorf("destination file: %w", bounded.NamedError(err, path))
	}
	spec, err := ParseDestination(b, filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("destination file %s: %w", path, err)
	}
	return spec, nil
}

// ParseDestination reads a destination from JSON or YAML. Relative secret files are resolved
// against dir. Errors name the line and the member.
func ParseDestination(b []byte, dir string) (*DestinationSpec, error) {
	root, err := yamlfile.Parse(b)
	if err != nil {
		return nil, yamlError(err)
	}
	if len(root.Content) == 0 {
		return nil, errors.New("the file is empty")
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: a destination is a mapping of settings (name, url, ...), not a %s", doc.Line, nodeKind(doc))
	}
	if err := checkKeys(doc, ""); err != nil {
		return nil, err
	}
	var f destinationFile
	if err := doc.Decode(&f); err != nil {
		return nil, yamlError(err)
	}
	spec := &DestinationSpec{Destination: Destination{
		Name:           f.Name,
		Description:    f.Description,
		URL:            f.URL,
		Method:         f.HTTPMethod,
		ExpectedStatus: f.ExpectedResponseCode,
		PlugUUID:       f.PlugUUID,
	}}
	if t := f.Thingsim; t != nil {
		spec.Local.Relax = t.Relax
		if t.CAFile != "" {
			spec.Local.CAFile = t.CAFile
			if !filepath.IsAbs(t.CAFile) {
				spec.Local.CAFile = filepath.Join(dir, t.CAFile)
			}
		}
	}
	if spec.Headers, err = headersOf(&f.AdditionalHeaders); err != nil {
		return nil, err
	}
	if spec.SecretSource, err = sourceOf("sharedSecret", f.SharedSecret, f.SharedSecretFile, f.SharedSecretEnv, dir); err != nil {
		return nil, err
	}
	if a := f.Authentication; a != nil {
		if spec.Auth.Method, err = ParseAuthMethod(a.Method); err != nil {
			return nil, fmt.Errorf("authentication.method: %w", err)
		}
		spec.Auth.Username, spec.Auth.Header = a.Username, a.Header
		var value, file, env, field string
		switch spec.Auth.Method {
		case AuthBasic:
			value, file, env, field = a.Password, a.PasswordFile, a.PasswordEnv, "authentication.password"
		case AuthBearer:
			value, file, env, field = a.Token, a.TokenFile, a.TokenEnv, "authentication.token"
		case AuthAPIKey:
			value, file, env, field = a.APIKey, a.APIKeyFile, a.APIKeyEnv, "authentication.apiKey"
		}
		if spec.AuthSource, err = sourceOf(field, value, file, env, dir); err != nil {
			return nil, err
		}
	}
	return spec, nil
}

func sourceOf(field, value, file, env, dir string) (SecretSource, error) {
	n := 0
	for _, s := range []string{value, file, env} {
		if s != "" {
			n++
		}
	}
	if n > 1 {
		return SecretSource{}, fmt.Errorf("%s: give the secret one way only: inline, from a file (%sFile) or from the environment (%sEnv)", field, field, field)
	}
	if file != "" && file != "-" && !filepath.IsAbs(file) {
		file = filepath.Join(dir, file)
	}
	return SecretSource{Value: value, File: file, Env: env}, nil
}

// headersOf reads additionalHeaders in the order written.
func headersOf(n *yaml.Node) ([]Header, error) {
	if n.Kind == 0 || n.Tag == "!!null" {
		return nil, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: additionalHeaders must map header names to values, not be a %s", n.Line, nodeKind(n))
	}
	var hs []Header
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
			return nil, fmt.Errorf("line %d: additionalHeaders.%s must be a text value, not a %s", v.Line, k.Value, nodeKind(v))
		}
		for _, h := range hs {
			if h.Name == k.Value {
				return nil, fmt.Errorf("line %d: additionalHeaders.%s is already defined above", k.Line, k.Value)
			}
		}
		hs = append(hs, Header{Name: k.Value, Value: v.Value})
	}
	return hs, nil
}

// checkKeys refuses members the schema does not know, naming the line and the nearest known one.
func checkKeys(n *yaml.Node, path string) error {
	known := destinationKeys[path]
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if seen[k.Value] {
			return fmt.Errorf("line %d: %q is already defined above", k.Line, k.Value)
		}
		seen[k.Value] = true
		found := false
		for _, want := range known {
			if k.Value == want {
				found = true
			}
		}
		if !found {
			where := "a destination"
			if path != "" {
				where = path
			}
			msg := fmt.Sprintf("line %d: %q is not a setting of %s", k.Line, k.Value, where)
			if s := closest(k.Value, known); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			} else {
				sorted := append([]string(nil), known...)
				sort.Strings(sorted)
				msg += " (known: " + strings.Join(sorted, ", ") + ")"
			}
			return errors.New(msg)
		}
		if path == "" && k.Value == "authentication" {
			v := n.Content[i+1]
			if v.Kind != yaml.MappingNode && v.Tag != "!!null" {
				return fmt.Errorf("line %d: authentication must be a mapping with a method, not a %s", v.Line, nodeKind(v))
			}
			if err := checkKeys(v, "authentication"); err != nil {
				return err
			}
		}
		if path == "" && k.Value == "thingsim" {
			v := n.Content[i+1]
			if v.Kind != yaml.MappingNode && v.Tag != "!!null" {
				return fmt.Errorf("line %d: thingsim must be a mapping of local settings (caFile, relax), not a %s", v.Line, nodeKind(v))
			}
			if err := checkKeys(v, "thingsim"); err != nil {
				return err
			}
		}
	}
	return nil
}

// closest returns the known name that differs from s only in case, white space or dashes, or "".
func closest(s string, known []string) string {
	norm := func(x string) string {
		return strings.NewReplacer(" ", "", "-", "", "_", "").Replace(strings.ToLower(x))
	}
	for _, k := range known {
		if norm(k) == norm(s) {
			return k
		}
	}
	return ""
}

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "list"
	case yaml.MappingNode:
		return "mapping"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "null"
		}
		return "single value"
	}
	return "document"
}

// yamlError makes the YAML library's messages read as one line without its prefix.
func yamlError(err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:\n")
	lines := strings.Split(msg, "\n")
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	msg = strings.Join(lines, "; ")
	msg = strings.ReplaceAll(msg, "!!str", "text")
	msg = strings.ReplaceAll(msg, "!!int", "number")
	msg = strings.ReplaceAll(msg, "!!seq", "list")
	msg = strings.ReplaceAll(msg, "!!map", "mapping")
	return errors.New(msg)
}
