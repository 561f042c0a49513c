package bounded

import (
	"bufio"
	"errors"
	"io"
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

func TestReadLine(t *testing.T) {
	r := bufio.NewReaderSize(strings.NewReader("abc\n"+strings.Repeat("x", 40)+"\nlast"), 16)
	if b, err := ReadLine(r, 1, 8); err != nil || string(b) != "abc\n" {
		t.Fatalf("line 1: %q, %v", b, err)
	}
	_, err := ReadLine(r, 2, 39)
	var long *LineTooLongError
	if !errors.As(err, &long) || err.Error() != "line 2 is longer than 39 bytes" {
		t.Fatalf("line 2: %v", err)
	}
	r = bufio.NewReaderSize(strings.NewReader(strings.Repeat("x", 40)+"\r\nlast"), 16)
	if b, err := ReadLine(r, 1, 41); err != nil || len(b) != 42 {
		t.Fatalf("a line of exactly the limit and CRLF: %d bytes, %v", len(b), err)
	}
	if b, err := ReadLine(r, 2, 41); err != nil || string(b) != "last" {
		t.Fatalf("the last line, with no newline: %q, %v", b, err)
	}
	if _, err := ReadLine(r, 3, 41); err != io.EOF {
		t.Fatalf("after the end: %v", err)
	}
}
