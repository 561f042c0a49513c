package tlscheck

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// answer is what a server said to one ClientHello.
type answer struct {
	// Accepted: a ServerHello came back.
	Accepted bool
	Version  uint16 // negotiated (supported_versions for TLS 1.3)
	Suite    uint16
	// Alert is the alert description when the server refused with one (40 handshake_failure,
	// 70 protocol_version, ...); -1 when it closed without one.
	Alert int
	// Certificates the server sent in plain text (TLS 1.2 and older), leaf first.
	Certificates [][]byte
	// DHBits is the size of the DHE group in a ServerKeyExchange, 0 when there was none.
	DHBits int
}

// errNotTLS means the peer answered with something that is not TLS at all.
var errNotTLS = errors.New("the server does not speak TLS")

// readAnswer reads records until it knows the server's answer to a ClientHello: a ServerHello
// (and, when wantMore, the Certificate and ServerKeyExchange that follow it in TLS 1.2), an alert,
// or the end of the connection.
func readAnswer(r io.Reader, wantMore bool) (answer, error) {
	a := answer{Alert: -1}
	var hs []byte // handshake bytes so far
	for {
		var hdr [5]byte
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			if a.Accepted {
				return a, nil // what came before counts
			}
			return a, err
		}
		typ, length := hdr[0], int(binary.BigEndian.Uint16(hdr[3:5]))
		if typ < 20 || typ > 24 || hdr[1] != 3 || length > 1<<14+2048 {
			return a, errNotTLS
		}
		payload := make([]byte, length)
		if _, err := io.ReadFull(r, payload); err != nil {
			if a.Accepted {
				return a, nil
			}
			return a, err
		}
		switch typ {
		case 21: // alert
			if len(payload) >= 2 && !a.Accepted {
				a.Alert = int(payload[1])
			}
			return a, nil
		case 22: // handshake
			hs = append(hs, payload...)
		default: // change_cipher_spec or encrypted data: the plain part is over
			return a, nil
		}
		done, err := parseHandshakes(&a, &hs, wantMore)
		if err != nil || done {
			return a, err
		}
	}
}

// parseHandshakes consumes the complete handshake messages in hs; done means the answer is known.
func parseHandshakes(a *answer, hs *[]byte, wantMore bool) (done bool, err error) {
	for len(*hs) >= 4 {
		typ := (*hs)[0]
		n := int((*hs)[1])<<16 | int((*hs)[2])<<8 | int((*hs)[3])
		if len(*hs) < 4+n {
			return false, nil
		}
		msg := (*hs)[4 : 4+n]
		*hs = (*hs)[4+n:]
		switch typ {
		case 2:
			if err := parseServerHello(a, msg); err != nil {
				return true, err
			}
			if !wantMore || a.Version == VersionTLS13 {
				return true, nil
			}
		case 11:
			a.Certificates = parseCertificates(msg)
		case 12:
			if isDHE(a.Suite) && len(msg) >= 2 {
				p := int(binary.BigEndian.Uint16(msg[:2]))
				if p <= len(msg)-2 {
					bits := 8 * p
					if p > 0 { // do not count leading zero bits of p
						for b := msg[2]; b < 0x80 && bits > 0; b <<= 1 {
							bits--
						}
					}
					a.DHBits = bits
				}
			}
			return true, nil
		case 14: // server_hello_done
			return true, nil
		default:
			if !a.Accepted {
				return true, fmt.Errorf("the server answered the hello with handshake message %d", typ)
			}
		}
	}
	return false, nil
}

// parseServerHello reads version, cipher suite and supported_versions.
func parseServerHello(a *answer, msg []byte) error {
	if len(msg) < 38 {
		return errors.New("a ServerHello too short to read")
	}
	a.Version = binary.BigEndian.Uint16(msg[0:2])
	p := 34
	sidLen := int(msg[p])
	p++
	if len(msg) < p+sidLen+3 {
		return errors.New("a ServerHello cut short")
	}
	p += sidLen
	a.Suite = binary.BigEndian.Uint16(msg[p : p+2])
	p += 3 // suite and compression
	a.Accepted = true
	if len(msg) < p+2 {
		return nil // no extensions
	}
	extLen := int(binary.BigEndian.Uint16(msg[p : p+2]))
	p += 2
	exts := msg[p:]
	if extLen < len(exts) {
		exts = exts[:extLen]
	}
	for len(exts) >= 4 {
		typ := binary.BigEndian.Uint16(exts[0:2])
		n := int(binary.BigEndian.Uint16(exts[2:4]))
		if len(exts) < 4+n {
			break
		}
		if typ == 0x002B && n == 2 { // supported_versions
			a.Version = binary.BigEndian.Uint16(exts[4:6])
		}
		exts = exts[4+n:]
	}
	return nil
}

// parseCertificates reads a TLS 1.2 Certificate message's DER certificates.
func parseCertificates(msg []byte) [][]byte {
	if len(msg) < 3 {
		return nil
	}
	total := int(msg[0])<<16 | int(msg[1])<<8 | int(msg[2])
	rest := msg[3:]
	if total < len(rest) {
		rest = rest[:total]
	}
	var out [][]byte
	for len(rest) >= 3 {
		n := int(rest[0])<<16 | int(rest[1])<<8 | int(rest[2])
		if len(rest) < 3+n {
			break
		}
		out = append(out, rest[3:3+n])
		rest = rest[3+n:]
	}
	return out
}
