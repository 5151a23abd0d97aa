package core

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"strings"

	"github.com/gstauth/gstauth/gstcrypto"
)

// Helpers the request builders share.

// appKeyFor returns a fresh app key for a request.
func appKeyFor(o *RequestOptions) ([]byte, error) {
	return gstcrypto.NewAppKey(o.Random, o.Entropy)
}

// publicKeyOf parses the server public key from the credentials.
func publicKeyOf(c *Credentials, who string) (*rsa.PublicKey, error) {
	if c.PublicKey == "" {
		return nil, newError(gstcrypto.CodeConfigInvalid, "the %s public key (credentials.public_key) is required", who)
	}
	return gstcrypto.ParseRSAPublicKey([]byte(c.PublicKey))
}

func jsonBody(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
	return strings.TrimSuffix(buf.String(), "\n")
}

func requireField(what, v string) error {
	if strings.TrimSpace(v) == "" {
		return newError(gstcrypto.CodeConfigInvalid, "%s is required", what)
	}
	return nil
}
