package abi

import (
	"encoding/json"

	"github.com/gstauth/gstauth/core"
	"github.com/gstauth/gstauth/gstcrypto"
)

// OAuth 2.0 helpers the session ops do not cover: PKCE, the authorization
// request and its redirect, WhiteBIT private API signing and mTLS
// certificates.
func init() {
	register(
		Op{Name: "pkce_s256", Doc: "The PKCE S256 code challenge of a verifier (RFC 7636 §4.2).", JSON: opPKCES256},
		Op{Name: "pkce_new", Doc: "A fresh PKCE verifier (32 random octets, base64url) and its S256 challenge.", JSON: opPKCENew},
		Op{Name: "oauth_authorization_url", Doc: "Start a code flow: the authorization URL, with state and PKCE kept in the session.", JSON: opAuthorizationURL},
		Op{Name: "oauth_parse_redirect", Doc: "Check the redirect of a code flow (state in constant time) and return its code and state.", JSON: opParseRedirect},
		Op{Name: "whitebit_sign", Doc: "WhiteBIT private API headers for an exact body: X-TXC-APIKEY, X-TXC-PAYLOAD, X-TXC-SIGNATURE.", JSON: opWhiteBITSign},
		Op{Name: "whitebit_request", Doc: "Build a signed WhiteBIT private API request with the session's next nonce.", JSON: opWhiteBITRequest},
		Op{Name: "mtls_certificate", Doc: "Describe a PEM client certificate for config.certificates: x5t#S256 and its effective window.", JSON: opMTLSCertificate},
		Op{Name: "mtls_select_certificate", Doc: "The client certificate to present at now_ms among overlapping ones (effective_from windows).", JSON: opMTLSSelect},
		Op{Name: "mtls_check_binding", Doc: "Whether a token (or a session's token) is bound to a certificate (RFC 8705 cnf x5t#S256).", JSON: opMTLSCheckBinding},
	)
}

func opPKCES256(in *Input) (any, error) {
	v, err := in.String("verifier")
	if err != nil {
		return nil, err
	}
	c, err := gstcrypto.PKCES256(v)
	if err != nil {
		return nil, err
	}
	return map[string]string{"challenge": c}, nil
}

func opPKCENew(in *Input) (any, error) {
	entropy, _, err := in.OptBytes("entropy", gstcrypto.MaxSmallField)
	if err != nil {
		return nil, err
	}
	v, c, err := gstcrypto.NewPKCE(nil, entropy)
	if err != nil {
		return nil, err
	}
	return map[string]string{"verifier": v, "challenge": c, "method": gstcrypto.PKCEMethodS256}, nil
}

func opAuthorizationURL(in *Input) (any, error) {
	s, err := sessionOf(in)
	if err != nil {
		return nil, err
	}
	now, err := nowOf(in)
	if err != nil {
		return nil, err
	}
	entropy, _, err := in.OptBytes("entropy", gstcrypto.MaxSmallField)
	if err != nil {
		return nil, err
	}
	u, err := core.AuthorizationURL(s, core.RequestOptions{NowMs: now, Entropy: entropy})
	if err != nil {
		return nil, err
	}
	return map[string]any{"url": u, "session": s}, nil
}

func opParseRedirect(in *Input) (any, error) {
	s, err := sessionOf(in)
	if err != nil {
		return nil, err
	}
	u, err := in.String("url")
	if err != nil {
		return nil, err
	}
	return core.ParseAuthorizationRedirect(s, u)
}

// whitebitKey reads the API key and its secret.
func whitebitKey(in *Input) (key, secret string, err error) {
	if key, err = in.String("api_key"); err != nil {
		return "", "", err
	}
	secret, err = in.String("secret")
	return key, secret, err
}

func opWhiteBITSign(in *Input) (any, error) {
	key, secret, err := whitebitKey(in)
	if err != nil {
		return nil, err
	}
	body, err := in.String("body")
	if err != nil {
		return nil, err
	}
	h, err := gstcrypto.SignWhiteBIT(key, secret, []byte(body))
	if err != nil {
		return nil, err
	}
	return map[string]any{"headers": h}, nil
}

func opWhiteBITRequest(in *Input) (any, error) {
	s, err := sessionOf(in)
	if err != nil {
		return nil, err
	}
	now, err := nowOf(in)
	if err != nil {
		return nil, err
	}
	key, secret, err := whitebitKey(in)
	if err != nil {
		return nil, err
	}
	path, err := in.String("path")
	if err != nil {
		return nil, err
	}
	var params map[string]json.RawMessage
	if err := in.OptDecode("params", &params); err != nil {
		return nil, err
	}
	req, err := core.BuildWhiteBITRequest(s, now, key, secret, path, params)
	if err != nil {
		return nil, err
	}
	return map[string]any{"request": req, "session": s}, nil
}

func opMTLSCertificate(in *Input) (any, error) {
	pem, err := in.String("certificate")
	if err != nil {
		return nil, err
	}
	id, _, err := in.OptString("id")
	if err != nil {
		return nil, err
	}
	from, _, err := in.OptInt64("effective_from_ms")
	if err != nil {
		return nil, err
	}
	c, err := core.ParseClientCertificate(id, []byte(pem), from)
	if err != nil {
		return nil, err
	}
	return map[string]any{"certificate": c}, nil
}

// maxCertificates bounds a rotation list.
const maxCertificates = gstcrypto.MaxCertificates

func opMTLSSelect(in *Input) (any, error) {
	var certs []core.ClientCertificate
	if err := in.Decode("certificates", &certs); err != nil {
		return nil, err
	}
	if len(certs) > maxCertificates {
		return nil, &core.Error{Code: gstcrypto.CodeTooLarge, Message: "too many certificates"}
	}
	now, err := nowOf(in)
	if err != nil {
		return nil, err
	}
	c, err := core.SelectCertificate(certs, now)
	if err != nil {
		return nil, err
	}
	return map[string]any{"certificate": c}, nil
}

func opMTLSCheckBinding(in *Input) (any, error) {
	hasToken, hasSession := in.Has("access_token"), in.Has("session")
	if hasToken == hasSession {
		return nil, invalid("give exactly one of access_token and session")
	}
	hasCert, hasX5t := in.Has("certificate"), in.Has("x5t_s256")
	if hasCert == hasX5t {
		return nil, invalid("give exactly one of certificate and x5t_s256")
	}
	var x5t string
	var err error
	if hasCert {
		pem, err := in.String("certificate")
		if err != nil {
			return nil, err
		}
		c, err := core.ParseClientCertificate("", []byte(pem), 0)
		if err != nil {
			return nil, err
		}
		x5t = c.X5tS256
	} else if x5t, err = in.String("x5t_s256"); err != nil {
		return nil, err
	}
	if hasToken {
		tok, err := in.String("access_token")
		if err != nil {
			return nil, err
		}
		if len(tok) > gstcrypto.MaxSmallField {
			return nil, &core.Error{Code: gstcrypto.CodeTooLarge, Message: "access_token is too long"}
		}
		return map[string]bool{"bound": core.TokenBoundTo(tok, x5t)}, nil
	}
	s, err := sessionOf(in)
	if err != nil {
		return nil, err
	}
	return map[string]bool{"bound": core.SessionBoundTo(s, x5t)}, nil
}
