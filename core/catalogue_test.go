package core

import (
	"encoding/json"
	"testing"

	"github.com/gstauth/gstauth/gstcrypto"
)

// TestCatalogueClassifiesEveryCode: every code of catalogue.json gets its
// class on an API call and its during_auth class on an authentication
// answer, through the same function the providers use.
func TestCatalogueClassifiesEveryCode(t *testing.T) {
	var f catalogueFile
	if err := json.Unmarshal(catalogueJSON, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Codes) < 50 {
		t.Fatalf("only %d codes", len(f.Codes))
	}
	for _, e := range f.Codes {
		c := classifyCodes(e.Provider, []string{e.Code}, "", false)
		if c.outcome != e.Class || c.providerCode != e.Code {
			t.Errorf("%s/%s: %s, want %s", e.Provider, e.Code, c.outcome, e.Class)
		}
		want := e.Class
		if e.DuringAuth != "" {
			want = e.DuringAuth
		}
		if c := classifyCodes(e.Provider, []string{e.Code}, "", true); c.outcome != want {
			t.Errorf("%s/%s during auth: %s, want %s", e.Provider, e.Code, c.outcome, want)
		}
		if e.Error != "" && c.code != e.Error {
			t.Errorf("%s/%s: code %s, want %s", e.Provider, e.Code, c.code, e.Error)
		}
	}
}

func TestCatalogueRules(t *testing.T) {
	tests := []struct {
		name    string
		family  string
		codes   []string
		message string
		want    Outcome
		pcode   string
		code    Code
	}{
		{"unknown code", familyGSTN, []string{"XYZ"}, "", OutcomeProviderError, "XYZ", gstcrypto.CodeProviderError},
		{"a code of another provider is unknown", familyNIC, []string{"AUTH4033"}, "", OutcomeProviderError, "AUTH4033", gstcrypto.CodeProviderError},
		{"the class that asks most wins", familyEWB, []string{"118", "238"}, "", OutcomeReauthenticate, "238", gstcrypto.CodeReauthRequired},
		{"first of equals", familyEWB, []string{"106", "238"}, "", OutcomeReauthenticate, "106", gstcrypto.CodeReauthRequired},
		{"outage marker in a message", familyGSTN, nil, "GSPGSTDOWN : GST server is down", OutcomeRetryLater, "GSPGSTDOWN", gstcrypto.CodeProviderError},
		{"GEN5005 in a message", familyGSTN, nil, "GEN5005 : limit exceeded", OutcomeRetryLater, "GEN5005", gstcrypto.CodeRateLimited},
		{"no data is no failure's class", familyGSTN, []string{"RET11416"}, "", OutcomeNoData, "RET11416", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := classifyCodes(tc.family, tc.codes, tc.message, false)
			if c.outcome != tc.want || c.providerCode != tc.pcode || tc.code != "" && c.code != tc.code {
				t.Fatalf("%+v", c)
			}
		})
	}
	for status, want := range map[int]Outcome{401: OutcomeReauthenticate, 429: OutcomeRetryLater, 504: OutcomeRetryLater, 500: OutcomeRetryLater, 599: OutcomeRetryLater} {
		if c, ok := classifyStatus(status); !ok || c.outcome != want {
			t.Errorf("HTTP %d: %+v", status, c)
		}
	}
	for _, status := range []int{200, 400, 403, 404, 600} {
		if _, ok := classifyStatus(status); ok {
			t.Errorf("HTTP %d classified", status)
		}
	}
}

func TestCatalogueRefusesMistakes(t *testing.T) {
	for name, doc := range map[string]string{
		"unknown class":   `{"classes":{"reauthenticate":"x","user_action":"x","configuration":"x","retry_later":"x","no_data":"x","stale_certificate":"x","provider_error":"x"},"codes":[{"provider":"gstn","code":"A","class":"nope","meaning":"m","source":"s"}]}`,
		"duplicate":       `{"classes":{"reauthenticate":"x","user_action":"x","configuration":"x","retry_later":"x","no_data":"x","stale_certificate":"x","provider_error":"x"},"codes":[{"provider":"gstn","code":"A","class":"no_data","meaning":"m","source":"s"},{"provider":"gstn","code":"A","class":"no_data","meaning":"m","source":"s"}]}`,
		"no source":       `{"classes":{"reauthenticate":"x","user_action":"x","configuration":"x","retry_later":"x","no_data":"x","stale_certificate":"x","provider_error":"x"},"codes":[{"provider":"gstn","code":"A","class":"no_data","meaning":"m"}]}`,
		"unknown member":  `{"classes":{},"extra":1}`,
		"a class missing": `{"classes":{"reauthenticate":"x"}}`,
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("loaded")
				}
			}()
			loadCatalogue([]byte(doc))
		})
	}
}
