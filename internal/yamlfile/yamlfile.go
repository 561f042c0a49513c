// Package yamlfile reads a settings file, YAML or JSON, as exactly one document: a second YAML
// document, or anything after a JSON value, is an error naming its line, where a YAML reader would
// silently keep the first and drop the rest.
package yamlfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"go.yaml.in/yaml/v3"
)

// Parse reads b into a YAML document node; an empty file gives a node without content. Errors of
// the YAML reader are returned as they are, for the caller to word.
func Parse(b []byte) (*yaml.Node, error) {
	if err := jsonTrailer(b); err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var root yaml.Node
	if err := dec.Decode(&root); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	var second yaml.Node
	if err := dec.Decode(&second); !errors.Is(err, io.EOF) {
		line := 0
		if err == nil {
			line = second.Line
		}
		return nil, fmt.Errorf("line %d: a second document: the file holds one", line)
	}
	return &root, nil
}

// jsonTrailer refuses a JSON value followed by anything but white space.
func jsonTrailer(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	var v json.RawMessage
	if dec.Decode(&v) != nil {
		return nil // not JSON: the YAML reader says what is wrong, if anything
	}
	rest := b[dec.InputOffset():]
	if trimmed := bytes.TrimLeft(rest, " \t\r\n"); len(trimmed) > 0 {
		off := len(b) - len(trimmed)
		return fmt.Errorf("line %d: more after the JSON value", bytes.Count(b[:off], []byte("\n"))+1)
	}
	return nil
}
