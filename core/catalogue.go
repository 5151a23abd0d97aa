package core

import (
	_ "embed"
	"encoding/json"
	"strconv"
	"strings"
	"sync"

	"github.com/gstauth/gstauth/gstcrypto"
)

// The error catalogue: what each known error of the GST services means for
// the host, in one data file (catalogue.json) that the classification
// below, the README's error section and the conformance vectors all read.

//go:embed catalogue.json
var catalogueJSON []byte

// CatalogueJSON returns the catalogue's data file, for hosts and tools
// that list it.
func CatalogueJSON() []byte { return append([]byte(nil), catalogueJSON...) }

// Outcome is what an answer of a provider means for the host: "ok", or the
// class of the failure in the catalogue.
type Outcome string

// The outcomes (catalogue.json's "classes" describes each).
const (
	OutcomeOK               Outcome = "ok"
	OutcomeReauthenticate   Outcome = "reauthenticate"
	OutcomeUserAction       Outcome = "user_action"
	OutcomeConfiguration    Outcome = "configuration"
	OutcomeRetryLater       Outcome = "retry_later"
	OutcomeNoData           Outcome = "no_data"
	OutcomeStaleCertificate Outcome = "stale_certificate"
	OutcomeProviderError    Outcome = "provider_error"
)

// Outcomes lists every outcome.
var Outcomes = []Outcome{OutcomeOK, OutcomeReauthenticate, OutcomeUserAction, OutcomeConfiguration,
	OutcomeRetryLater, OutcomeNoData, OutcomeStaleCertificate, OutcomeProviderError}

// catalogueEntry is one code, marker or HTTP status of the catalogue.
type catalogueEntry struct {
	Provider     string  `json:"provider"`
	Code         string  `json:"code"`
	Contains     string  `json:"contains"`
	Status       string  `json:"status"`
	Class        Outcome `json:"class"`
	DuringAuth   Outcome `json:"during_auth"`
	RetryAfterMs int64   `json:"retry_after_ms"`
	Error        Code    `json:"error"`
	Meaning      string  `json:"meaning"`
	Source       string  `json:"source"`
}

type catalogueFile struct {
	Schema      string             `json:"schema"`
	Description string             `json:"description"`
	Classes     map[Outcome]string `json:"classes"`
	Codes       []catalogueEntry   `json:"codes"`
	Markers     []catalogueEntry   `json:"markers"`
	HTTP        []catalogueEntry   `json:"http"`
}

// catalogue is catalogue.json, decoded and checked on first use (a mistake in
// it panics there, and TestCatalogueClassifiesEveryCode fails on it). Not at package load:
// the decoding was most of the package's initialisation, which the plugin
// pays on every fresh instance, whether it classifies anything or not.
var catalogue = sync.OnceValue(func() catalogueIndex { return loadCatalogue(catalogueJSON) })

type catalogueIndex struct {
	file    catalogueFile
	codes   map[string]catalogueEntry // "family/code"
	markers []catalogueEntry
	http    map[string]catalogueEntry // "401", "5xx"
}

// The provider families of the catalogue: a gateway's task API speaks
// GSTN's codes.
const (
	familyGSTN = "gstn"
	familyNIC  = "nic_einvoice"
	familyEWB  = "nic_ewaybill"
)

func familyOf(p Provider) string {
	switch p {
	case ProviderGSTN, ProviderGatewayTask:
		return familyGSTN
	case ProviderNICEInvoice:
		return familyNIC
	case ProviderNICEWayBill:
		return familyEWB
	}
	return ""
}

func loadCatalogue(b []byte) catalogueIndex {
	var f catalogueFile
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		panic("core: catalogue.json: " + err.Error())
	}
	ix := catalogueIndex{file: f, codes: map[string]catalogueEntry{}, http: map[string]catalogueEntry{}}
	check := func(e catalogueEntry, what string) {
		if _, ok := f.Classes[e.Class]; !ok || e.Class == OutcomeOK {
			panic("core: catalogue.json: " + what + " has an unknown class " + string(e.Class))
		}
		if e.DuringAuth != "" {
			if _, ok := f.Classes[e.DuringAuth]; !ok {
				panic("core: catalogue.json: " + what + " has an unknown during_auth class")
			}
		}
		if e.Error != "" && !knownCode(e.Error) {
			panic("core: catalogue.json: " + what + " names an unknown error code")
		}
		if e.Meaning == "" || e.Source == "" {
			panic("core: catalogue.json: " + what + " needs a meaning and a source")
		}
	}
	for _, c := range Outcomes {
		if _, ok := f.Classes[c]; !ok && c != OutcomeOK {
			panic("core: catalogue.json does not describe the class " + string(c))
		}
	}
	for _, e := range f.Codes {
		key := e.Provider + "/" + e.Code
		if e.Provider != familyGSTN && e.Provider != familyNIC && e.Provider != familyEWB || e.Code == "" {
			panic("core: catalogue.json: bad code entry " + key)
		}
		if _, dup := ix.codes[key]; dup {
			panic("core: catalogue.json: duplicate code " + key)
		}
		check(e, key)
		ix.codes[key] = e
	}
	for _, e := range f.Markers {
		if e.Contains == "" {
			panic("core: catalogue.json: a marker without contains")
		}
		check(e, "marker "+e.Contains)
		ix.markers = append(ix.markers, e)
	}
	for _, e := range f.HTTP {
		check(e, "HTTP "+e.Status)
		ix.http[e.Status] = e
	}
	return ix
}

func knownCode(c Code) bool {
	for _, k := range gstcrypto.Codes {
		if k == c {
			return true
		}
	}
	return false
}

// classification is the catalogue's reading of one failure.
type classification struct {
	outcome      Outcome
	code         Code   // the error code to report
	providerCode string // the provider's code (or the HTTP status)
	retryAfterMs int64
	meaning      string
	// known says a code or marker of the catalogue gave the class.
	known bool
}

// classPriority orders the classes when one answer carries several codes
// (an e-way bill "106,238"): the one that asks most of the host wins.
var classPriority = map[Outcome]int{OutcomeReauthenticate: 7, OutcomeStaleCertificate: 6, OutcomeConfiguration: 5,
	OutcomeUserAction: 4, OutcomeRetryLater: 3, OutcomeProviderError: 2, OutcomeNoData: 1}

// classifyCodes reads the provider's codes (and its message, for the GSP
// outage markers) through the catalogue. duringAuth selects the class for
// the answer to an authentication request. Unknown codes are the
// provider's own errors.
func classifyCodes(family string, codes []string, message string, duringAuth bool) classification {
	best, found := classification{}, false
	consider := func(e catalogueEntry, providerCode string) {
		class := e.Class
		if duringAuth && e.DuringAuth != "" {
			class = e.DuringAuth
		}
		c := classification{outcome: class, code: e.Error, providerCode: providerCode, retryAfterMs: e.RetryAfterMs, meaning: e.Meaning, known: true}
		if !found || classPriority[class] > classPriority[best.outcome] {
			best, found = c, true
		}
	}
	for _, code := range codes {
		if e, ok := catalogue().codes[family+"/"+code]; ok {
			consider(e, code)
		}
	}
	for _, m := range catalogue().markers {
		if message != "" && strings.Contains(message, m.Contains) || containsCode(codes, m.Contains) {
			consider(m, m.Contains)
		}
	}
	if !found {
		first := ""
		if len(codes) > 0 {
			first = codes[0]
		}
		best = classification{outcome: OutcomeProviderError, providerCode: first}
	}
	if best.code == "" {
		best.code = defaultCode(best.outcome)
	}
	return best
}

func containsCode(codes []string, c string) bool {
	for _, x := range codes {
		if x == c {
			return true
		}
	}
	return false
}

// classifyStatus reads an HTTP status through the catalogue; ok is false
// for statuses it says nothing about (2xx, most 4xx).
func classifyStatus(status int) (classification, bool) {
	key := strconv.Itoa(status)
	e, ok := catalogue().http[key]
	if !ok && status >= 500 && status <= 599 {
		e, ok = catalogue().http["5xx"]
	}
	if !ok {
		return classification{}, false
	}
	c := classification{outcome: e.Class, code: e.Error, providerCode: key, retryAfterMs: e.RetryAfterMs, meaning: e.Meaning}
	if c.code == "" {
		c.code = defaultCode(c.outcome)
	}
	return c, true
}

// defaultCode is the error code of a class, unless the entry names one.
func defaultCode(o Outcome) Code {
	switch o {
	case OutcomeReauthenticate:
		return gstcrypto.CodeReauthRequired
	case OutcomeUserAction:
		return gstcrypto.CodeUserActionRequired
	case OutcomeConfiguration:
		return gstcrypto.CodeConfigInvalid
	case OutcomeStaleCertificate:
		return gstcrypto.CodeCertificateStale
	}
	return gstcrypto.CodeProviderError
}

// OutcomeOf names what an error from ParseResponse or a host call means
// for the host: nil is ok; a retryable error is retry_later; otherwise the
// class its code stands for.
func OutcomeOf(err error) Outcome {
	if err == nil {
		return OutcomeOK
	}
	e, ok := err.(*Error)
	if !ok {
		return OutcomeProviderError
	}
	switch {
	case e.Code == gstcrypto.CodeReauthRequired:
		return OutcomeReauthenticate
	case e.Code == gstcrypto.CodeCertificateStale:
		return OutcomeStaleCertificate
	case e.Retryable:
		return OutcomeRetryLater
	case e.Code == gstcrypto.CodeUserActionRequired || e.Code == gstcrypto.CodeTokenExpired:
		return OutcomeUserAction
	case e.Code == gstcrypto.CodeConfigInvalid:
		return OutcomeConfiguration
	}
	return OutcomeProviderError
}
