package bounded

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	os.WriteFile(path, []byte("12345"), 0o600)
	if b, err := ReadFile(path, 5); err != nil || string(b) != "12345" {
		t.Errorf("at the limit: %q %v", b, err)
	}
	_, err := ReadFile(path, 4)
	var tl *TooLargeError
	if !errors.As(err, &tl) || err.Error() != path+" is larger than 4 bytes" {
		t.Errorf("past the limit: %v", err)
	}
	if _, err := ReadFile("/dev/zero", Secret); err == nil || !strings.HasSuffix(err.Error(), "is larger than 64 KiB") {
		t.Errorf("/dev/zero: %v", err)
	}
	var pe *os.PathError
	if _, err := ReadFile(filepath.Join(t.TempDir(), "missing"), 1); !errors.As(err, &pe) {
		t.Errorf("missing: %v", err)
	}
	if Size(Certificates) != "16 MiB" || Size(1536) != "1536 bytes" {
		t.Error(Size(Certificates), Size(1536))
	}
}
