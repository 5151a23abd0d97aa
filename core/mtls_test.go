package core

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/pem"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/gstauth/gstauth/gstcrypto"
)

// rotation is a WhiteBooks-style certificate rotation: "old" effective a
// month before t0 until 60 days after, "new" effective from t0 + 1 day.
func rotation() []ClientCertificate {
	return []ClientCertificate{
		{ID: "old", X5tS256: testX5t('o'), EffectiveFromMs: t0 - 30*day, NotAfterMs: t0 + 60*day},
		{ID: "new", X5tS256: testX5t('n'), EffectiveFromMs: t0 + day, NotAfterMs: t0 + 400*day},
	}
}

func TestSelectCertificate(t *testing.T) {
	certs := rotation()
	tests := []struct {
		name  string
		certs []ClientCertificate
		now   int64
		want  string
		code  Code
	}{
		{"1 ms before old is effective: none", certs, t0 - 30*day - 1, "", gstcrypto.CodeConfigInvalid},
		{"old from its effective_from", certs, t0 - 30*day, "old", ""},
		{"old 1 ms before new is effective", certs, t0 + day - 1, "old", ""},
		{"new from its effective_from", certs, t0 + day, "new", ""},
		{"new 1 ms before it expires", certs, t0 + 400*day - 1, "new", ""},
		{"none once new has expired", certs, t0 + 400*day, "", gstcrypto.CodeConfigInvalid},
		{"a tie goes to the first listed", []ClientCertificate{{ID: "a", X5tS256: testX5t('a'), EffectiveFromMs: t0}, {ID: "b", X5tS256: testX5t('b'), EffectiveFromMs: t0}}, t0, "a", ""},
		{"an expired newer certificate is skipped", []ClientCertificate{{ID: "a", X5tS256: testX5t('a'), EffectiveFromMs: t0},
			{ID: "b", X5tS256: testX5t('b'), EffectiveFromMs: t0 + 1, NotAfterMs: t0 + 2}}, t0 + 2, "a", ""},
		{"a malformed thumbprint", []ClientCertificate{{ID: "a", X5tS256: "abc", EffectiveFromMs: t0}}, t0, "", gstcrypto.CodeConfigInvalid},
		{"a negative instant", []ClientCertificate{{ID: "a", X5tS256: testX5t('a'), EffectiveFromMs: -1}}, t0, "", gstcrypto.CodeConfigInvalid},
		{"no certificates", nil, t0, "", gstcrypto.CodeConfigInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := SelectCertificate(tc.certs, tc.now)
			if tc.code != "" {
				mustCode(t, err, tc.code, "")
				return
			}
			if err != nil || c.ID != tc.want {
				t.Fatalf("%q %v, want %q", c.ID, err, tc.want)
			}
		})
	}
}

// TestMTLSRotationFlow: a token bound to the old certificate is renewed
// exactly when the new one takes over, and the new token is bound to it.
func TestMTLSRotationFlow(t *testing.T) {
	srv := newFakeOAuth(t, "wb-tenant", "wb-secret", "basic")
	certs := rotation()
	var presented string // the certificate the host's TLS stack presents
	srv.accessToken = func(n int) string {
		return testJWT(map[string]any{"sub": "wb-tenant", "cnf": map[string]any{"x5t#S256": presented}})
	}
	s := newCCSession(t, FlavorWhiteBooks, "https://mtls.whitebooks.example/oauth/token", "wb-tenant")
	s.Config.Certificates = certs
	creds := &Credentials{ClientSecret: "wb-secret"}
	send := func(now int64) {
		t.Helper()
		c, err := SelectCertificate(s.Config.Certificates, now)
		if err != nil {
			t.Fatal(err)
		}
		presented = c.X5tS256
		if err := exchange(t, s, creds, "", now, srv.serve); err != nil {
			t.Fatal(err)
		}
	}

	obtained := t0 + day - 30*minute
	send(obtained)
	if !SessionBoundTo(s, testX5t('o')) || SessionBoundTo(s, testX5t('n')) || s.TokenBinding.Source != BindingCnf {
		t.Fatalf("binding %+v", s.TokenBinding)
	}
	// The token would be due at exp − 5 min = t0 + 1 d + 25 min, but the new
	// certificate takes over at t0 + 1 d.
	p := mustPlan(t, s, t0+day-1, ActionUse, ReasonFresh)
	if p.RefreshAtMs != t0+day || p.ExpiresAtMs != obtained+hour {
		t.Fatalf("plan %+v", p)
	}
	mustPlan(t, s, t0+day, ActionRenew, ReasonCertificateRotated)
	send(t0 + day)
	if !SessionBoundTo(s, testX5t('n')) {
		t.Fatalf("the new token is not bound to the new certificate: %v", s.Info)
	}
	mustPlan(t, s, t0+day, ActionUse, ReasonFresh)
	if !TokenBoundTo(s.AccessToken, testX5t('n')) || TokenBoundTo(s.AccessToken, testX5t('o')) || TokenBoundTo("opaque", testX5t('n')) {
		t.Fatal("TokenBoundTo disagrees with the cnf claim")
	}
}

// TestMTLSOpaqueToken: an opaque token obtained with certificates is
// presumed bound to the one presented, so a rotation renews it too.
func TestMTLSOpaqueToken(t *testing.T) {
	srv := newFakeOAuth(t, "c", "s", "basic")
	s := newCCSession(t, "", "https://mtls.idp.example/token", "c")
	s.Config.Certificates = rotation()
	if err := exchange(t, s, &Credentials{ClientSecret: "s"}, "", t0+day-minute, srv.serve); err != nil {
		t.Fatal(err)
	}
	if s.TokenBinding == nil || s.TokenBinding.Source != BindingPresented || !SessionBoundTo(s, testX5t('o')) {
		t.Fatalf("binding %+v", s.TokenBinding)
	}
	mustPlan(t, s, t0+day-1, ActionUse, ReasonFresh)
	mustPlan(t, s, t0+day, ActionRenew, ReasonCertificateRotated)
}

func TestMTLSNoEffectiveCertificate(t *testing.T) {
	s := newCCSession(t, "", "https://mtls.idp.example/token", "c")
	s.Config.Certificates = rotation()
	_, err := BuildRequest(s, &Credentials{ClientSecret: "s"}, RequestOptions{NowMs: t0 - 30*day - 1})
	mustCode(t, err, gstcrypto.CodeConfigInvalid, "")
}

// TestParseClientCertificate: the thumbprint is base64url(SHA-256(DER)) of
// the certificate (RFC 8705 §3.1); the window defaults to the
// certificate's own validity.
func TestParseClientCertificate(t *testing.T) {
	pemText := readTestKey(t, "gstn-test.crt")
	block, _ := pem.Decode([]byte(pemText))
	sum := sha256.Sum256(block.Bytes)
	c, err := ParseClientCertificate("gstn", []byte(pemText), 0)
	if err != nil {
		t.Fatal(err)
	}
	certs, err := gstcrypto.ParseCertificates([]byte(pemText))
	if err != nil {
		t.Fatal(err)
	}
	cert := certs[0]
	want := ClientCertificate{ID: "gstn", X5tS256: base64.RawURLEncoding.EncodeToString(sum[:]),
		EffectiveFromMs: cert.NotBefore.UnixMilli(), NotAfterMs: cert.NotAfter.UnixMilli()}
	if d := cmp.Diff(want, c); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
	if c, _ := ParseClientCertificate("gstn", []byte(pemText), t0); c.EffectiveFromMs != t0 {
		t.Fatalf("effective_from %d", c.EffectiveFromMs)
	}
	two := readTestKey(t, "gstn-test.crt") + readTestKey(t, "nic-test.crt")
	for name, tc := range map[string]struct {
		data string
		from int64
		code Code
	}{
		"two certificates":     {two, 0, gstcrypto.CodeInvalidInput},
		"a key":                {readTestKey(t, "gstn-test.key"), 0, gstcrypto.CodeInvalidKey},
		"garbage":              {"not a certificate", 0, gstcrypto.CodeInvalidKey},
		"negative effect date": {pemText, -1, gstcrypto.CodeInvalidInput},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseClientCertificate("x", []byte(tc.data), tc.from)
			mustCode(t, err, tc.code, "")
		})
	}
}
