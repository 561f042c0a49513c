package yamlfile

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for body, want := range map[string]string{
		"a: 1\n":                   "",
		"":                         "",
		"{\"a\": 1}\n":             "",
		"a: 1\n---\nb: 2\n":        "line 2: a second document",
		"{\"a\": 1}\n\n{\"b\": 2}": "line 3: more after the JSON value",
		"{\"a\": 1} x":             "line 1: more after the JSON value",
		"a: [\n":                   "yaml:",
	} {
		_, err := Parse([]byte(body))
		switch {
		case want == "" && err != nil:
			t.Errorf("%q: %v", body, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%q: %v, want %q", body, err, want)
		}
	}
}
