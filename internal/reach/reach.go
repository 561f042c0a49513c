// Package reach tells whether the platform, on the internet, could reach a host: the one judgement
// the destination rules (package sender) and the TLS check (internal/tlscheck) share.
package reach

import (
	"net/netip"
	"strings"
)

// Unreachable says why the platform could not reach a host from the internet (loopback, a private
// or link-local address, a single-label name), or "" when it could.
func Unreachable(host string) string {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return "loopback"
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		switch {
		case ip.IsLoopback():
			return "loopback"
		case ip.IsPrivate():
			return "a private address"
		case ip.IsLinkLocalUnicast():
			return "link-local"
		case ip.IsUnspecified():
			return "unspecified"
		}
		return ""
	}
	if !strings.Contains(strings.TrimSuffix(host, "."), ".") {
		return "a single-label name, which public DNS does not resolve"
	}
	return ""
}
