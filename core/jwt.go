package core

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"strings"
)

// Signed e-invoices and QR codes.
//
// NIC returns SignedInvoice and SignedQRCode as RS256 JWTs (RFC 7519, JWS
// compact form RFC 7515 §7.1): header {alg:"RS256", kid, x5t, typ:"JWT"},
// payload {data:"<json text>", iss:"NIC" | "NIC Sandbox"}, and no exp or
// iat. None of the open-source GST clients verifies them (india-compliance,
// ERPNext and Odoo decode with verification off); gstauth does.
//
// As in go-jose v4, the acceptable algorithm is fixed by the verifier, not
// the token: only RS256 verifies. The certificate is chosen by the token's
// x5t (base64url SHA-1 of the DER), else by its kid, which NIC samples set
// to the certificate's SHA-1 thumbprint in hex but which differs between
// samples; certificateIDs lists every form accepted. A token with neither
// names no key and verifies only against a set of exactly one certificate.
// Every rejection is CodeSignatureInvalid with no detail an attacker could
// use, except an oversized token (CodeTooLarge) and unusable certificates
// (CodeInvalidKey).

// SignedJWT is a verified token.
type SignedJWT struct {
	Header map[string]any `json:"header"`
	Claims map[string]any `json:"claims"`
	// Data is the "data" claim parsed as JSON when it holds a JSON object or
	// array as text (the e-invoice or QR content), else nil.
	Data json.RawMessage `json:"data"`
}

var b64url = base64.RawURLEncoding.Strict()

// VerifySignedJWT verifies an RS256 JWT against the caller's certificates
// and returns its header, claims and parsed data claim.
func VerifySignedJWT(token string, certs []*x509.Certificate) (*SignedJWT, error) {
	if err := checkSize("JWT", len(token), MaxJWTSize); err != nil {
		return nil, err
	}
	if len(certs) == 0 {
		return nil, newError(CodeInvalidKey, "no certificates to verify against")
	}
	if len(certs) > MaxCertificates {
		return nil, newError(CodeTooLarge, "more than %d certificates", MaxCertificates)
	}
	for _, c := range certs {
		if _, err := checkRSAPublic(c.PublicKey); err != nil {
			return nil, err
		}
	}
	token = strings.TrimSpace(token)
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, badJWT("a JWS has three segments")
	}
	headerJSON, err := b64url.DecodeString(parts[0])
	if err != nil {
		return nil, badJWT("header is not base64url")
	}
	payloadJSON, err := b64url.DecodeString(parts[1])
	if err != nil {
		return nil, badJWT("payload is not base64url")
	}
	sig, err := b64url.DecodeString(parts[2])
	if err != nil {
		return nil, badJWT("signature is not base64url")
	}
	header, err := decodeJSONObject(headerJSON)
	if err != nil {
		return nil, badJWT("header is not a JSON object")
	}
	if alg, _ := header["alg"].(string); alg != "RS256" {
		return nil, badJWT("only RS256 is accepted")
	}
	if _, ok := header["crit"]; ok {
		return nil, badJWT("critical header parameters are not supported")
	}
	cert, err := chooseCertificate(header, certs)
	if err != nil {
		return nil, err
	}
	signed := token[:len(parts[0])+1+len(parts[1])]
	if err := VerifyRSASHA256(cert.PublicKey.(*rsa.PublicKey), []byte(signed), sig); err != nil {
		return nil, err
	}
	claims, err := decodeJSONObject(payloadJSON)
	if err != nil {
		return nil, badJWT("payload is not a JSON object")
	}
	out := &SignedJWT{Header: header, Claims: claims}
	if s, ok := claims["data"].(string); ok {
		t := strings.TrimSpace(s)
		if (strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[")) && json.Valid([]byte(t)) {
			out.Data = json.RawMessage(t)
		}
	}
	return out, nil
}

func badJWT(msg string) error {
	return newError(CodeSignatureInvalid, "the token does not verify: %s", msg)
}

func chooseCertificate(header map[string]any, certs []*x509.Certificate) (*x509.Certificate, error) {
	x5t, hasX5t := header["x5t"].(string)
	kid, hasKid := header["kid"].(string)
	for _, c := range certs {
		t, _ := CertificateThumbprints(c)
		switch {
		case hasX5t && x5t != "":
			if t == x5t {
				return c, nil
			}
		case hasKid && kid != "":
			if certificateHasID(c, kid) {
				return c, nil
			}
		}
	}
	if (!hasX5t || x5t == "") && (!hasKid || kid == "") && len(certs) == 1 {
		return certs[0], nil
	}
	return nil, badJWT("no certificate matches the token's kid or x5t")
}

// decodeJSONObject decodes a JSON object, rejecting duplicate keys at the
// top level (two parsers could read different values) and trailing data.
func decodeJSONObject(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return nil, newError(CodeInvalidInput, "not a JSON object")
	}
	out := map[string]any{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, newError(CodeInvalidInput, "bad JSON")
		}
		key := tok.(string)
		if _, dup := out[key]; dup {
			return nil, newError(CodeInvalidInput, "duplicate key")
		}
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, newError(CodeInvalidInput, "bad JSON")
		}
		out[key] = v
	}
	if _, err := dec.Token(); err != nil {
		return nil, newError(CodeInvalidInput, "bad JSON")
	}
	if _, err := dec.Token(); err == nil {
		return nil, newError(CodeInvalidInput, "data after the JSON object")
	}
	return out, nil
}

// SignJWTRS256 signs claims as an RS256 JWT with the given header fields
// (alg is forced to RS256). The emulator signs SignedInvoice with it.
func SignJWTRS256(priv *rsa.PrivateKey, header, claims map[string]any) (string, error) {
	h := map[string]any{}
	for k, v := range header {
		h[k] = v
	}
	h["alg"] = "RS256"
	hb, err := json.Marshal(h)
	if err != nil {
		return "", newError(CodeInvalidInput, "header is not JSON")
	}
	cb, err := json.Marshal(claims)
	if err != nil {
		return "", newError(CodeInvalidInput, "claims are not JSON")
	}
	signed := b64url.EncodeToString(hb) + "." + b64url.EncodeToString(cb)
	sig, err := SignRSASHA256(priv, []byte(signed))
	if err != nil {
		return "", err
	}
	return signed + "." + b64url.EncodeToString(sig), nil
}
