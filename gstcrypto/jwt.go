package gstcrypto

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/gstauth/gstauth/internal/strictjson"
)

// Signed e-invoices and QR codes.
//
// NIC returns SignedInvoice and SignedQRCode as RS256 JWTs (RFC 7519, in
// the JWS compact serialization of RFC 7515 §7.1): header {alg:"RS256",
// kid, x5t, typ:"JWT"}, payload {data:"<json text>", iss:"NIC" | "NIC
// Sandbox"}, and no exp or iat. None of the open-source GST clients verifies
// them (india-compliance, ERPNext and Odoo decode with verification off);
// gstauth does.
//
// As in go-jose v4, the verifier, not the token, states what is acceptable:
// only RS256 verifies, and the key comes from the caller's certificates,
// never from the token (jwk, jku, x5u and x5c are ignored). The token's size
// is checked before anything is decoded.

// SignedJWT is a verified token.
type SignedJWT struct {
	Header map[string]any `json:"header"`
	Claims map[string]any `json:"claims"`
	// Data is the "data" claim parsed as JSON when it holds a JSON object or
	// array as text (the e-invoice or the QR code content), else nil.
	Data json.RawMessage `json:"data"`
}

// b64url is unpadded base64url with canonical trailing bits (RFC 7515 §2).
var b64url = base64.RawURLEncoding.Strict()

// VerifySignedJWT verifies an RS256 JWT, such as NIC's SignedInvoice or
// SignedQRCode, against the caller's certificates and returns its header,
// claims and parsed data claim. Numbers in the header and claims are
// json.Number, so large values (AckNo) keep every digit.
//
// The certificate is chosen by the token's "x5t" (base64url SHA-1 of the
// DER, RFC 7515 §4.1.7), "x5t#S256" (§4.1.8) and "kid": every one of them
// the token carries must name the same certificate. A kid names a
// certificate by its SHA-1 or SHA-256 thumbprint in hex or base64url, or by
// its subject key identifier in hex; NIC uses the SHA-1 thumbprint in
// upper-case hex (see certificateMatchesKid). A kid in none of those forms
// is an opaque label (samples differ between NIC environments) and names
// nothing: such a token, like one that names no certificate, verifies only
// against a set of exactly one, the pinned certificate, and an x5t it
// carries must still match it. A token whose names match no certificate
// is rejected, even when the set holds one.
//
// Certificates are trusted as given: their chains are the caller's to
// check, and their validity dates too unless [VerifySignedJWTAt] is given
// an instant. Every certificate must hold an RSA key of at least 2048
// bits.
//
// Errors: a token over MaxJWTSize is CodeTooLarge; an empty, oversized or
// unusable certificate set is CodeInvalidKey (CodeTooLarge over
// MaxCertificates); everything else (an algorithm other than RS256, "crit",
// no matching certificate, a bad signature, not three segments, base64url
// that is padded or not canonical, a header or payload that is not one JSON
// object, a duplicate member name at any depth) is CodeSignatureInvalid.
func VerifySignedJWT(token string, certs []*x509.Certificate) (*SignedJWT, error) {
	return VerifySignedJWTAt(token, certs, 0)
}

// VerifySignedJWTAt is VerifySignedJWT that also checks, when nowMs > 0,
// that the certificate whose key verifies the signature is valid at nowMs
// (NotBefore ≤ now ≤ NotAfter): a signature only an expired or not yet
// valid certificate verifies is CodeSignatureInvalid.
func VerifySignedJWTAt(token string, certs []*x509.Certificate, nowMs int64) (*SignedJWT, error) {
	if err := checkSize("JWT", len(token), MaxJWTSize); err != nil {
		return nil, err
	}
	if err := checkVerificationCertificates(certs); err != nil {
		return nil, err
	}
	if strings.Count(token, ".") != 2 {
		return nil, badJWT("a JWS in compact form has three segments")
	}
	h, rest, _ := strings.Cut(token, ".")
	p, s, _ := strings.Cut(rest, ".")
	headerJSON, err := decodeSegment("header", h)
	if err != nil {
		return nil, err
	}
	header, err := jwtObject("header", headerJSON)
	if err != nil {
		return nil, err
	}
	if alg, _ := header["alg"].(string); alg != "RS256" {
		return nil, badJWT("only RS256 is accepted")
	}
	if _, ok := header["crit"]; ok {
		return nil, badJWT("critical header parameters are not supported")
	}
	candidates, err := certificatesNamedBy(header, certs)
	if err != nil {
		return nil, err
	}
	sig, err := decodeSegment("signature", s)
	if err != nil {
		return nil, err
	}
	signingInput := []byte(token[:len(h)+1+len(p)])
	verified, outOfDate := false, false
	for _, c := range candidates {
		if VerifyRSASHA256(c.PublicKey.(*rsa.PublicKey), signingInput, sig) != nil {
			continue
		}
		if nb, na := CertificateValidity(c); nowMs > 0 && (nowMs < nb || nowMs > na) {
			outOfDate = true
			continue
		}
		verified = true
		break
	}
	switch {
	case !verified && outOfDate:
		return nil, badJWT("the certificate that verifies the signature is not valid at this instant")
	case !verified:
		return nil, badJWT("the signature does not verify")
	}
	payloadJSON, err := decodeSegment("payload", p)
	if err != nil {
		return nil, err
	}
	claims, err := jwtObject("payload", payloadJSON)
	if err != nil {
		return nil, err
	}
	out := &SignedJWT{Header: header, Claims: claims}
	if d, ok := claims["data"].(string); ok {
		t := strings.TrimSpace(d)
		if (strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[")) && json.Valid([]byte(t)) {
			out.Data = json.RawMessage(t)
		}
	}
	return out, nil
}

func badJWT(msg string) error {
	return newError(CodeSignatureInvalid, "the token does not verify: %s", msg)
}

func checkVerificationCertificates(certs []*x509.Certificate) error {
	if len(certs) == 0 {
		return newError(CodeInvalidKey, "no certificates to verify against")
	}
	if len(certs) > MaxCertificates {
		return newError(CodeTooLarge, "%d certificates; the limit is %d", len(certs), MaxCertificates)
	}
	for _, c := range certs {
		if c == nil {
			return newError(CodeInvalidKey, "a certificate is missing")
		}
		if _, err := checkRSAPublic(c.PublicKey); err != nil {
			return err
		}
	}
	return nil
}

// certificatesNamedBy returns the certificates that every one of the
// header's x5t, x5t#S256 and kid names.
func certificatesNamedBy(header map[string]any, certs []*x509.Certificate) ([]*x509.Certificate, error) {
	names := map[string]string{}
	for _, k := range []string{"x5t", "x5t#S256", "kid"} {
		v, ok := header[k]
		if !ok {
			continue
		}
		s, isString := v.(string)
		if !isString || s == "" {
			return nil, badJWT(k + " is not a non-empty string")
		}
		names[k] = s
	}
	if kid, ok := names["kid"]; ok && !thumbprintForm(kid) {
		delete(names, "kid") // an opaque label names no certificate
	}
	if len(names) == 0 {
		if len(certs) == 1 {
			return certs, nil
		}
		return nil, badJWT("the token names no certificate (no kid or x5t) and more than one was given")
	}
	var out []*x509.Certificate
	for _, c := range certs {
		x5t, x5tS256 := CertificateThumbprints(c)
		if v, ok := names["x5t"]; ok && v != x5t {
			continue
		}
		if v, ok := names["x5t#S256"]; ok && v != x5tS256 {
			continue
		}
		if v, ok := names["kid"]; ok && !certificateMatchesKid(c, v) {
			continue
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, badJWT("no certificate matches the token's kid or x5t")
	}
	return out, nil
}

// thumbprintForm reports whether a kid has the shape of a thumbprint or a
// subject key identifier: 40 or 64 hex digits (SHA-1, SHA-256, a 20-byte
// key identifier) or 27 or 43 base64url characters (SHA-1, SHA-256).
func thumbprintForm(kid string) bool {
	isHex, isB64url := true, true
	for i := 0; i < len(kid); i++ {
		c := kid[i]
		hex := '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
		isHex = isHex && hex
		isB64url = isB64url && (hex || 'g' <= c && c <= 'z' || 'G' <= c && c <= 'Z' || c == '-' || c == '_')
	}
	switch {
	case isHex && (len(kid) == 40 || len(kid) == 64):
		return true
	case isB64url && (len(kid) == 27 || len(kid) == 43):
		return true
	}
	return false
}

// decodeSegment decodes one base64url segment. Go's decoder skips CR and
// LF, so every byte is first checked against the base64url alphabet.
func decodeSegment(name, seg string) ([]byte, error) {
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return nil, badJWT("the " + name + " is not unpadded base64url")
		}
	}
	b, err := b64url.DecodeString(seg)
	if err != nil {
		return nil, badJWT("the " + name + " is not canonical base64url")
	}
	return b, nil
}

// jwtObject decodes a JWS header or payload with decodeJSONObject; any
// failure is CodeSignatureInvalid.
func jwtObject(name string, b []byte) (map[string]any, error) {
	obj, err := decodeJSONObject(b)
	if err != nil {
		return nil, badJWT("the " + name + " is not one JSON object without duplicate names")
	}
	return obj, nil
}

// decodeJSONObject decodes one JSON object with internal/strictjson (UTF-8,
// no duplicate names, nesting at most 64 deep, numbers as json.Number);
// failures are CodeInvalidInput.
func decodeJSONObject(b []byte) (map[string]any, error) {
	obj, err := strictjson.DecodeObject(b)
	if err != nil {
		return nil, newError(CodeInvalidInput, "%s", err.Error())
	}
	return obj, nil
}

// SignJWTRS256 signs claims as an RS256 JWT (RFC 7515 §7.1, RSASSA-PKCS1-v1_5
// SHA-256) with the given header fields; "alg" is always RS256. Members are
// written in sorted order without HTML escaping; nil claims are {}. The
// emulator signs SignedInvoice and SignedQRCode with it. A token that would
// exceed MaxJWTSize is CodeTooLarge.
func SignJWTRS256(priv *rsa.PrivateKey, header, claims map[string]any) (string, error) {
	if priv == nil {
		return "", newError(CodeInvalidKey, "no private key")
	}
	h := make(map[string]any, len(header)+1)
	for k, v := range header {
		h[k] = v
	}
	h["alg"] = "RS256"
	if claims == nil {
		claims = map[string]any{}
	}
	hb, err := compactJSON(h)
	if err != nil {
		return "", newError(CodeInvalidInput, "the header cannot be written as JSON")
	}
	cb, err := compactJSON(claims)
	if err != nil {
		return "", newError(CodeInvalidInput, "the claims cannot be written as JSON")
	}
	n := b64url.EncodedLen(len(hb)) + 1 + b64url.EncodedLen(len(cb))
	if err := checkSize("JWT", n+1+b64url.EncodedLen(priv.Size()), MaxJWTSize); err != nil {
		return "", err
	}
	signingInput := make([]byte, n)
	b64url.Encode(signingInput, hb)
	signingInput[b64url.EncodedLen(len(hb))] = '.'
	b64url.Encode(signingInput[b64url.EncodedLen(len(hb))+1:], cb)
	sig, err := SignRSASHA256(priv, signingInput)
	if err != nil {
		return "", err
	}
	return string(signingInput) + "." + b64url.EncodeToString(sig), nil
}

func compactJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
