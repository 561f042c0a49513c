package sender

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const exampleYAML = `name: My Server                    # required
description: Endpoint of my server
url: https://example.com/thingsdata
httpMethod: POST
additionalHeaders: {Test-header: Hello world, A-Second: "2", Z-Third: 3}
authentication:
  method: basic
  username: alice
  passwordFile: ./password
expectedResponseCode: 200
sharedSecretFile: ./secret
plugUUID: fbc063cb-4dd4-41b3-917a-e2d1ea907f75
`

func TestParseDestinationYAML(t *testing.T) {
	spec, err := ParseDestination([]byte(exampleYAML), "/etc/things")
	if err != nil {
		t.Fatal(err)
	}
	if spec.Name != "My Server" || spec.URL != "https://example.com/thingsdata" || spec.Method != "POST" ||
		spec.ExpectedStatus != 200 || spec.PlugUUID != "fbc063cb-4dd4-41b3-917a-e2d1ea907f75" {
		t.Errorf("settings: %+v", spec.Destination)
	}
	want := []Header{{Name: "Test-header", Value: "Hello world"}, {Name: "A-Second", Value: "2"}, {Name: "Z-Third", Value: "3"}}
	if len(spec.Headers) != 3 || spec.Headers[0] != want[0] || spec.Headers[1] != want[1] || spec.Headers[2] != want[2] {
		t.Errorf("headers, in order written: %v", spec.Headers)
	}
	if spec.Auth.Method != AuthBasic || spec.Auth.Username != "alice" || spec.AuthSource.File != "/etc/things/password" {
		t.Errorf("auth: %+v %+v", spec.Auth, spec.AuthSource)
	}
	if spec.SecretSource.File != "/etc/things/secret" {
		t.Errorf("secret file resolved against the destination's folder: %+v", spec.SecretSource)
	}
}

func TestParseDestinationJSON(t *testing.T) {
	spec, err := ParseDestination([]byte(`{"name":"J","url":"https://e.com/x","httpMethod":"GET",
		"additionalHeaders":{"Test-header":"Hello world"},"authentication":{"method":"x-api-key","apiKeyEnv":"KEY","header":"X-Key"},
		"sharedSecret":"inline","plugUUID":"fbc063cb-4dd4-41b3-917a-e2d1ea907f75"}`), ".")
	if err != nil {
		t.Fatal(err)
	}
	if spec.Method != "GET" || spec.Auth.Method != AuthAPIKey || spec.Auth.Header != "X-Key" || spec.AuthSource.Env != "KEY" || spec.SecretSource.Value != "inline" {
		t.Errorf("%+v", spec)
	}
}

func TestParseDestinationErrors(t *testing.T) {
	for body, want := range map[string]string{
		"":                               "empty",
		"- a\n- b\n":                     "line 1: a destination is a mapping",
		"name: x\nurl: [\n":              "line",
		"name: x\nurll: https://e.com\n": `line 2: "urll" is not a setting of a destination`,
		"name: x\nhttp_method: GET\n":    `did you mean "httpMethod"?`,
		"additional Headers: {a: b}\n":   `did you mean "additionalHeaders"?`,
		"authentication: {method: basic, pass: x}": `"pass" is not a setting of authentication`,
		"authentication: basic\n":                  "authentication must be a mapping",
		"authentication: {method: oauth}\n":        `unknown authentication method "oauth"`,
		"expectedResponseCode: ok\n":               "cannot unmarshal text `ok` into int",
		"additionalHeaders: [a, b]\n":              "additionalHeaders must map header names to values",
		"additionalHeaders: {a: {b: c}}\n":         "additionalHeaders.a must be a text value",
		"additionalHeaders: {a: b, a: c}\n":        "already defined",
		"sharedSecret: x\nsharedSecretFile: y\n":   "give the secret one way only",
		"url: a\nurl: b\n":                         `line 2: "url" is already defined`,
		"name: a\n---\nname: b\n":                  "line 2: a second document",
		"{\"name\": \"a\"}\n\n{\"name\": \"b\"}":   "line 3: more after the JSON value",
		"{\"name\": \"a\"} x":                      "line 1: more after the JSON value",
	} {
		_, err := ParseDestination([]byte(body), ".")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", body, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: the error is not one line: %q", body, err)
		}
	}
}

func TestLoadDestinationFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "dest.yaml")
	os.WriteFile(p, []byte(exampleYAML), 0o644)
	os.WriteFile(filepath.Join(dir, "secret"), []byte(goodSecret+"\n"), 0o600)
	spec, err := LoadDestinationFile(p)
	if err != nil {
		t.Fatal(err)
	}
	s, err := spec.SecretSource.Load()
	if err != nil || s.Reveal() != goodSecret {
		t.Fatalf("secret: %v", err)
	}
	_, err = spec.AuthSource.Load()
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "password")+": no such file") {
		t.Fatalf("missing password file: %v", err)
	}
	if _, err := LoadDestinationFile(filepath.Join(dir, "nope.yaml")); err == nil || !strings.Contains(err.Error(), "nope.yaml: no such file") {
		t.Fatalf("missing destination file: %v", err)
	}
	os.WriteFile(p, []byte("name: [\n"), 0o644)
	if _, err := LoadDestinationFile(p); err == nil || !strings.Contains(err.Error(), p) {
		t.Fatalf("broken file, error names it: %v", err)
	}
}

func FuzzParseDestination(f *testing.F) {
	f.Add([]byte(exampleYAML))
	f.Add([]byte(`{"name":"J","additionalHeaders":{"a":"b"},"authentication":{"method":"bearer","token":"t"}}`))
	f.Add([]byte("authentication:\n  method: basic\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		spec, err := ParseDestination(b, ".")
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		spec.Check(false)
	})
}
