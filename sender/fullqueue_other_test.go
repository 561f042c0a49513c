//go:build !unix

package sender

import "testing"

func fullQueueAddr(t *testing.T) string {
	t.Skip("a listener with a full accept queue needs a Unix socket API")
	return ""
}
