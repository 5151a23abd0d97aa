package core_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/gstauth/gstauth/core"
	"github.com/gstauth/gstauth/gstcrypto"
)

func queryKeys(rawURL string) string {
	u, _ := url.Parse(rawURL)
	var keys []string
	for k := range u.Query() {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return u.Scheme + "://" + u.Host + u.Path + " " + strings.Join(keys, ",")
}

// OAuth 2.0 client credentials at WhiteBooks: a 1-hour token and a 24-hour
// refresh token; the planner refreshes 5 minutes before the end.
func ExampleBuildRequest_oauthClientCredentials() {
	s, _ := core.NewSession(core.ProviderOAuthClientCredentials, "acme-tenant", core.Config{
		TokenURL: "https://api.whitebooks.example/oauth/token", ClientID: "acme-tenant", Flavor: core.FlavorWhiteBooks})
	creds := &core.Credentials{ClientSecret: "test-only-secret"}

	p, _ := core.PlanSession(s, exT0)
	fmt.Println(p.Action, p.Reason)
	req, _ := core.BuildRequest(s, creds, core.RequestOptions{NowMs: exT0})
	fmt.Println(req.Method, req.URL, req.Body, strings.HasPrefix(req.Headers["Authorization"], "Basic "))
	core.ParseResponse(s, &core.HTTPResponse{Status: 200,
		Body: `{"access_token":"at-1","token_type":"Bearer","expires_in":"3600","refresh_token":"rt-1"}`}, 0, exT0+250)
	fmt.Println((s.ExpiresAtMs-exT0)/exMinute, (s.RefreshExpiresAtMs-exT0)/exHour)

	p, _ = core.PlanSession(s, exT0+55*exMinute)
	req, _ = core.BuildRequest(s, creds, core.RequestOptions{NowMs: exT0 + 55*exMinute})
	fmt.Println(p.Action, req.Body)
	// Output:
	// renew no_token
	// POST https://api.whitebooks.example/oauth/token grant_type=client_credentials true
	// 60 24
	// refresh grant_type=refresh_token&refresh_token=rt-1
}

// OneFinOps (Keycloak): client_secret_post with scope=gstn-india; a test
// client is refused against a production host before anything is sent.
func ExampleBuildRequest_oneFinOps() {
	s, _ := core.NewSession(core.ProviderOAuthClientCredentials, "ofin_test_acme", core.Config{
		TokenURL: "https://auth.sandbox.onefinops.example/realms/gst/protocol/openid-connect/token",
		ClientID: "ofin_test_acme", Flavor: core.FlavorOneFinOps})
	req, _ := core.BuildRequest(s, &core.Credentials{ClientSecret: "kc"}, core.RequestOptions{NowMs: exT0})
	fmt.Println(req.Body)

	s.Config.TokenURL = "https://auth.onefinops.example/realms/gst/protocol/openid-connect/token"
	_, err := core.BuildRequest(s, &core.Credentials{ClientSecret: "kc"}, core.RequestOptions{NowMs: exT0})
	fmt.Println(gstcrypto.CodeOf(err))
	// Output:
	// client_id=ofin_test_acme&client_secret=kc&grant_type=client_credentials&scope=gstn-india
	// config_invalid
}

// The password grant as Masters India takes it: a JSON body.
func ExampleBuildRequest_oauthPassword() {
	s, _ := core.NewSession(core.ProviderOAuthPassword, "ops@acme.example", core.Config{
		TokenURL: "https://mi.example/oauth/access_token", ClientID: "mi-client", Username: "ops@acme.example",
		Flavor: core.FlavorMastersIndia})
	req, _ := core.BuildRequest(s, &core.Credentials{ClientSecret: "mi-secret", Password: "pw"}, core.RequestOptions{NowMs: exT0})
	fmt.Println(req.Headers["Content-Type"], req.Body)
	err := core.ParseResponse(s, &core.HTTPResponse{Status: 200,
		Body: `{"access_token":"8a6ce6f2","expires_in":3600,"token_type":"bearer"}`}, 0, exT0+200)
	fmt.Println(err, (s.ExpiresAtMs-exT0)/exMinute)
	// Output:
	// application/json {"client_id":"mi-client","client_secret":"mi-secret","grant_type":"password","password":"pw","username":"ops@acme.example"}
	// <nil> 60
}

// The authorization code grant with PKCE: the URL for the browser, the
// redirect checked, the code exchanged with the verifier.
func ExampleAuthorizationURL() {
	s, _ := core.NewSession(core.ProviderOAuthAuthorizationCode, "user-1", core.Config{
		AuthURL: "https://idp.example/authorize", TokenURL: "https://idp.example/token",
		RedirectURI: "https://erp.example/cb", ClientID: "erp", Scope: "gst.read offline_access"})
	authURL, _ := core.AuthorizationURL(s, core.RequestOptions{NowMs: exT0})
	fmt.Println(queryKeys(authURL))

	// The browser comes back to the redirect URI.
	redirect := "https://erp.example/cb?code=c-42&state=" + url.QueryEscape(s.Pending.State)
	ar, err := core.ParseAuthorizationRedirect(s, redirect)
	fmt.Println(ar.Code, err)
	_, err = core.ParseAuthorizationRedirect(s, "https://erp.example/cb?code=c-42&state=forged")
	fmt.Println(gstcrypto.CodeOf(err))

	req, _ := core.BuildRequest(s, &core.Credentials{ClientSecret: "erp-secret", Code: ar.Code, State: ar.State},
		core.RequestOptions{NowMs: exT0 + 30_000, Step: core.StepAuthorizationCode})
	form, _ := url.ParseQuery(req.Body)
	fmt.Println(form.Get("grant_type"), form.Get("code"), len(form.Get("code_verifier")))
	core.ParseResponse(s, &core.HTTPResponse{Status: 200,
		Body: `{"access_token":"at","token_type":"Bearer","expires_in":3600,"refresh_token":"rt"}`}, 0, exT0+30_300)
	p, _ := core.PlanSession(s, exT0+30_300)
	fmt.Println(p.Action, s.RefreshToken)
	// Output:
	// https://idp.example/authorize client_id,code_challenge,code_challenge_method,redirect_uri,response_type,scope,state
	// c-42 <nil>
	// invalid_input
	// authorization_code c-42 43
	// use rt
}

// WhiteBIT: camelCase clientId, a data-wrapped 300 s token refreshed 60 s
// before its end at /oauth2/refresh_token.
func ExampleBuildRequest_whiteBIT() {
	s, _ := core.NewSession(core.ProviderWhiteBIT, "wb-user", core.Config{ClientID: "wb-client"})
	login, _ := core.AuthorizationURL(s, core.RequestOptions{NowMs: exT0})
	fmt.Println(queryKeys(login))

	creds := &core.Credentials{ClientSecret: "wb-secret", Code: "wb-code", State: s.Pending.State}
	req, _ := core.BuildRequest(s, creds, core.RequestOptions{NowMs: exT0, Step: core.StepAuthorizationCode})
	fmt.Println(req.URL, req.Body)
	core.ParseResponse(s, &core.HTTPResponse{Status: 200, Body: `{"data":{"access_token":"wb-at","expires_in":300,` +
		`"refresh_token":"wb-rt","scope":"general","token_type":"Bearer"}}`}, 0, exT0+200)
	p, _ := core.PlanSession(s, exT0+240_000)
	req, _ = core.BuildRequest(s, &core.Credentials{ClientSecret: "wb-secret"}, core.RequestOptions{NowMs: exT0 + 240_000})
	fmt.Println(p.Action, (p.RefreshAtMs-exT0)/1000, req.URL, req.Body)
	// Output:
	// https://whitebit.com/auth/login clientId,state
	// https://whitebit.com/oauth2/token client_id=wb-client&client_secret=wb-secret&code=wb-code
	// refresh 240 https://whitebit.com/oauth2/refresh_token client_id=wb-client&client_secret=wb-secret&token=wb-rt
}

// WhiteBIT's Fast API Key flow: PKCE, a 4-hour token, no refresh — the plan
// names when a person must consent again.
func ExampleBuildRequest_whiteBITFastKey() {
	s, _ := core.NewSession(core.ProviderWhiteBITFastKey, "wb-user", core.Config{ClientID: "wb-partner",
		RedirectURI: "https://partner.example/wb/callback"})
	login, _ := core.AuthorizationURL(s, core.RequestOptions{NowMs: exT0})
	fmt.Println(queryKeys(login))
	creds := &core.Credentials{ClientSecret: "wb-secret", Code: "wb-code", State: s.Pending.State}
	req, _ := core.BuildRequest(s, creds, core.RequestOptions{NowMs: exT0, Step: core.StepAuthorizationCode})
	form, _ := url.ParseQuery(req.Body)
	fmt.Println(form.Get("redirect_uri"), len(form.Get("code_verifier")))
	core.ParseResponse(s, &core.HTTPResponse{Status: 200,
		Body: `{"data":{"access_token":"fast","expires_in":14400,"token_type":"Bearer"}}`}, 0, exT0+200)
	p, _ := core.PlanSession(s, exT0+4*exHour-10*exMinute)
	fmt.Println(p.Action, p.Reason, (p.UserActionAtMs-exT0)/1000)
	// Output:
	// https://whitebit.com/auth/login clientId,code_challenge,code_challenge_method,redirect_uri,state
	// https://partner.example/wb/callback 43
	// use no_refresh 14390
}

func ExampleBuildWhiteBITRequest() {
	s, _ := core.NewSession(core.ProviderWhiteBIT, "wb-user", core.Config{})
	params := map[string]json.RawMessage{"ticker": json.RawMessage(`"BTC"`)}
	for i := 0; i < 2; i++ {
		// Two requests in the same millisecond: the nonce still grows.
		req, _ := core.BuildWhiteBITRequest(s, exT0, "test-api-key", "test-api-secret", "/api/v4/trade-account/balance", params)
		fmt.Println(req.URL, req.Body)
	}
	// Output:
	// https://whitebit.com/api/v4/trade-account/balance {"request":"/api/v4/trade-account/balance","nonce":1767225600000,"ticker":"BTC"}
	// https://whitebit.com/api/v4/trade-account/balance {"request":"/api/v4/trade-account/balance","nonce":1767225600001,"ticker":"BTC"}
}

// Two overlapping client certificates: the new one is presented from its
// effective_from on.
func ExampleSelectCertificate() {
	certs := []core.ClientCertificate{
		{ID: "2025", X5tS256: strings.Repeat("o", 43), EffectiveFromMs: exT0 - 365*24*exHour, NotAfterMs: exT0 + 30*24*exHour},
		{ID: "2026", X5tS256: strings.Repeat("n", 43), EffectiveFromMs: exT0 + 24*exHour},
	}
	for _, at := range []int64{exT0, exT0 + 24*exHour - 1, exT0 + 24*exHour} {
		c, _ := core.SelectCertificate(certs, at)
		fmt.Println(c.ID)
	}
	// Output:
	// 2025
	// 2025
	// 2026
}
