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
		jsonOp("pkce_s256", "The PKCE S256 code challenge of a verifier (RFC 7636 §4.2).", opPKCES256),
		jsonOp("pkce_new", "A fresh PKCE verifier (32 random octets, base64url) and its S256 challenge.", opPKCENew),
		jsonOp("oauth_authorization_url", "Start a code flow: the authorization URL, with state and PKCE kept in the session.", opAuthorizationURL),
		jsonOp("oauth_parse_redirect", "Check the redirect of a code flow (state in constant time) and return its code and state.", opParseRedirect),
		jsonOp("whitebit_sign", "WhiteBIT private API headers for an exact body: X-TXC-APIKEY, X-TXC-PAYLOAD, X-TXC-SIGNATURE.", opWhiteBITSign),
		jsonOp("whitebit_request", "Build a signed WhiteBIT private API request with the session's next nonce.", opWhiteBITRequest),
		jsonOp("mtls_certificate", "Describe a PEM client certificate for config.certificates: x5t#S256 and its effective window.", opMTLSCertificate),
		jsonOp("mtls_select_certificate", "The client certificate to present at now_ms among overlapping ones (effective_from windows).", opMTLSSelect),
		jsonOp("mtls_check_binding", "Whether a token (or a session's token) is bound to a certificate (RFC 8705 cnf x5t#S256).", opMTLSCheckBinding),
	)
}

type pkceS256In struct {
	Verifier string `json:"verifier" limit:"256" doc:"43-128 characters of A-Z a-z 0-9 - . _ ~"`
}

type pkceS256Out struct {
	Challenge string `json:"challenge"`
}

type pkceNewOut struct {
	Verifier  string `json:"verifier"`
	Challenge string `json:"challenge"`
	Method    string `json:"method" doc:"always S256"`
}

type authorizationURLIn struct {
	sessionParam
	nowParam
	Entropy []byte `json:"entropy,omitempty" limit:"small"`
}

type authorizationURLOut struct {
	URL     string        `json:"url"`
	Session *core.Session `json:"session"`
}

type parseRedirectIn struct {
	sessionParam
	URL string `json:"url" limit:"small" doc:"the redirect URL the user's browser came back with"`
}

type whitebitKey struct {
	APIKey string `json:"api_key" limit:"small"`
	Secret string `json:"secret" limit:"small"`
}

type whitebitSignIn struct {
	whitebitKey
	Body string `json:"body" limit:"payload" format:"json" doc:"the exact body that will be sent"`
}

type whitebitRequestIn struct {
	sessionParam
	nowParam
	whitebitKey
	Path   string                     `json:"path" limit:"2048" doc:"the request path, e.g. /api/v4/trade-account/balance"`
	Params map[string]json.RawMessage `json:"params,omitempty" limit:"256" doc:"the body's other members, each any JSON value"`
}

type mtlsCertificateIn struct {
	Certificate     string `json:"certificate" limit:"key" doc:"one PEM or DER certificate"`
	ID              string `json:"id,omitempty" limit:"256"`
	EffectiveFromMs int64  `json:"effective_from_ms,omitempty" min:"0"`
}

type certificateOut struct {
	Certificate core.ClientCertificate `json:"certificate"`
}

type mtlsSelectIn struct {
	Certificates []core.ClientCertificate `json:"certificates" limit:"64"`
	nowParam
}

type mtlsBindingIn struct {
	AccessToken string        `json:"access_token,omitempty" limit:"small" doc:"exactly one of access_token and session"`
	Session     *core.Session `json:"session,omitempty"`
	Certificate string        `json:"certificate,omitempty" limit:"key" doc:"exactly one of certificate and x5t_s256"`
	X5tS256     string        `json:"x5t_s256,omitempty" limit:"128"`
}

type boundOut struct {
	Bound bool `json:"bound"`
}

func opPKCES256(in *pkceS256In) (*pkceS256Out, error) {
	c, err := gstcrypto.PKCES256(in.Verifier)
	if err != nil {
		return nil, err
	}
	return &pkceS256Out{Challenge: c}, nil
}

func opPKCENew(in *entropyIn) (*pkceNewOut, error) {
	v, c, err := gstcrypto.NewPKCE(nil, in.Entropy)
	if err != nil {
		return nil, err
	}
	return &pkceNewOut{Verifier: v, Challenge: c, Method: gstcrypto.PKCEMethodS256}, nil
}

func opAuthorizationURL(in *authorizationURLIn) (*authorizationURLOut, error) {
	u, err := core.AuthorizationURL(in.Session, core.RequestOptions{NowMs: in.NowMs, Entropy: in.Entropy})
	if err != nil {
		return nil, err
	}
	return &authorizationURLOut{URL: u, Session: in.Session}, nil
}

func opParseRedirect(in *parseRedirectIn) (*core.AuthorizationRedirect, error) {
	r, err := core.ParseAuthorizationRedirect(in.Session, in.URL)
	if err != nil {
		return nil, err
	}
	return &r, nil
}

func opWhiteBITSign(in *whitebitSignIn) (*headersOut, error) {
	h, err := gstcrypto.SignWhiteBIT(in.APIKey, in.Secret, []byte(in.Body))
	if err != nil {
		return nil, err
	}
	return &headersOut{Headers: h}, nil
}

func opWhiteBITRequest(in *whitebitRequestIn) (*sessionRequestOut, error) {
	req, err := core.BuildWhiteBITRequest(in.Session, in.NowMs, in.APIKey, in.Secret, in.Path, in.Params)
	if err != nil {
		return nil, err
	}
	return &sessionRequestOut{Request: req, Session: in.Session}, nil
}

func opMTLSCertificate(in *mtlsCertificateIn) (*certificateOut, error) {
	c, err := core.ParseClientCertificate(in.ID, []byte(in.Certificate), in.EffectiveFromMs)
	if err != nil {
		return nil, err
	}
	return &certificateOut{Certificate: c}, nil
}

func opMTLSSelect(in *mtlsSelectIn) (*certificateOut, error) {
	c, err := core.SelectCertificate(in.Certificates, in.NowMs)
	if err != nil {
		return nil, err
	}
	return &certificateOut{Certificate: c}, nil
}

func opMTLSCheckBinding(in *mtlsBindingIn) (*boundOut, error) {
	if (in.AccessToken != "") == (in.Session != nil) {
		return nil, invalid("give exactly one of access_token and session")
	}
	if (in.Certificate != "") == (in.X5tS256 != "") {
		return nil, invalid("give exactly one of certificate and x5t_s256")
	}
	x5t := in.X5tS256
	if in.Certificate != "" {
		c, err := core.ParseClientCertificate("", []byte(in.Certificate), 0)
		if err != nil {
			return nil, err
		}
		x5t = c.X5tS256
	}
	if in.Session == nil {
		return &boundOut{Bound: core.TokenBoundTo(in.AccessToken, x5t)}, nil
	}
	return &boundOut{Bound: core.SessionBoundTo(in.Session, x5t)}, nil
}
