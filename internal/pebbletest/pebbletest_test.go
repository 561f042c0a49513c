package pebbletest

import (
	"net"
	"testing"
)

func TestDNSAnswer(t *testing.T) {
	addr := LoopbackDNS(t)
	c, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// A query for a.b, type A.
	q := []byte{0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'a', 1, 'b', 0, 0, 1, 0, 1}
	c.Write(q)
	buf := make([]byte, 512)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	if got := buf[n-4 : n]; n != len(q)+16 || got[0] != 127 || got[3] != 1 || buf[0] != 0x12 {
		t.Errorf("answer % x", buf[:n])
	}
}
