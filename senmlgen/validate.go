package senmlgen

import "github.com/thingsim/thingsim/senml"

// The validator reads packs, so it lives with the reader (package senml); these names keep the
// writer's callers as they were.
type (
	// Finding is one remark of the validator on a pack.
	Finding = senml.Finding
	// Report is what the validator learned of a pack.
	Report = senml.Report
)

// Validate checks a pack against RFC 8428 with the platform's profile: senml.Validate.
func Validate(body []byte) Report { return senml.Validate(body) }
