package sandbox

import (
	"bytes"
	"crypto/aes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A client written from the public protocol texts with the standard library
// only (no core, no gstcrypto), so that the emulator's rules are tested
// against the documents rather than against gstauth's reading of them.

// rig is one emulator with a settable clock and the raw client's state.
type rig struct {
	t       *testing.T
	srv     *Server
	base    string
	clk     *clock
	gstnPub *rsa.PublicKey
	nicPub  *rsa.PublicKey
}

func newRig(t *testing.T, opts Options) *rig {
	t.Helper()
	srv, base, clk := start(t, opts)
	gstn, nic, _ := srv.Certificates()
	return &rig{t: t, srv: srv, base: base, clk: clk, gstnPub: publicKeyOf(t, gstn), nicPub: publicKeyOf(t, nic)}
}

func publicKeyOf(t *testing.T, certPEM []byte) *rsa.PublicKey {
	block, _ := pem.Decode(certPEM)
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c.PublicKey.(*rsa.PublicKey)
}

// call sends one request with exactly these headers and returns the raw
// JSON body and its decoded form.
func (g *rig) call(method, path string, headers map[string]string, body any) (string, map[string]any) {
	g.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, g.base+path, rd)
	if err != nil {
		g.t.Fatal(err)
	}
	for k, v := range headers {
		req.Header[k] = []string{v}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		g.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		g.t.Fatalf("%s %s: %v: %s", method, path, err, raw)
	}
	return string(raw), m
}

// errorCodeOf reads the provider's error code from any of the three
// envelopes ("" when the answer is a success).
func errorCodeOf(t *testing.T, m map[string]any) string {
	t.Helper()
	if e, ok := m["error"].(map[string]any); ok { // GSTN
		return e["error_cd"].(string)
	}
	if d, ok := m["ErrorDetails"].([]any); ok && len(d) > 0 { // e-invoice
		return d[0].(map[string]any)["ErrorCode"].(string)
	}
	if e, ok := m["error"].(string); ok { // e-way bill: b64(json {"errorCodes":"238,"})
		js, err := base64.StdEncoding.DecodeString(e)
		if err != nil {
			t.Fatalf("e-way bill error is not base64: %q", e)
		}
		var codes struct{ ErrorCodes string }
		json.Unmarshal(js, &codes)
		return strings.TrimSuffix(codes.ErrorCodes, ",")
	}
	return ""
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func unb64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("not base64: %q", s)
	}
	return b
}

// ecbEncrypt and ecbDecrypt are AES-ECB with PKCS#7 at any AES key size.
func ecbEncrypt(key, p []byte) []byte {
	block, err := aes.NewCipher(key)
	if err != nil {
		panic(err)
	}
	n := 16 - len(p)%16
	p = append(append([]byte(nil), p...), bytes.Repeat([]byte{byte(n)}, n)...)
	for i := 0; i < len(p); i += 16 {
		block.Encrypt(p[i:i+16], p[i:i+16])
	}
	return p
}

func ecbDecrypt(t *testing.T, key, c []byte) []byte {
	t.Helper()
	block, err := aes.NewCipher(key)
	if err != nil || len(c) == 0 || len(c)%16 != 0 {
		t.Fatalf("cannot decrypt %d bytes under a %d-byte key", len(c), len(key))
	}
	p := make([]byte, len(c))
	for i := 0; i < len(c); i += 16 {
		block.Decrypt(p[i:i+16], c[i:i+16])
	}
	n := int(p[len(p)-1])
	if n < 1 || n > 16 || !bytes.Equal(p[len(p)-n:], bytes.Repeat([]byte{byte(n)}, n)) {
		t.Fatalf("bad padding under a %d-byte key", len(key))
	}
	return p[:len(p)-n]
}

func (g *rig) rsa(pub *rsa.PublicKey, p []byte) string {
	c, err := rsa.EncryptPKCS1v15(rand.Reader, pub, p)
	if err != nil {
		g.t.Fatal(err)
	}
	return b64(c)
}

// GSTN ------------------------------------------------------------------

// gstnHeaders are the five documented headers (Risersoft, Vayana), plus
// extra ones.
func gstnHeaders(stateCd string, extra ...string) map[string]string {
	h := map[string]string{"clientid": ClientID, "client-secret": ClientSecret, "state-cd": stateCd,
		"ip-usr": "10.1.2.3", "txn": "T" + b64(randomBytes(6))}
	for i := 0; i+1 < len(extra); i += 2 {
		h[extra[i]] = extra[i+1]
	}
	return h
}

type gstnLogin struct {
	token string
	ek    []byte
}

// gstnLogin sends OTPREQUEST and AUTHTOKEN with an app key of keyLen bytes
// and the given headers, and returns the token and the decrypted EK.
func (g *rig) gstnLogin(h map[string]string, keyLen int) gstnLogin {
	g.t.Helper()
	key := randomBytes(keyLen)
	appKey := g.rsa(g.gstnPub, key)
	if _, m := g.call("POST", "/taxpayerapi/v1.0/authenticate", h, map[string]string{"action": "OTPREQUEST", "app_key": appKey, "username": Username}); m["status_cd"] != "1" {
		g.t.Fatalf("OTPREQUEST: %v", m)
	}
	_, m := g.call("POST", "/taxpayerapi/v1.0/authenticate", h, map[string]string{"action": "AUTHTOKEN", "app_key": appKey,
		"username": Username, "otp": b64(ecbEncrypt(key, []byte(OTP)))})
	if m["status_cd"] != "1" {
		g.t.Fatalf("AUTHTOKEN: %v", m)
	}
	return gstnLogin{token: m["auth_token"].(string), ek: ecbDecrypt(g.t, key, unb64(g.t, m["sek"].(string)))}
}

// gstnRefresh sends REFRESHTOKEN with a new app key of keyLen bytes under
// the current EK.
func (g *rig) gstnRefresh(h map[string]string, l gstnLogin, keyLen int) (gstnLogin, map[string]any) {
	g.t.Helper()
	key := randomBytes(keyLen)
	_, m := g.call("POST", "/taxpayerapi/v1.0/authenticate", h, map[string]string{"action": "REFRESHTOKEN",
		"app_key": b64(ecbEncrypt(l.ek, key)), "username": Username, "auth_token": l.token})
	if m["status_cd"] != "1" {
		return gstnLogin{}, m
	}
	return gstnLogin{token: m["auth_token"].(string), ek: ecbDecrypt(g.t, key, unb64(g.t, m["sek"].(string)))}, m
}

// gstnSave sends an encrypted RETSAVE; ok reports a success, whose
// response was decrypted under the REK and its HMAC checked.
func (g *rig) gstnSave(h map[string]string, l gstnLogin, payload any) (map[string]any, bool) {
	g.t.Helper()
	js, _ := json.Marshal(payload)
	p := []byte(b64(js))
	mac := hmac.New(sha256.New, l.ek)
	mac.Write(p)
	h["auth-token"], h["ret_period"] = l.token, "042026"
	_, m := g.call("POST", "/taxpayerapi/v1.0/returns/gstr1", h, map[string]string{"action": "RETSAVE",
		"data": b64(ecbEncrypt(l.ek, p)), "hmac": b64(mac.Sum(nil))})
	if m["status_cd"] != "1" {
		return m, false
	}
	rek := ecbDecrypt(g.t, l.ek, unb64(g.t, m["rek"].(string)))
	inner := ecbDecrypt(g.t, rek, unb64(g.t, m["data"].(string)))
	mac = hmac.New(sha256.New, rek)
	mac.Write(inner)
	if b64(mac.Sum(nil)) != m["hmac"] {
		g.t.Fatal("the RETSAVE answer's hmac does not match")
	}
	var out map[string]any
	json.Unmarshal(unb64(g.t, string(inner)), &out)
	return out, true
}

// NIC -------------------------------------------------------------------

func einvHeaders(gstin string, extra ...string) map[string]string {
	h := map[string]string{"client_id": ClientID, "client_secret": ClientSecret, "Gstin": gstin}
	for i := 0; i+1 < len(extra); i += 2 {
		h[extra[i]] = extra[i+1]
	}
	return h
}

func ewbHeaders(gstin string, extra ...string) map[string]string {
	h := map[string]string{"client-id": ClientID, "client-secret": ClientSecret, "gstin": gstin}
	for i := 0; i+1 < len(extra); i += 2 {
		h[extra[i]] = extra[i+1]
	}
	return h
}

// authData is the NIC auth body: {"Data": b64(RSA(b64(json)))}.
func (g *rig) authData(payload any) map[string]string {
	js, _ := json.Marshal(payload)
	return map[string]string{"Data": g.rsa(g.nicPub, []byte(b64(js)))}
}

type nicLogin struct {
	token string
	sek   []byte
}

// einvAuth logs in to e-invoice with an AppKey of keyLen random bytes.
func (g *rig) einvAuth(gstin string, keyLen int, force bool) (nicLogin, map[string]any) {
	g.t.Helper()
	key := randomBytes(keyLen)
	_, m := g.call("POST", "/eivital/v1.04/auth", einvHeaders(gstin), g.authData(map[string]any{"UserName": Username,
		"Password": Password, "AppKey": b64(key), "ForceRefreshAccessToken": force}))
	if m["Status"] != float64(1) {
		return nicLogin{}, m
	}
	d := m["Data"].(map[string]any)
	return nicLogin{token: d["AuthToken"].(string), sek: ecbDecrypt(g.t, key, unb64(g.t, d["Sek"].(string)))}, m
}

// ewbAuth logs in to e-way bill with app_key as given; sekKey is what the
// client decrypts the SEK with (b64decode(app_key), as india-compliance).
func (g *rig) ewbAuth(gstin, appKey string) (nicLogin, map[string]any) {
	g.t.Helper()
	_, m := g.call("POST", "/auth/", ewbHeaders(gstin), g.authData(map[string]string{"action": "ACCESSTOKEN",
		"username": Username, "password": Password, "app_key": appKey}))
	if m["status"] != "1" {
		return nicLogin{}, m
	}
	return nicLogin{token: m["authtoken"].(string), sek: ecbDecrypt(g.t, unb64(g.t, appKey), unb64(g.t, m["sek"].(string)))}, m
}

func testEInvoice(gstin, no string) map[string]any {
	return map[string]any{"Version": "1.1", "DocDtls": map[string]string{"Typ": "INV", "No": no, "Dt": "01/04/2026"},
		"SellerDtls": map[string]string{"Gstin": gstin}, "BuyerDtls": map[string]string{"Gstin": "29AABCU9603R1ZJ"},
		"ItemList": []any{map[string]any{"HsnCd": "1001"}}, "ValDtls": map[string]any{"TotInvVal": 118000}}
}

// generateIRN sends one encrypted Generate IRN and returns the answer and,
// on success, the decrypted Data.
func (g *rig) generateIRN(h map[string]string, l nicLogin, inv any) (map[string]any, map[string]any) {
	g.t.Helper()
	js, _ := json.Marshal(inv)
	h["AuthToken"] = l.token
	if _, ok := h["user_name"]; !ok {
		h["user_name"] = Username
	}
	_, m := g.call("POST", "/eicore/v1.03/Invoice", h, map[string]string{"Data": b64(ecbEncrypt(l.sek, js))})
	if m["Status"] != float64(1) {
		return m, nil
	}
	var out map[string]any
	json.Unmarshal(ecbDecrypt(g.t, l.sek, unb64(g.t, m["Data"].(string))), &out)
	return m, out
}

// generateEWB sends one encrypted GENEWAYBILL.
func (g *rig) generateEWB(h map[string]string, l nicLogin, data []byte) (map[string]any, map[string]any) {
	g.t.Helper()
	h["authtoken"] = l.token
	_, m := g.call("POST", "/ewayapi/", h, map[string]string{"action": "GENEWAYBILL", "data": b64(ecbEncrypt(l.sek, data))})
	if m["status"] != "1" {
		return m, nil
	}
	var out map[string]any
	json.Unmarshal(ecbDecrypt(g.t, l.sek, unb64(g.t, m["data"].(string))), &out)
	return m, out
}

func (g *rig) advance(d time.Duration) { g.clk.add(d) }
