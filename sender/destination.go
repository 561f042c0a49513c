package sender

import (
	"fmt"
	"github.com/thingsim/thingsim/internal/record"
	"strings"
)

// Destination is an HTTPS destination as the platform configures it, with the platform's field
// names in its documentation: name, url, httpMethod, additionalHeaders, authentication,
// expectedResponseCode, sharedSecret, and the plug UUID the platform assigns.
type Destination struct {
	Name           string
	Description    string
	URL            string
	Method         string   // GET or POST, any case; empty means POST
	Headers        []Header // additionalHeaders, in the order configured
	Auth           Auth
	ExpectedStatus int // expectedResponseCode; 0 means 200
	Secret         Secret
	PlugUUID       string
}

// Header is one header, its name spelled as it goes on the wire.
type Header = record.Header

// AuthMethod is how a destination authenticates to the endpoint, besides the token.
type AuthMethod string

// The platform's authentication methods.
const (
	AuthNone   AuthMethod = "none"
	AuthBasic  AuthMethod = "basic"
	AuthBearer AuthMethod = "bearer"
	AuthAPIKey AuthMethod = "x-api-key"
)

// AuthMethods are the authentication methods, in the order the platform lists them.
var AuthMethods = []AuthMethod{AuthNone, AuthBasic, AuthBearer, AuthAPIKey}

// Methods are the HTTP methods a destination may use, the default first.
var Methods = []string{"POST", "GET"}

// DefaultAPIKeyHeader is the header the x-api-key method uses unless told otherwise; the platform
// does not document it.
const DefaultAPIKeyHeader = "X-API-Key"

// Auth is a destination's authentication. The zero value is no authentication.
type Auth struct {
	Method     AuthMethod // empty means none
	Username   string     // basic
	Credential Secret     // the password (basic), token (bearer) or key (x-api-key)
	Header     string     // the header of x-api-key; empty means DefaultAPIKeyHeader
}

// ParseAuthMethod reads an authentication method's name, in any case.
func ParseAuthMethod(s string) (AuthMethod, error) {
	switch m := AuthMethod(strings.ToLower(strings.TrimSpace(s))); m {
	case "", AuthNone:
		return AuthNone, nil
	case AuthBasic, AuthBearer, AuthAPIKey:
		return m, nil
	case "apikey", "api-key":
		return AuthAPIKey, nil
	}
	return "", fmt.Errorf("unknown authentication method %q (want none, basic, bearer or x-api-key)", s)
}

// headerName returns the name of the header the auth method sets, or "" for none.
func (a Auth) headerName() string {
	switch a.Method {
	case AuthBasic, AuthBearer:
		return "Authorization"
	case AuthAPIKey:
		if a.Header != "" {
			return a.Header
		}
		return DefaultAPIKeyHeader
	}
	return ""
}

// HTTPMethod returns the method requests are sent with: the configured one in upper case, POST
// when unset.
func (d *Destination) HTTPMethod() string {
	if d.Method == "" {
		return "POST"
	}
	return strings.ToUpper(d.Method)
}

// Expected returns the response code that counts as delivered as expected: 200 when unset.
func (d *Destination) Expected() int {
	if d.ExpectedStatus == 0 {
		return 200
	}
	return d.ExpectedStatus
}
