package sandbox

import "net/http"

// Every error the emulator answers, with the provider's code and message,
// the situation it stands for, and where the code was read. This is the one
// list: the handlers answer these values, GET /_sandbox/codes serves it, and
// a test checks that docs/sandbox.md names every code.
//
// Sources, as the gst-protocols reference names them:
//   - GSTN: the reference's "seen codes"; the GSTN response-code list that
//     Sandbox.co.in reproduces (developer.sandbox.co.in/docs/gstn-response-codes).
//   - e-invoice: NIC's vital-error list (einvoice6.gst.gov.in/content/validation-rules,
//     whitebooks.in/blog/?p=1718, perione.in/docs/error-codes/).
//   - e-way bill: NIC's error list (perione.in/docs/error-codes/ewaybill/; india-compliance
//     nic/e_waybill_errors.py holds the same text).
//
// The emulator answers a code only for a situation it can tell apart. NIC
// codes with no such situation here are not answered: e-invoice 1008 (v1.04
// answers 1017 or 1019 instead, which the emulator can tell apart), 1013 (v1.04
// has no separately encrypted password), 1014 (no user is inactive), 1018
// (one client, one user); e-way bill 101-104, 107, 111-117.

// ProviderCode is one error the emulator answers.
type ProviderCode struct {
	API     string `json:"api"` // gstn, einvoice or ewaybill
	Code    string `json:"code"`
	Message string `json:"message"`
	When    string `json:"when"`
	Source  string `json:"source"`
}

var catalogue []ProviderCode

func providerCode(api, code, message, when, source string) ProviderCode {
	c := ProviderCode{API: api, Code: code, Message: message, When: when, Source: source}
	catalogue = append(catalogue, c)
	return c
}

// Codes returns every error the emulator can answer.
func Codes() []ProviderCode { return append([]ProviderCode(nil), catalogue...) }

const (
	srcGSTNRef  = "gst-protocols reference (GSTN errors seen)"
	srcGSTNList = "GSTN response codes (developer.sandbox.co.in/docs/gstn-response-codes)"
	srcEInv     = "NIC e-invoice vital errors (einvoice6.gst.gov.in validation rules; whitebooks.in/blog/?p=1718)"
	srcEInvIRN  = "NIC e-invoice IRN errors (einvoice1.gst.gov.in/others/geterrorcodes/INV)"
	srcEWB      = "NIC e-way bill error list (perione.in/docs/error-codes/ewaybill/)"
	srcOwn      = "the emulator's own mapping: no public source names a code for this"
	srcGSTNSave = "GSTN's GSTR-1 save validation code, as public clients report it (\"RET191106 Error in Json structure validation\"); no code is published for a payload that does not decrypt or a MAC mismatch"
)

// GSTN taxpayer API, {status_cd:"0", error:{error_cd, message}}.
var (
	gstnBadClient      = providerCode("gstn", "AUT4033", "Invalid Client Id or Client Secret", "clientid or client-secret is wrong", srcGSTNRef)
	gstnHeaderMissing  = providerCode("gstn", "RET11400", "Header Value Missing", "ip-usr, txn or state-cd is missing; on returns calls also gstin or username", srcGSTNList)
	gstnBadStateCode   = providerCode("gstn", "AUTH4041", "Invalid state-cd", "state-cd is not a GST state code or not the first two digits of the gstin header", srcGSTNRef)
	gstnBadUser        = providerCode("gstn", "AUTH4032", "Invalid USER", "the body's username is not the sandbox user, or a username header names another user", srcGSTNList)
	gstnMalformed      = providerCode("gstn", "RET11406", "Malformed API Request", "the body is not the JSON object expected", srcGSTNList)
	gstnBadAction      = providerCode("gstn", "AUTH4035", "Invalid Request Action", "authenticate with an unknown action", srcGSTNList)
	gstnBadAppKey      = providerCode("gstn", "TEC4002", "Invalid public key or app key encryption", "the app key does not RSA-decrypt (PKCS#1 v1.5) to 16, 24 or 32 bytes, or on REFRESHTOKEN does not AES-decrypt under the session key", srcGSTNRef)
	gstnBadOTP         = providerCode("gstn", "AUTH4033", "Invalid OTP", "AUTHTOKEN with a wrong OTP", srcGSTNRef)
	gstnBadSession     = providerCode("gstn", "AUTH4033", "Invalid Session", "an unknown auth-token, or one of another user or GSTIN", srcGSTNRef)
	gstnExpired        = providerCode("gstn", "AUTH4038", "Session Expired", "the auth-token has expired", srcGSTNRef)
	gstnWindowOver     = providerCode("gstn", "AUTH4037", "API access duration has ended", "REFRESHTOKEN past the taxpayer's API-access window", srcGSTNRef)
	gstnNoRetPeriod    = providerCode("gstn", "AUTH141", "Mandatory Parameters - GSTIN or Return Period missing", "a returns call without ret_period", srcGSTNList)
	gstnBadRetPeriod   = providerCode("gstn", "AUTH113", "Invalid Return Period", "ret_period is not MMYYYY", srcGSTNList)
	gstnBadRequest     = providerCode("gstn", "RET11403", "Invalid API Request", "RETSAVE without action RETSAVE, data and hmac", srcGSTNList)
	gstnBadParams      = providerCode("gstn", "RET11405", "Invalid API Request Parameters", "RETSUM without this session's gstin or a ret_period", srcGSTNList)
	gstnBadPayload     = providerCode("gstn", "RET191106", "Error in JSON structure validation", "data does not decrypt under the session key, its hmac does not match, or it is not base64 of JSON", srcGSTNSave)
	gstnEVCNoUser      = providerCode("gstn", "OTP0009", "User Name is null", "EVCOTP without a username header", srcGSTNList)
	gstnEVCNoPAN       = providerCode("gstn", "OTP0003", "Pan number is null", "EVCOTP without pan", srcGSTNList)
	gstnEVCNoFormType  = providerCode("gstn", "OTP0004", "formType is null", "EVCOTP without form_type", srcGSTNList)
	gstnEncryptFailure = providerCode("gstn", "SYS500", "encryption failed", "the emulator could not encrypt its answer (HTTP 500; should not happen)", srcOwn)
)

// NIC e-invoice v1.04, {Status:0, ErrorDetails:[{ErrorCode, ErrorMessage}], Data:null, InfoDtls:null}.
var (
	einvNoGSTIN        = providerCode("einvoice", "1004", "Header GSTIN is required", "the Gstin header is missing or not a GSTIN", srcEInv)
	einvInvalidToken   = providerCode("einvoice", "1005", "Invalid Token", "AuthToken unknown or expired, or user_name is not the token's user", srcEInv)
	einvNoUserName     = providerCode("einvoice", "1006", "User Name is required", "the user_name header of a business call, or the auth payload's UserName, is missing", srcEInv)
	einvBadPayload     = providerCode("einvoice", "1007", "Authentication failed. Pls. inform the helpdesk", "the auth payload decrypts but is not base64 of the JSON object expected (wrong formation of request payload)", srcEInv)
	einvBadClient      = providerCode("einvoice", "1010", "Invalid Client-ID/Client-Secret", "client_id or client_secret is wrong", srcEInv)
	einvNoClientID     = providerCode("einvoice", "1011", "Client Id is required", "no client_id header", srcEInv)
	einvNoClientSecret = providerCode("einvoice", "1012", "Client Secret is required", "no client_secret header", srcEInv)
	einvWrongGSTIN     = providerCode("einvoice", "1015", "Invalid GSTIN for this user", "a live token sent with another GSTIN in the Gstin header than the one it was issued for", srcEInv)
	einvBadAppKey      = providerCode("einvoice", "1016", "Decryption of App Key failed", "Data does not RSA-decrypt with the NIC key, or AppKey is not base64 of 16, 24 or 32 bytes", srcEInv)
	einvBadUser        = providerCode("einvoice", "1017", "Incorrect user id/User does not exists", "UserName is not the sandbox user", srcEInv)
	einvBadPassword    = providerCode("einvoice", "1019", "Incorrect Password", "Password is wrong", srcEInv)
	einvDuplicateIRN   = providerCode("einvoice", "2150", "Duplicate IRN", "an invoice whose IRN was generated before (with InfoDtls DUPIRN)", srcEInvIRN)
	einvUnknownGSTIN   = providerCode("einvoice", "3028", "GSTIN is not present in the taxpayer master", "Get GSTIN Details for a text that is not a GSTIN of a GST state", srcEInvIRN)
	einvSellerGSTIN    = providerCode("einvoice", "2211", "Seller GSTIN does not match the Gstin header", "SellerDtls.Gstin is not the session's GSTIN", srcOwn)
	einvBadData        = providerCode("einvoice", "5002", "Data must be the invoice JSON encrypted with the SEK (no inner base64)", "Data does not decrypt under the SEK to invoice JSON, e.g. the GSTN convention with an inner base64", srcOwn+" (NIC uses 5002 for schema validation errors)")
	einvSignFailure    = providerCode("einvoice", "5000", "signing failed", "the emulator could not sign (HTTP 500; should not happen)", srcOwn)
)

// NIC e-way bill v1.03, {status:"0", error: b64(json {"errorCodes":"..."}), info:null}.
var (
	ewbBadJSON        = providerCode("ewaybill", "100", "Invalid Json", "the auth payload or a business call's data decrypts but is not JSON", srcEWB)
	ewbInvalidToken   = providerCode("ewaybill", "105", "Invalid Token", "with Options.EWBTokenCodes = EWBTokenCodes105106 only: an unknown authtoken or one of another GSTIN", srcEWB)
	ewbTokenExpired   = providerCode("ewaybill", "106", "Token Expired", "with Options.EWBTokenCodes = EWBTokenCodes105106 only: an expired authtoken", srcEWB)
	ewbBadLogin       = providerCode("ewaybill", "108", "Invalid login credentials.", "username or password is wrong (NIC does not tell them apart)", srcEWB)
	ewbUndecryptable  = providerCode("ewaybill", "109", "Decryption of data failed", "the auth Data does not RSA-decrypt, app_key is not base64 of 16, 24 or 32 bytes, or a business call's data does not decrypt under the SEK", srcEWB)
	ewbBadClientAuth  = providerCode("ewaybill", "110", "Invalid Client-ID/Client-Secret", "client-id or client-secret is wrong on /auth/", srcEWB)
	ewbTryLater       = providerCode("ewaybill", "118", "Try after 5 minutes", "more ACCESSTOKEN requests for one user and GSTIN than Options.EWBAuthLimit within 15 minutes", srcEWB+"; the limit is NIC's as TaxPro documents it (gsthelp.charteredinfo.com/ewb/eway_bill_access_token_api.htm), which names no code: 118, NIC's only try-later code, is the emulator's reading")
	ewbBadClientCall  = providerCode("ewaybill", "237", "Invalid client -Id/client-secret", "client-id or client-secret is wrong on a business call", srcEWB)
	ewbBadAuthToken   = providerCode("ewaybill", "238", "Invalid auth token", "an unknown or expired authtoken, or one of another GSTIN (the default, EWBTokenCodes238)", srcEWB)
	ewbBadAction      = providerCode("ewaybill", "239", "Invalid action", "/auth/ with an action other than ACCESSTOKEN, or /ewayapi/ with one other than GENEWAYBILL", srcEWB)
	ewbNoData         = providerCode("ewaybill", "325", "Could not retrieve data", "GetEwayBill without ewbNo", srcEWB)
	ewbBadGSTIN       = providerCode("ewaybill", "393", "Invalid GSTIN", "the gstin header is missing or not a GSTIN", srcEWB+"; the live sandbox endpoint's answer to an /auth/ without a gstin header, as a public client's contract tests recorded it")
	ewbEncryptFailure = providerCode("ewaybill", "5000", "encryption failed", "the emulator could not encrypt its answer (HTTP 500; should not happen)", srcOwn)
)

func (s *Server) handleCodes(w http.ResponseWriter, r *http.Request) {
	s.writeJSON(w, 200, map[string]any{"codes": Codes()})
}
