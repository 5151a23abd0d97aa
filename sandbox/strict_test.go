package sandbox

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
)

// The emulator is as strict as the real services and no stricter. Each test
// here names one rule; each would fail on the emulator before the rule.

const otherGSTIN = "29AABCU9603R1ZJ" // another state (29), for the checks on agreement

// TestGSTNLoginWithTheFiveDocumentedHeaders: Risersoft and Vayana send only
// clientid, client-secret, state-cd, ip-usr and txn to authenticate; the
// emulator takes the user from the body and the state from state-cd. The
// returns call that follows carries gstin and username, and names the
// session's GSTIN. (Before: AUTH4041, the emulator required a gstin header.)
func TestGSTNLoginWithTheFiveDocumentedHeaders(t *testing.T) {
	g := newRig(t, Options{TokenLifetime: time.Hour})
	five := gstnHeaders("27")
	if len(five) != 5 {
		t.Fatalf("%d headers", len(five))
	}
	l := g.gstnLogin(five, 32)
	saved, ok := g.gstnSave(gstnHeaders("27", "gstin", gstin, "username", Username), l, map[string]any{"gstin": gstin, "fp": "042026"})
	if !ok || saved["status"] != "saved" {
		t.Fatalf("RETSAVE: %v", saved)
	}
	l2, m := g.gstnRefresh(gstnHeaders("27"), l, 32)
	if l2.token == "" || l2.token == l.token {
		t.Fatalf("REFRESHTOKEN with five headers: %v", m)
	}
	// The refreshed token keeps the GSTIN the first returns call named.
	if m, _ := g.gstnSave(gstnHeaders("27", "gstin", "27AAACR5055K1Z8", "username", Username), l2, map[string]any{}); errorCodeOf(t, m) != "AUTH4033" {
		t.Fatalf("another GSTIN on the refreshed token: %v", m)
	}
	if st := g.srv.Stats(); len(st) != 1 || st[0].GSTIN != gstin || st[0].Session != "gstn/27/"+Username {
		t.Fatalf("stats %+v", st)
	}
}

// TestGSTNOptionalHeadersMustAgree: gstin and username headers are optional
// on authenticate, but when sent they must agree with state-cd and the
// body; returns calls need them.
func TestGSTNOptionalHeadersMustAgree(t *testing.T) {
	g := newRig(t, Options{})
	l := g.gstnLogin(gstnHeaders("27", "gstin", gstin, "username", Username), 16)
	otp := func(h map[string]string) map[string]any {
		_, m := g.call("POST", "/taxpayerapi/v1.0/authenticate", h, map[string]string{"action": "OTPREQUEST",
			"app_key": g.rsa(g.gstnPub, randomBytes(32)), "username": Username})
		return m
	}
	for _, tc := range []struct {
		name string
		h    map[string]string
		want string
	}{
		{"username header names another user", gstnHeaders("27", "username", "someone_else"), "AUTH4032"},
		{"gstin header of another state", gstnHeaders("27", "gstin", otherGSTIN), "AUTH4041"},
		{"gstin header not a GSTIN", gstnHeaders("27", "gstin", "27-NOT-A-GSTIN"), "AUTH4041"},
		{"state-cd not a state", gstnHeaders("00"), "AUTH4041"},
		{"no state-cd", func() map[string]string { h := gstnHeaders("27"); delete(h, "state-cd"); return h }(), "RET11400"},
		{"no txn", func() map[string]string { h := gstnHeaders("27"); delete(h, "txn"); return h }(), "RET11400"},
		{"wrong client secret", gstnHeaders("27", "client-secret", "nope"), "AUT4033"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := errorCodeOf(t, otp(tc.h)); got != tc.want {
				t.Fatalf("got %q, want %s", got, tc.want)
			}
		})
	}
	t.Run("both optional headers, agreeing", func(t *testing.T) {
		if m := otp(gstnHeaders("27", "gstin", gstin, "username", Username)); m["status_cd"] != "1" {
			t.Fatalf("%v", m)
		}
	})
	for _, tc := range []struct {
		name string
		h    map[string]string
		want string
	}{
		{"returns call without gstin", gstnHeaders("27", "username", Username), "RET11400"},
		{"returns call without username", gstnHeaders("27", "gstin", gstin), "RET11400"},
		{"returns call for another GSTIN", gstnHeaders("27", "gstin", "27AAACR5055K1Z8", "username", Username), "AUTH4033"},
		{"returns call for another user", gstnHeaders("27", "gstin", gstin, "username", "someone_else"), "AUTH4033"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, _ := g.gstnSave(tc.h, l, map[string]any{"gstin": gstin})
			if got := errorCodeOf(t, m); got != tc.want {
				t.Fatalf("got %q, want %s: %v", got, tc.want, m)
			}
		})
	}
}

// TestAppKeysOfEveryAESSize: the servers use an app key at whatever AES
// size it decodes to. india-compliance's e-way bill app key is 32 hex
// characters, read as base64: 24 bytes. (Before: only 32-byte keys.)
func TestAppKeysOfEveryAESSize(t *testing.T) {
	g := newRig(t, Options{EWBAuthLimit: -1})
	for _, n := range []int{16, 24, 32} {
		t.Run("GSTN "+itoa(int64(n))+"-byte app key, then a refresh to a 24-byte one", func(t *testing.T) {
			l := g.gstnLogin(gstnHeaders("27"), n)
			if len(l.ek) != 32 {
				t.Fatalf("EK of %d bytes", len(l.ek))
			}
			l2, m := g.gstnRefresh(gstnHeaders("27"), l, 24)
			if l2.token == "" {
				t.Fatalf("%v", m)
			}
			if out, ok := g.gstnSave(gstnHeaders("27", "gstin", gstin, "username", Username), l2, map[string]any{"n": n}); !ok {
				t.Fatalf("%v", out)
			}
		})
		t.Run("e-invoice "+itoa(int64(n))+"-byte AppKey", func(t *testing.T) {
			l, m := g.einvAuth(gstin, n, false)
			if l.token == "" {
				t.Fatalf("%v", m)
			}
			if m, out := g.generateIRN(einvHeaders(gstin), l, testEInvoice(gstin, "K"+itoa(int64(n)))); out == nil {
				t.Fatalf("%v", m)
			}
		})
		t.Run("e-way bill "+itoa(int64(n))+"-byte app_key", func(t *testing.T) {
			l, m := g.ewbAuth(gstin, b64(randomBytes(n)))
			if l.token == "" {
				t.Fatalf("%v", m)
			}
		})
	}
	t.Run("e-way bill app_key as india-compliance sends it: 32 hex characters", func(t *testing.T) {
		appKey := hex.EncodeToString(randomBytes(16))
		if len(appKey) != 32 || len(unb64(t, appKey)) != 24 {
			t.Fatal("not the 24-byte form")
		}
		l, m := g.ewbAuth(gstin, appKey)
		if l.token == "" {
			t.Fatalf("%v", m)
		}
		if m, out := g.generateEWB(ewbHeaders(gstin), l, []byte(`{"docNo":"HEX/1"}`)); out["ewayBillNo"] == nil {
			t.Fatalf("%v", m)
		}
	})
	t.Run("a key of no AES size is refused by each API", func(t *testing.T) {
		_, m := g.call("POST", "/taxpayerapi/v1.0/authenticate", gstnHeaders("27"), map[string]string{"action": "OTPREQUEST",
			"app_key": g.rsa(g.gstnPub, randomBytes(20)), "username": Username})
		if errorCodeOf(t, m) != "TEC4002" {
			t.Fatalf("GSTN: %v", m)
		}
		if _, m := g.einvAuth(gstin, 20, false); errorCodeOf(t, m) != "1016" {
			t.Fatalf("e-invoice: %v", m)
		}
		if _, m := g.ewbAuth(gstin, b64(randomBytes(20))); errorCodeOf(t, m) != "109" {
			t.Fatalf("e-way bill: %v", m)
		}
	})
}

// TestNICCodesForEachSituation: each situation the emulator can tell apart
// gets the code NIC's lists give it. (Before: e-way bill 105 for a bad
// client, 108 for every auth failure, 5002 for payloads; e-invoice 1016 for
// a malformed payload, 1005 for another GSTIN, no 1006/1011/1012/1015.)
func TestNICCodesForEachSituation(t *testing.T) {
	g := newRig(t, Options{EWBAuthLimit: -1})
	einv, _ := g.einvAuth(gstin, 32, false)
	ewb, _ := g.ewbAuth(gstin, b64(randomBytes(32)))
	without := func(h map[string]string, k string) map[string]string { delete(h, k); return h }
	einvAuth := func(h map[string]string, payload any) map[string]any {
		_, m := g.call("POST", "/eivital/v1.04/auth", h, g.authData(payload))
		return m
	}
	ewbAuth := func(h map[string]string, payload any) map[string]any {
		_, m := g.call("POST", "/auth/", h, g.authData(payload))
		return m
	}
	good := map[string]any{"UserName": Username, "Password": Password, "AppKey": b64(randomBytes(32))}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for a, b := range good {
			m[a] = b
		}
		m[k] = v
		return m
	}
	goodEWB := map[string]string{"action": "ACCESSTOKEN", "username": Username, "password": Password, "app_key": b64(randomBytes(32))}
	withEWB := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range goodEWB {
			m[a] = b
		}
		m[k] = v
		return m
	}
	irn := func(h map[string]string) map[string]any {
		m, _ := g.generateIRN(h, einv, testEInvoice(gstin, "C/"+b64(randomBytes(3))))
		return m
	}
	gen := func(h map[string]string, data []byte) map[string]any {
		m, _ := g.generateEWB(h, ewb, data)
		return m
	}
	notRSA := map[string]string{"Data": b64(randomBytes(256))}
	notB64 := map[string]string{"Data": g.rsa(g.nicPub, []byte("{not base64}"))}
	for _, tc := range []struct {
		name string
		got  func() map[string]any
		want string
	}{
		{"e-invoice auth: no client_id", func() map[string]any { return einvAuth(without(einvHeaders(gstin), "client_id"), good) }, "1011"},
		{"e-invoice auth: no client_secret", func() map[string]any { return einvAuth(without(einvHeaders(gstin), "client_secret"), good) }, "1012"},
		{"e-invoice auth: wrong client_secret", func() map[string]any { return einvAuth(einvHeaders(gstin, "client_secret", "x"), good) }, "1010"},
		{"e-invoice auth: no Gstin", func() map[string]any { return einvAuth(without(einvHeaders(gstin), "Gstin"), good) }, "1004"},
		{"e-invoice auth: Data not for the NIC key", func() map[string]any {
			_, m := g.call("POST", "/eivital/v1.04/auth", einvHeaders(gstin), notRSA)
			return m
		}, "1016"},
		{"e-invoice auth: payload not base64 JSON", func() map[string]any {
			_, m := g.call("POST", "/eivital/v1.04/auth", einvHeaders(gstin), notB64)
			return m
		}, "1007"},
		{"e-invoice auth: no UserName", func() map[string]any { return einvAuth(einvHeaders(gstin), with("UserName", "")) }, "1006"},
		{"e-invoice auth: AppKey not base64", func() map[string]any { return einvAuth(einvHeaders(gstin), with("AppKey", "%%%")) }, "1016"},
		{"e-invoice auth: unknown user", func() map[string]any { return einvAuth(einvHeaders(gstin), with("UserName", "nobody")) }, "1017"},
		{"e-invoice auth: wrong password", func() map[string]any { return einvAuth(einvHeaders(gstin), with("Password", "x")) }, "1019"},
		{"Generate IRN: no user_name header", func() map[string]any { return irn(einvHeaders(gstin, "user_name", "")) }, "1006"},
		{"Generate IRN: user_name of another user", func() map[string]any { return irn(einvHeaders(gstin, "user_name", "nobody")) }, "1005"},
		{"Generate IRN: token sent with another Gstin", func() map[string]any { return irn(einvHeaders(otherGSTIN)) }, "1015"},
		{"Generate IRN: unknown token", func() map[string]any {
			m, _ := g.generateIRN(einvHeaders(gstin), nicLogin{token: "nope", sek: einv.sek}, testEInvoice(gstin, "U/1"))
			return m
		}, "1005"},
		{"e-way bill auth: no gstin", func() map[string]any { return ewbAuth(without(ewbHeaders(gstin), "gstin"), goodEWB) }, "393"},
		{"e-way bill auth: wrong client-secret", func() map[string]any { return ewbAuth(ewbHeaders(gstin, "client-secret", "x"), goodEWB) }, "110"},
		{"e-way bill auth: Data not for the NIC key", func() map[string]any {
			_, m := g.call("POST", "/auth/", ewbHeaders(gstin), notRSA)
			return m
		}, "109"},
		{"e-way bill auth: payload not base64 JSON", func() map[string]any {
			_, m := g.call("POST", "/auth/", ewbHeaders(gstin), notB64)
			return m
		}, "100"},
		{"e-way bill auth: action not ACCESSTOKEN", func() map[string]any { return ewbAuth(ewbHeaders(gstin), withEWB("action", "AUTH")) }, "239"},
		{"e-way bill auth: unknown user", func() map[string]any { return ewbAuth(ewbHeaders(gstin), withEWB("username", "nobody")) }, "108"},
		{"e-way bill auth: wrong password", func() map[string]any { return ewbAuth(ewbHeaders(gstin), withEWB("password", "x")) }, "108"},
		{"GENEWAYBILL: wrong client-secret", func() map[string]any { return gen(ewbHeaders(gstin, "client-secret", "x"), []byte(`{}`)) }, "237"},
		{"GENEWAYBILL: no gstin", func() map[string]any { return gen(without(ewbHeaders(gstin), "gstin"), []byte(`{}`)) }, "393"},
		{"GENEWAYBILL: token sent with another gstin", func() map[string]any { return gen(ewbHeaders(otherGSTIN), []byte(`{}`)) }, "238"},
		{"GENEWAYBILL: data not under the SEK", func() map[string]any {
			h := ewbHeaders(gstin, "authtoken", ewb.token)
			_, m := g.call("POST", "/ewayapi/", h, map[string]string{"action": "GENEWAYBILL", "data": b64(randomBytes(32))})
			return m
		}, "109"},
		{"GENEWAYBILL: the GSTN convention (base64 text inside)", func() map[string]any {
			return gen(ewbHeaders(gstin), []byte(b64([]byte(`{"docNo":"1"}`))))
		}, "100"},
		{"GENEWAYBILL: another action", func() map[string]any {
			h := ewbHeaders(gstin, "authtoken", ewb.token)
			_, m := g.call("POST", "/ewayapi/", h, map[string]string{"action": "CANEWB", "data": b64(ecbEncrypt(ewb.sek, []byte(`{}`)))})
			return m
		}, "239"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := tc.got()
			if got := errorCodeOf(t, m); got != tc.want {
				t.Fatalf("got %q, want %s: %v", got, tc.want, m)
			}
		})
	}
}

// TestExpiredTokens: the code each service answers to a token past its
// expiry. e-way bill answers 238 (see EWBTokenCodes for why), or 106 when
// asked to; e-invoice 1005; GSTN AUTH4038.
func TestExpiredTokens(t *testing.T) {
	for _, tc := range []struct {
		name             string
		codes            EWBTokenCodes
		unknown, expired string
	}{
		{"default", EWBTokenCodes238, "238", "238"},
		{"105 and 106", EWBTokenCodes105106, "105", "106"},
	} {
		t.Run("e-way bill, "+tc.name, func(t *testing.T) {
			g := newRig(t, Options{TokenLifetime: time.Hour, EWBTokenCodes: tc.codes})
			l, _ := g.ewbAuth(gstin, b64(randomBytes(32)))
			if m, _ := g.generateEWB(ewbHeaders(gstin), nicLogin{token: "unknown", sek: l.sek}, []byte(`{}`)); errorCodeOf(t, m) != tc.unknown {
				t.Fatalf("unknown token: %v", m)
			}
			g.advance(time.Hour - time.Millisecond)
			if m, out := g.generateEWB(ewbHeaders(gstin), l, []byte(`{"docNo":"E/1"}`)); out == nil {
				t.Fatalf("1 ms before expiry: %v", m)
			}
			g.advance(time.Millisecond)
			if m, _ := g.generateEWB(ewbHeaders(gstin), l, []byte(`{}`)); errorCodeOf(t, m) != tc.expired {
				t.Fatalf("at expiry: %v", m)
			}
		})
	}
	t.Run("e-invoice", func(t *testing.T) {
		g := newRig(t, Options{TokenLifetime: time.Hour})
		l, _ := g.einvAuth(gstin, 32, false)
		g.advance(time.Hour)
		if m, _ := g.generateIRN(einvHeaders(gstin), l, testEInvoice(gstin, "X/1")); errorCodeOf(t, m) != "1005" {
			t.Fatalf("%v", m)
		}
	})
	t.Run("GSTN", func(t *testing.T) {
		g := newRig(t, Options{TokenLifetime: time.Hour})
		l := g.gstnLogin(gstnHeaders("27"), 32)
		g.advance(time.Hour)
		if m, _ := g.gstnSave(gstnHeaders("27", "gstin", gstin, "username", Username), l, map[string]any{}); errorCodeOf(t, m) != "AUTH4038" {
			t.Fatalf("%v", m)
		}
	})
}

// TestEWayBillAuthLimit: NIC allows 5 ACCESSTOKEN requests per 15 minutes;
// the sixth is 118 until 15 minutes after the first.
func TestEWayBillAuthLimit(t *testing.T) {
	g := newRig(t, Options{})
	for i := 1; i <= 5; i++ {
		if l, m := g.ewbAuth(gstin, b64(randomBytes(32))); l.token == "" {
			t.Fatalf("request %d: %v", i, m)
		}
	}
	if _, m := g.ewbAuth(gstin, b64(randomBytes(32))); errorCodeOf(t, m) != "118" {
		t.Fatalf("6th request: %v", m)
	}
	if l, m := g.ewbAuth(otherGSTIN, b64(randomBytes(32))); l.token == "" {
		t.Fatalf("another GSTIN has its own count: %v", m)
	}
	g.advance(15*time.Minute - time.Millisecond)
	if _, m := g.ewbAuth(gstin, b64(randomBytes(32))); errorCodeOf(t, m) != "118" {
		t.Fatalf("1 ms before the window ends: %v", m)
	}
	g.advance(time.Millisecond)
	if l, m := g.ewbAuth(gstin, b64(randomBytes(32))); l.token == "" {
		t.Fatalf("after the window: %v", m)
	}
	unlimited := newRig(t, Options{EWBAuthLimit: -1})
	for i := 1; i <= 8; i++ {
		if l, m := unlimited.ewbAuth(gstin, b64(randomBytes(32))); l.token == "" {
			t.Fatalf("no limit, request %d: %v", i, m)
		}
	}
}

// TestStatusFieldTypes: GSTN status_cd is the string "1"/"0", e-invoice
// Status the number 1/0, e-way bill status the string "1"/"0", on success
// and on failure, as each service sends them.
func TestStatusFieldTypes(t *testing.T) {
	g := newRig(t, Options{})
	status := func(raw, field string) string {
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(raw), &m); err != nil {
			t.Fatal(err)
		}
		return string(m[field])
	}
	appKey := g.rsa(g.gstnPub, randomBytes(32))
	ok, _ := g.call("POST", "/taxpayerapi/v1.0/authenticate", gstnHeaders("27"), map[string]string{"action": "OTPREQUEST", "app_key": appKey, "username": Username})
	bad, _ := g.call("POST", "/taxpayerapi/v1.0/authenticate", gstnHeaders("27"), map[string]string{"action": "NOPE", "app_key": appKey, "username": Username})
	einvOK, _ := g.call("POST", "/eivital/v1.04/auth", einvHeaders(gstin), g.authData(map[string]any{"UserName": Username, "Password": Password, "AppKey": b64(randomBytes(32))}))
	einvBad, _ := g.call("POST", "/eivital/v1.04/auth", einvHeaders(gstin), g.authData(map[string]any{"UserName": Username, "Password": "x", "AppKey": b64(randomBytes(32))}))
	ewbOK, _ := g.call("POST", "/auth/", ewbHeaders(gstin), g.authData(map[string]string{"action": "ACCESSTOKEN", "username": Username, "password": Password, "app_key": b64(randomBytes(32))}))
	ewbBad, _ := g.call("POST", "/auth/", ewbHeaders(gstin), g.authData(map[string]string{"action": "ACCESSTOKEN", "username": Username, "password": "x", "app_key": b64(randomBytes(32))}))
	for _, tc := range []struct{ name, got, want string }{
		{"GSTN success", status(ok, "status_cd"), `"1"`},
		{"GSTN failure", status(bad, "status_cd"), `"0"`},
		{"e-invoice success", status(einvOK, "Status"), `1`},
		{"e-invoice failure", status(einvBad, "Status"), `0`},
		{"e-way bill success", status(ewbOK, "status"), `"1"`},
		{"e-way bill failure", status(ewbBad, "status"), `"0"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Fatalf("got %s, want %s", tc.got, tc.want)
			}
		})
	}
}

// TestDocsNameEveryCode: docs/sandbox.md lists every code the emulator can
// answer, and GET /_sandbox/codes serves the same list.
func TestDocsNameEveryCode(t *testing.T) {
	doc, err := os.ReadFile("../docs/sandbox.md")
	if err != nil {
		t.Fatal(err)
	}
	g := newRig(t, Options{})
	_, m := g.call("GET", "/_sandbox/codes", nil, nil)
	served := m["codes"].([]any)
	if len(served) != len(Codes()) || len(served) < 40 {
		t.Fatalf("served %d codes, the catalogue has %d", len(served), len(Codes()))
	}
	for _, c := range Codes() {
		if !strings.Contains(string(doc), "`"+c.Code+"`") {
			t.Errorf("docs/sandbox.md does not name %s code `%s` (%s)", c.API, c.Code, c.Message)
		}
	}
}
