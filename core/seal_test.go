package core

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/gstauth/gstauth/gstcrypto"
)

func sealTestSession(t testing.TB) *Session {
	s := tokenSession(ProviderGSTN, 6*hour)
	s.Account = testGSTIN + "/taxpayer1"
	s.SEK, s.AppKey = bytes.Repeat([]byte{7}, 32), bytes.Repeat([]byte{9}, 32)
	s.Config = Config{GSTIN: testGSTIN, Username: "taxpayer1", AccessWindowMs: 30 * day}
	s.AccessWindowEndsAtMs = t0 + 30*day
	s.Info = map[string]string{"note": "x"}
	return s
}

var (
	keyOld = SealKey{ID: "2025-key", Key: bytes.Repeat([]byte{1}, 32)}
	keyNew = SealKey{ID: "2026-key", Key: bytes.Repeat([]byte{2}, 32)}
)

func TestSealRoundTripAndRotation(t *testing.T) {
	s := sealTestSession(t)
	old, err := SealSession(s, keyOld, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(old, "gstauth-session.v1.2025-key.gstn.MjdBQUFDUjUwNTVLMVo3L3RheHBheWVyMQ.") {
		t.Fatalf("header %.80s", old)
	}
	if strings.Contains(old, "tok") {
		t.Fatal("the token shows in the sealed blob")
	}
	keyring := []SealKey{keyNew, keyOld}
	for _, tc := range []struct {
		name     string
		provider Provider
		account  string
	}{{"expected provider and account", ProviderGSTN, s.Account}, {"whatever the header says", "", ""}} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := OpenSession(old, keyring, tc.provider, tc.account)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(s, got); d != "" {
				t.Fatalf("(-sealed +opened):\n%s", d)
			}
		})
	}
	// Re-seal under the new key; the old key can go.
	fresh, _ := SealSession(s, keyNew, nil)
	if _, err := OpenSession(fresh, []SealKey{keyNew}, ProviderGSTN, s.Account); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenSession(old, []SealKey{keyNew}, ProviderGSTN, s.Account); gstcrypto.CodeOf(err) != gstcrypto.CodeInvalidKey {
		t.Fatalf("an old blob without its key: %v", err)
	}
	h, err := ReadSealedHeader(fresh)
	if err != nil || h != (SealedHeader{KeyID: "2026-key", Provider: ProviderGSTN, Account: s.Account}) {
		t.Fatalf("%+v %v", h, err)
	}
	again, _ := SealSession(s, keyNew, nil)
	if again == fresh {
		t.Fatal("two seals share a nonce")
	}
}

func TestOpenSessionFailures(t *testing.T) {
	s := sealTestSession(t)
	sealed, _ := SealSession(s, keyOld, nil)
	header := sealed[:strings.LastIndex(sealed, ".")+1]
	box := sealed[len(header):]
	other := tokenSession(ProviderNICEInvoice, hour)
	otherSealed, _ := SealSession(other, keyOld, nil)
	otherBox := otherSealed[strings.LastIndex(otherSealed, ".")+1:]
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	wrongKey := SealKey{ID: keyOld.ID, Key: bytes.Repeat([]byte{3}, 32)}
	tests := []struct {
		name     string
		sealed   string
		keys     []SealKey
		provider Provider
		account  string
		code     Code
	}{
		{"other provider expected", sealed, []SealKey{keyOld}, ProviderNICEInvoice, s.Account, gstcrypto.CodeDecryptFailed},
		{"other account expected", sealed, []SealKey{keyOld}, ProviderGSTN, "29AAFCD5862R000/x", gstcrypto.CodeDecryptFailed},
		{"header re-targeted to another provider", strings.Replace(sealed, ".gstn.", ".nic_einvoice.", 1), []SealKey{keyOld}, "", "", gstcrypto.CodeDecryptFailed},
		{"header re-targeted to another account", sealHeader(keyOld.ID, ProviderGSTN, "27AAACR5055K1Z7/other") + box, []SealKey{keyOld}, "", "", gstcrypto.CodeDecryptFailed},
		{"box of another session", header + otherBox, []SealKey{keyOld}, "", "", gstcrypto.CodeDecryptFailed},
		{"wrong key under the right id", sealed, []SealKey{wrongKey}, "", "", gstcrypto.CodeDecryptFailed},
		{"unknown key id", sealed, []SealKey{keyNew}, "", "", gstcrypto.CodeInvalidKey},
		{"empty keyring", sealed, nil, "", "", gstcrypto.CodeInvalidKey},
		{"bad key in the keyring", sealed, []SealKey{keyOld, {ID: "k", Key: make([]byte, 16)}}, "", "", gstcrypto.CodeInvalidKey},
		{"bad key id in the keyring", sealed, []SealKey{keyOld, {ID: "a.b", Key: make([]byte, 32)}}, "", "", gstcrypto.CodeInvalidKey},
		{"version 2", strings.Replace(sealed, ".v1.", ".v2.", 1), []SealKey{keyOld}, "", "", gstcrypto.CodeDecryptFailed},
		{"not a sealed session", "hello", []SealKey{keyOld}, "", "", gstcrypto.CodeDecryptFailed},
		{"empty", "", []SealKey{keyOld}, "", "", gstcrypto.CodeDecryptFailed},
		{"padding added to the box", sealed + "=", []SealKey{keyOld}, "", "", gstcrypto.CodeDecryptFailed},
		{"extra field", header + "x." + box, []SealKey{keyOld}, "", "", gstcrypto.CodeDecryptFailed},
		{"too many keys", sealed, make([]SealKey, MaxSealKeys+1), "", "", gstcrypto.CodeTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := OpenSession(tc.sealed, tc.keys, tc.provider, tc.account)
			mustCode(t, err, tc.code, "")
		})
	}
	// Every truncation and every one-character change of the box fails
	// with the one decryption error.
	for i := len(header); i < len(sealed); i++ {
		for _, bad := range []string{sealed[:i], flip(sealed, i)} {
			if _, err := OpenSession(bad, []SealKey{keyOld}, "", ""); gstcrypto.CodeOf(err) != gstcrypto.CodeDecryptFailed || err.Error() != gstcrypto.NewDecryptError().Error() {
				t.Fatalf("at %d: %v", i, err)
			}
		}
	}
	// In the header too, except where the change makes another valid key
	// id (then the key is missing: invalid_key).
	for i := 0; i < len(header); i++ {
		_, err := OpenSession(flip(sealed, i), []SealKey{keyOld}, "", "")
		inKeyID := i >= len("gstauth-session.v1.") && i < len("gstauth-session.v1.2025-key")
		if c := gstcrypto.CodeOf(err); c != gstcrypto.CodeDecryptFailed && !(inKeyID && c == gstcrypto.CodeInvalidKey) {
			t.Fatalf("header byte %d: %v", i, err)
		}
	}
}

func TestSealSessionChecks(t *testing.T) {
	s := sealTestSession(t)
	for _, k := range []SealKey{{ID: "", Key: keyOld.Key}, {ID: "k", Key: keyOld.Key[:31]}, {ID: strings.Repeat("k", 65), Key: keyOld.Key}} {
		if _, err := SealSession(s, k, nil); gstcrypto.CodeOf(err) != gstcrypto.CodeInvalidKey {
			t.Errorf("key %q/%d: %v", k.ID, len(k.Key), err)
		}
	}
	if _, err := SealSession(&Session{Version: 7}, keyOld, nil); gstcrypto.CodeOf(err) != gstcrypto.CodeInvalidInput {
		t.Errorf("invalid session: %v", err)
	}
	if _, err := SealSession(s, keyOld, strings.NewReader("short")); gstcrypto.CodeOf(err) != gstcrypto.CodeInternal {
		t.Errorf("failing random source: %v", err)
	}
}

// FuzzOpenSession: no blob makes OpenSession panic, and whatever opens
// is a valid session of the provider and account its header names.
func FuzzOpenSession(f *testing.F) {
	s := sealTestSession(f)
	sealed, _ := SealSession(s, keyOld, nil)
	f.Add(sealed)
	f.Add(sealed[:len(sealed)/2])
	f.Add("gstauth-session.v1.2025-key.gstn..")
	f.Add("gstauth-session.v1.2025-key.gstn.." + strings.Repeat("A", 60))
	f.Fuzz(func(t *testing.T, blob string) {
		got, err := OpenSession(blob, []SealKey{keyOld, keyNew}, "", "")
		if err != nil {
			if c := gstcrypto.CodeOf(err); c != gstcrypto.CodeDecryptFailed && c != gstcrypto.CodeInvalidKey && c != gstcrypto.CodeTooLarge && c != gstcrypto.CodeInvalidInput {
				t.Fatalf("code %s", c)
			}
			return
		}
		h, err := ReadSealedHeader(blob)
		if err != nil || got.Validate() != nil || got.Provider != h.Provider || got.Account != h.Account {
			t.Fatalf("opened an inconsistent session: %+v %v", h, err)
		}
	})
}
