package receiver

import (
	"fmt"
	"strconv"
	"strings"
)

// Action is how the receiver answers one accepted request: a status code, or dropping the
// connection without an answer.
type Action struct {
	Status int
	Drop   bool
}

// String returns the action as written in a script: a code or "drop".
func (a Action) String() string {
	if a.Drop {
		return "drop"
	}
	return strconv.Itoa(a.Status)
}

// ParseScript reads a script of actions, "500,500,drop,200": one per accepted request in order,
// the last repeating.
func ParseScript(s string) ([]Action, error) {
	var out []Action
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if strings.EqualFold(part, "drop") {
			out = append(out, Action{Drop: true})
			continue
		}
		code, err := strconv.Atoi(part)
		if err != nil || code < 100 || code > 599 {
			return nil, fmt.Errorf("%q is neither a status code (100-599) nor drop", part)
		}
		out = append(out, Action{Status: code})
	}
	return out, nil
}
