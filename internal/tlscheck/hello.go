package tlscheck

import (
	"encoding/binary"
	"net"
)

// TLS protocol versions on the wire.
const (
	VersionTLS10 uint16 = 0x0301
	VersionTLS11 uint16 = 0x0302
	VersionTLS12 uint16 = 0x0303
	VersionTLS13 uint16 = 0x0304
)

// Extensions and values a Java 17 client sends in its ClientHello, which a probe copies so that a
// server answers it as it would answer the platform.
var (
	// javaGroups: x25519, secp256r1, secp384r1, secp521r1, x448, ffdhe2048..ffdhe8192.
	javaGroups = []uint16{0x001D, 0x0017, 0x0018, 0x0019, 0x001E, 0x0100, 0x0101, 0x0102, 0x0103, 0x0104}
	// javaSignatureAlgorithms in Java 17's order.
	javaSignatureAlgorithms = []uint16{
		0x0403, 0x0503, 0x0603, // ecdsa_secp256r1_sha256, secp384r1_sha384, secp521r1_sha512
		0x0807, 0x0808, // ed25519, ed448
		0x0804, 0x0805, 0x0806, // rsa_pss_rsae_sha256/384/512
		0x0809, 0x080A, 0x080B, // rsa_pss_pss_sha256/384/512
		0x0401, 0x0501, 0x0601, // rsa_pkcs1_sha256/384/512
		0x0303, 0x0301, 0x0302, // sha224 with ecdsa, rsa, dsa
		0x0203, 0x0201, 0x0202, // sha1 with ecdsa, rsa, dsa
	}
)

// helloSpec says what a ClientHello offers.
type helloSpec struct {
	version    uint16   // client_version: 0x0301..0x0303 (TLS 1.3 hellos say 0x0303)
	suites     []uint16 // offered cipher suites
	serverName string   // SNI; empty or an IP address sends none
	random     [32]byte
	tls13      bool   // add supported_versions (1.3 only) and a key share
	keyShare   []byte // x25519 public key for TLS 1.3
}

// clientHello returns a complete TLS record holding the ClientHello.
func clientHello(s helloSpec) []byte {
	var body []byte
	body = binary.BigEndian.AppendUint16(body, s.version)
	body = append(body, s.random[:]...)
	body = append(body, 0)                                       // no session id
	suites := append(append([]uint16(nil), s.suites...), 0x00FF) // TLS_EMPTY_RENEGOTIATION_INFO_SCSV, as Java sends
	body = binary.BigEndian.AppendUint16(body, uint16(2*len(suites)))
	for _, c := range suites {
		body = binary.BigEndian.AppendUint16(body, c)
	}
	body = append(body, 1, 0) // compression: null only

	var ext []byte
	if s.serverName != "" && net.ParseIP(s.serverName) == nil {
		name := []byte(s.serverName)
		var sni []byte
		sni = binary.BigEndian.AppendUint16(sni, uint16(len(name)+3))
		sni = append(sni, 0) // host_name
		sni = binary.BigEndian.AppendUint16(sni, uint16(len(name)))
		sni = append(sni, name...)
		ext = appendExtension(ext, 0x0000, sni)
	}
	ext = appendExtension(ext, 0x000A, u16List(javaGroups))              // supported_groups
	ext = appendExtension(ext, 0x000B, []byte{1, 0})                     // ec_point_formats: uncompressed
	ext = appendExtension(ext, 0x000D, u16List(javaSignatureAlgorithms)) // signature_algorithms
	ext = appendExtension(ext, 0x0017, nil)                              // extended_master_secret
	if s.tls13 {
		ext = appendExtension(ext, 0x002B, []byte{2, 0x03, 0x04}) // supported_versions: TLS 1.3
		var ks []byte
		ks = binary.BigEndian.AppendUint16(ks, uint16(4+len(s.keyShare)))
		ks = binary.BigEndian.AppendUint16(ks, 0x001D) // x25519
		ks = binary.BigEndian.AppendUint16(ks, uint16(len(s.keyShare)))
		ks = append(ks, s.keyShare...)
		ext = appendExtension(ext, 0x0033, ks)           // key_share
		ext = appendExtension(ext, 0x002D, []byte{1, 1}) // psk_key_exchange_modes: psk_dhe_ke
	}
	body = binary.BigEndian.AppendUint16(body, uint16(len(ext)))
	body = append(body, ext...)

	hs := []byte{1} // client_hello
	hs = append(hs, byte(len(body)>>16), byte(len(body)>>8), byte(len(body)))
	hs = append(hs, body...)

	record := []byte{22}                                         // handshake
	record = binary.BigEndian.AppendUint16(record, VersionTLS10) // the record version of a first hello
	record = binary.BigEndian.AppendUint16(record, uint16(len(hs)))
	return append(record, hs...)
}

func appendExtension(dst []byte, typ uint16, data []byte) []byte {
	dst = binary.BigEndian.AppendUint16(dst, typ)
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(data)))
	return append(dst, data...)
}

// u16List writes a list of uint16 with its two-byte length.
func u16List(vs []uint16) []byte {
	out := binary.BigEndian.AppendUint16(nil, uint16(2*len(vs)))
	for _, v := range vs {
		out = binary.BigEndian.AppendUint16(out, v)
	}
	return out
}
