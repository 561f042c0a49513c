package tlscheck

import "fmt"

// Suite is a cipher suite of the platform's list. The code is authoritative, not the name the
// platform's page gives: 0xCCAA is RFC 7905's TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256 though the
// page calls it OLD_.
type Suite struct {
	Code uint16
	Name string
	// Java says whether a stock Java 17 client implements the suite; CAMELLIA, CCM, CECPQ1 and the
	// pre-standard ChaCha20 suites it does not.
	Java bool
	// OpenSSL names the suite as nginx's ssl_ciphers and openssl take it; "" when OpenSSL has none.
	OpenSSL string
}

// CodeString writes the code as the JSON report does: "0x009E".
func (s Suite) CodeString() string { return fmt.Sprintf("0x%04X", s.Code) }

// PlatformSuites are the 41 suites of the platform's "Safe cipher suite" table, in its order.
var PlatformSuites = []Suite{
	{0x16B9, "TLS_CECPQ1_RSA_WITH_AES_256_GCM_SHA384", false, ""},
	{0x16B7, "TLS_CECPQ1_RSA_WITH_CHACHA20_POLY1305_SHA256", false, ""},
	{0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", true, "DHE-RSA-AES128-SHA256"},
	{0x006B, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256", true, "DHE-RSA-AES256-SHA256"},
	{0xC09E, "TLS_DHE_RSA_WITH_AES_128_CCM", false, "DHE-RSA-AES128-CCM"},
	{0xC09F, "TLS_DHE_RSA_WITH_AES_256_CCM", false, "DHE-RSA-AES256-CCM"},
	{0xC0A2, "TLS_DHE_RSA_WITH_AES_128_CCM_8", false, "DHE-RSA-AES128-CCM8"},
	{0xC0A3, "TLS_DHE_RSA_WITH_AES_256_CCM_8", false, "DHE-RSA-AES256-CCM8"},
	{0x009E, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", true, "DHE-RSA-AES128-GCM-SHA256"},
	{0x009F, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", true, "DHE-RSA-AES256-GCM-SHA384"},
	{0x00BE, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA256", false, "DHE-RSA-CAMELLIA128-SHA256"},
	{0x00C4, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA256", false, "DHE-RSA-CAMELLIA256-SHA256"},
	{0xCCAA, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", true, "DHE-RSA-CHACHA20-POLY1305"},
	{0xC027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", true, "ECDHE-RSA-AES128-SHA256"},
	{0xC028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", true, "ECDHE-RSA-AES256-SHA384"},
	{0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", true, "ECDHE-RSA-AES128-GCM-SHA256"},
	{0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", true, "ECDHE-RSA-AES256-GCM-SHA384"},
	{0xC076, "TLS_ECDHE_RSA_WITH_CAMELLIA_128_CBC_SHA256", false, "ECDHE-RSA-CAMELLIA128-SHA256"},
	{0xC077, "TLS_ECDHE_RSA_WITH_CAMELLIA_256_CBC_SHA384", false, "ECDHE-RSA-CAMELLIA256-SHA384"},
	{0xCC13, "OLD_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", false, ""},
	{0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", true, "ECDHE-RSA-CHACHA20-POLY1305"},
	{0x16BA, "TLS_CECPQ1_ECDSA_WITH_AES_256_GCM_SHA384", false, ""},
	{0x16B8, "TLS_CECPQ1_ECDSA_WITH_CHACHA20_POLY1305_SHA256", false, ""},
	{0xC023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", true, "ECDHE-ECDSA-AES128-SHA256"},
	{0xC024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", true, "ECDHE-ECDSA-AES256-SHA384"},
	{0xC0AC, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM", false, "ECDHE-ECDSA-AES128-CCM"},
	{0xC0AD, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM", false, "ECDHE-ECDSA-AES256-CCM"},
	{0xC0AE, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8", false, "ECDHE-ECDSA-AES128-CCM8"},
	{0xC0AF, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8", false, "ECDHE-ECDSA-AES256-CCM8"},
	{0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", true, "ECDHE-ECDSA-AES128-GCM-SHA256"},
	{0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", true, "ECDHE-ECDSA-AES256-GCM-SHA384"},
	{0xC072, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_CBC_SHA256", false, "ECDHE-ECDSA-CAMELLIA128-SHA256"},
	{0xC073, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_CBC_SHA384", false, "ECDHE-ECDSA-CAMELLIA256-SHA384"},
	{0xCC14, "OLD_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", false, ""},
	{0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", true, "ECDHE-ECDSA-CHACHA20-POLY1305"},
	{0xC086, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_GCM_SHA256", false, ""},
	{0xC087, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_GCM_SHA384", false, ""},
	{0xC07C, "TLS_DHE_RSA_WITH_CAMELLIA_128_GCM_SHA256", false, ""},
	{0xC07D, "TLS_DHE_RSA_WITH_CAMELLIA_256_GCM_SHA384", false, ""},
	{0xC08A, "TLS_ECDHE_RSA_WITH_CAMELLIA_128_GCM_SHA256", false, ""},
	{0xC08B, "TLS_ECDHE_RSA_WITH_CAMELLIA_256_GCM_SHA384", false, ""},
}

// isDHE reports whether a suite's key exchange is finite-field Diffie-Hellman.
func isDHE(code uint16) bool {
	switch code {
	case 0x0067, 0x006B, 0xC09E, 0xC09F, 0xC0A2, 0xC0A3, 0x009E, 0x009F, 0x00BE, 0x00C4, 0xCCAA, 0xC07C, 0xC07D:
		return true
	}
	return false
}

// suiteName names any suite code: the platform's, TLS 1.3's, or a few common others.
func suiteName(code uint16) string {
	for _, s := range PlatformSuites {
		if s.Code == code {
			return s.Name
		}
	}
	if n, ok := otherSuites[code]; ok {
		return n
	}
	return fmt.Sprintf("0x%04X", code)
}

var otherSuites = map[uint16]string{
	0x1301: "TLS_AES_128_GCM_SHA256",
	0x1302: "TLS_AES_256_GCM_SHA384",
	0x1303: "TLS_CHACHA20_POLY1305_SHA256",
	0xC013: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
	0xC014: "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
	0xC009: "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
	0xC00A: "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
	0x0033: "TLS_DHE_RSA_WITH_AES_128_CBC_SHA",
	0x0039: "TLS_DHE_RSA_WITH_AES_256_CBC_SHA",
	0x002F: "TLS_RSA_WITH_AES_128_CBC_SHA",
	0x0035: "TLS_RSA_WITH_AES_256_CBC_SHA",
	0x009C: "TLS_RSA_WITH_AES_128_GCM_SHA256",
	0x009D: "TLS_RSA_WITH_AES_256_GCM_SHA384",
	0x000A: "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
}

// legacySuites are offered when probing whether a server accepts TLS 1.0 or 1.1 at all: suites
// that old protocol versions can negotiate.
var legacySuites = []uint16{0xC013, 0xC014, 0xC009, 0xC00A, 0x0033, 0x0039, 0x002F, 0x0035, 0x000A}

// modernSuites are offered when probing TLS 1.2 support: the listed suites and common others.
func modernSuites() []uint16 {
	out := make([]uint16, 0, len(PlatformSuites)+len(legacySuites)+2)
	for _, s := range PlatformSuites {
		out = append(out, s.Code)
	}
	out = append(out, 0x009C, 0x009D)
	return append(out, legacySuites...)
}
