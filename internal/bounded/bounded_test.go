package bounded

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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

// TestFIFOWithoutWriter: a named pipe nobody writes to reads as empty at once; one with a writer
// reads what it writes.
func TestFIFOWithoutWriter(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := mkfifo(fifo); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	done := make(chan []byte)
	go func() {
		b, _ := ReadFile(fifo, Secret)
		done <- b
	}()
	select {
	case b := <-done:
		if len(b) != 0 {
			t.Errorf("read %q", b)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("reading a named pipe without a writer hangs")
	}
}
