package sandbox

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"strings"
	"time"

	"github.com/gstauth/gstauth/gstcrypto"
)

// NIC e-invoice (IRP) v1.04 and e-way bill:
//
//	POST /eivital/v1.04/auth         {"Data": b64(RSA(b64(json {UserName, Password, AppKey, ForceRefreshAccessToken})))}
//	POST /eicore/v1.03/Invoice       Generate IRN: {"Data": b64(AES(SEK, invoice json))} → SignedInvoice, SignedQRCode
//	GET  /eivital/v1.03/Master/gstin/{gstin}  Get GSTIN details → {"Data": b64(AES(SEK, details json))}
//	POST /auth/                      e-way bill ACCESSTOKEN, encrypted the same way
//	POST /ewayapi/                   GENEWAYBILL: {"action":"GENEWAYBILL","data": b64(AES(SEK, json))}
//	GET  /ewayapi/GetEwayBill?ewbNo= an e-way bill, answered with rek and hmac
//
// The status fields keep each service's JSON type, as NIC's v1.04 and
// v1.03 samples show them and as envelopes recorded from the live
// endpoints (api.einvoice1.gst.gov.in, einv-apisandbox.nic.in) have them:
// e-invoice Status is a number, 1 or 0 ({"Status":0,"ErrorDetails":[...],
// "Data":null,"InfoDtls":null}); e-way bill status is a string, "1" or "0"
// ({"status":"0","error":"<b64 json>","info":null}).
//
// e-invoice errors are {Status:0, ErrorDetails:[{ErrorCode, ErrorMessage}]};
// e-way bill errors {status:"0", error: b64(json {"errorCodes":"..."})}. The
// codes, and the situation each stands for, are in codes.go.

// NIC states times in IST with no zone: TokenExpiry as yyyy-MM-dd HH:mm:ss
// (e-invoice v1.04), AckDt likewise.
var ist = time.FixedZone("IST", 5*3600+1800)

const nicTimeLayout = "2006-01-02 15:04:05"

// forceRefreshWindow is where NIC honours ForceRefreshAccessToken.
const forceRefreshWindow = 10 * time.Minute

type nicSession struct {
	token, username, gstin string
	sek                    []byte
	issued, expires        time.Time
	ewb                    bool
}

func (n *nicSession) id() sessionID {
	return nicSessionID(n.ewb, n.gstin, n.username)
}

func nicSessionID(ewb bool, gstin, user string) sessionID {
	api := "einvoice"
	if ewb {
		api = "ewaybill"
	}
	return sessionID{api: api, clientID: ClientID, gstin: gstin, stateCd: gstin[:2], username: user}
}

// nicError is an e-invoice failure as the live endpoint answers it.
func nicError(code, msg string) map[string]any {
	return map[string]any{"Status": 0, "ErrorDetails": []map[string]string{{"ErrorCode": code, "ErrorMessage": msg}},
		"Data": nil, "InfoDtls": nil}
}

// ewbError is an e-way bill failure. The codes end with a comma, as public
// clients quote NIC's business answers ({"errorCodes":"238,"}); the ones
// recorded from /auth/ have none, and clients split on commas either way.
func ewbError(codes string) map[string]any {
	js, _ := json.Marshal(map[string]string{"errorCodes": codes + ","})
	return map[string]any{"status": "0", "error": base64.StdEncoding.EncodeToString(js), "info": nil}
}

func (s *Server) nicRoutes() {
	s.mux.HandleFunc("POST /eivital/v1.04/auth", func(w http.ResponseWriter, r *http.Request) { s.nicAuth(w, r, false) })
	s.mux.HandleFunc("POST /auth/", func(w http.ResponseWriter, r *http.Request) { s.nicAuth(w, r, true) })
	s.mux.HandleFunc("POST /eicore/v1.03/Invoice", s.generateIRN)
	s.mux.HandleFunc("GET /eivital/v1.03/Master/gstin/{gstin}", s.gstinDetails)
	s.mux.HandleFunc("POST /ewayapi/", s.generateEWB)
	s.mux.HandleFunc("GET /ewayapi/GetEwayBill", s.getEWB)
}

func (s *Server) nicFail(w http.ResponseWriter, c ProviderCode) {
	if c.API == "ewaybill" {
		s.writeJSON(w, 200, ewbError(c.Code))
		return
	}
	s.writeJSON(w, 200, nicError(c.Code, c.Message))
}

// nicHeaders checks the client and GSTIN headers and returns the GSTIN.
// e-invoice spells them client_id, client_secret, Gstin and checks the
// client first (1011, 1012, 1010, then 1004); e-way bill spells them
// client-id, client-secret, gstin and checks the GSTIN first, as the live
// endpoint answers 393 to a request without one whatever else it carries,
// then the client (110 on /auth/, 237 on business calls).
func (s *Server) nicHeaders(w http.ResponseWriter, r *http.Request, ewb, auth bool) (string, bool) {
	if ewb {
		gstin := r.Header.Get("gstin")
		if gstinStateCode(gstin) == "" {
			s.nicFail(w, ewbBadGSTIN)
			return "", false
		}
		if !constEq(r.Header.Get("client-id"), ClientID) || !constEq(r.Header.Get("client-secret"), ClientSecret) {
			s.nicFail(w, map[bool]ProviderCode{true: ewbBadClientAuth, false: ewbBadClientCall}[auth])
			return "", false
		}
		return gstin, true
	}
	id, secret, gstin := r.Header.Get("client_id"), r.Header.Get("client_secret"), r.Header.Get("Gstin")
	switch {
	case id == "":
		s.nicFail(w, einvNoClientID)
	case secret == "":
		s.nicFail(w, einvNoClientSecret)
	case !constEq(id, ClientID) || !constEq(secret, ClientSecret):
		s.nicFail(w, einvBadClient)
	default:
		if gstinStateCode(gstin) == "" {
			s.nicFail(w, einvNoGSTIN)
			return "", false
		}
		return gstin, true
	}
	return "", false
}

// decryptAuthData reads {"Data": b64(RSA(NIC key, b64(json)))}: ok is false
// when Data does not RSA-decrypt, js is nil when it decrypts to something
// that is not base64.
func (s *Server) decryptAuthData(r *http.Request) (js []byte, ok bool) {
	ct, err := base64.StdEncoding.DecodeString(readDataEnvelope(r))
	if err != nil {
		return nil, false
	}
	p, err := gstcrypto.DecryptRSA(s.nicKey, ct)
	if err != nil {
		return nil, false
	}
	js, err = base64.StdEncoding.DecodeString(string(p))
	if err != nil {
		return nil, true
	}
	return js, true
}

func (s *Server) nicAuth(w http.ResponseWriter, r *http.Request, ewb bool) {
	gstin, ok := s.nicHeaders(w, r, ewb, true)
	if !ok {
		return
	}
	// pick chooses the e-invoice or the e-way bill code of one situation.
	pick := func(einv, ewbCode ProviderCode) ProviderCode {
		if ewb {
			return ewbCode
		}
		return einv
	}
	js, ok := s.decryptAuthData(r)
	if !ok {
		s.nicFail(w, pick(einvBadAppKey, ewbUndecryptable))
		return
	}
	var a struct {
		UserName, Password, AppKey string
		ForceRefreshAccessToken    bool
		Action                     string `json:"action"`
		Username                   string `json:"username"`
		Pass                       string `json:"password"`
		AppKeyEWB                  string `json:"app_key"`
	}
	if js == nil || json.Unmarshal(js, &a) != nil {
		s.nicFail(w, pick(einvBadPayload, ewbBadJSON))
		return
	}
	user, pass, appKeyText := a.UserName, a.Password, a.AppKey
	if ewb {
		user, pass, appKeyText = a.Username, a.Pass, a.AppKeyEWB
		if a.Action != "ACCESSTOKEN" {
			s.nicFail(w, ewbBadAction)
			return
		}
	} else if user == "" {
		s.nicFail(w, einvNoUserName)
		return
	}
	now := s.now()
	if ewb && !s.allowEWBAuth(gstin, user, now) {
		s.nicFail(w, ewbTryLater)
		return
	}
	// The app key is used at whatever AES size it decodes to (appkey.go).
	appKey, err := base64.StdEncoding.DecodeString(appKeyText)
	if err != nil || !usableAppKey(appKey) {
		s.nicFail(w, pick(einvBadAppKey, ewbUndecryptable))
		return
	}
	if user != Username {
		s.nicFail(w, pick(einvBadUser, ewbBadLogin))
		return
	}
	id := nicSessionID(ewb, gstin, user)
	s.mu.Lock()
	var sess *nicSession
	for _, x := range s.nic {
		if x.username == user && x.gstin == gstin && x.ewb == ewb && now.Before(x.expires) {
			sess = x
		}
	}
	forced := !ewb && a.ForceRefreshAccessToken
	s.countLocked(id, func(st *SessionStats) {
		st.AuthRequests++
		switch {
		case sess != nil && forced:
			st.RefreshRequests++
			if now.Before(sess.issued.Add(sess.expires.Sub(sess.issued) / 2)) {
				st.DuplicateRefreshRequests++
			}
		case sess != nil:
			st.ReauthRequests++
		}
	})
	s.mu.Unlock()
	if !constEq(pass, Password) {
		s.nicFail(w, pick(einvBadPassword, ewbBadLogin))
		return
	}
	s.mu.Lock()
	// Inside the validity the same token comes back; ForceRefreshAccessToken
	// is honoured in the last 10 minutes only (e-way bill always issues anew).
	if sess == nil || ewb || (forced && !now.Before(sess.expires.Add(-forceRefreshWindow))) {
		if sess != nil {
			delete(s.nic, sess.token)
		}
		sek, _ := gstcrypto.NewAppKey(nil, nil)
		sess = &nicSession{token: randomToken(map[bool]string{false: "einv-", true: "ewb-"}[ewb]), username: user,
			gstin: gstin, sek: sek, issued: now, expires: now.Add(s.opts.TokenLifetime).Truncate(time.Second), ewb: ewb}
		s.nic[sess.token] = sess
	}
	s.mu.Unlock()
	enc, err := encryptUnderAppKey(appKey, sess.sek)
	if err != nil {
		s.nicFail(w, pick(einvBadAppKey, ewbUndecryptable))
		return
	}
	sekText := base64.StdEncoding.EncodeToString(enc)
	if ewb {
		s.writeJSON(w, 200, map[string]string{"status": "1", "authtoken": sess.token, "sek": sekText})
		return
	}
	s.writeJSON(w, 200, map[string]any{"Status": 1, "Data": map[string]string{"ClientId": ClientID, "UserName": user,
		"AuthToken": sess.token, "Sek": sekText, "TokenExpiry": sess.expires.In(ist).Format(nicTimeLayout)},
		"ErrorDetails": nil, "InfoDtls": nil})
}

// nicSessionOf checks a business call's headers and token. e-invoice: a
// missing user_name is 1006; an unknown or expired token, or a user_name
// that is not the token's, 1005; a live token sent with another Gstin
// header, 1015 ("the GSTIN of the user who has generated the auth token is
// different from the GSTIN being passed in the request header"). e-way
// bill: 238 for all three (or 105/106, Options.EWBTokenCodes).
func (s *Server) nicSessionOf(w http.ResponseWriter, r *http.Request, ewb bool) (*nicSession, bool) {
	gstin, ok := s.nicHeaders(w, r, ewb, false)
	if !ok {
		return nil, false
	}
	token, user := r.Header.Get("AuthToken"), r.Header.Get("user_name")
	if ewb {
		token = r.Header.Get("authtoken")
	} else if user == "" {
		s.nicFail(w, einvNoUserName)
		return nil, false
	}
	invalid, expired := einvInvalidToken, einvInvalidToken
	if ewb {
		invalid, expired = ewbBadAuthToken, ewbBadAuthToken
		if s.opts.EWBTokenCodes == EWBTokenCodes105106 {
			invalid, expired = ewbInvalidToken, ewbTokenExpired
		}
	}
	s.mu.Lock()
	sess := s.nic[token]
	s.mu.Unlock()
	switch {
	case sess == nil || sess.ewb != ewb:
		s.nicFail(w, invalid)
		return nil, false
	case !s.now().Before(sess.expires):
		s.count(sess.id(), func(st *SessionStats) { st.ExpiredTokenRequests++ })
		s.nicFail(w, expired)
		return nil, false
	case !ewb && user != sess.username:
		s.nicFail(w, invalid)
		return nil, false
	case sess.gstin != gstin:
		if ewb {
			s.nicFail(w, invalid)
		} else {
			s.nicFail(w, einvWrongGSTIN)
		}
		return nil, false
	}
	return sess, true
}

// gstinDetails answers NIC's Get GSTIN Details for any GSTIN of a GST
// state (the emulator has no taxpayer master): a business call with no
// body, whose answer is encrypted under the SEK like Generate IRN's.
func (s *Server) gstinDetails(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.nicSessionOf(w, r, false)
	if !ok {
		return
	}
	gstin := r.PathValue("gstin")
	if gstinStateCode(gstin) == "" {
		s.nicFail(w, einvUnknownGSTIN)
		return
	}
	out, _ := json.Marshal(map[string]any{"Gstin": gstin, "TradeName": "SANDBOX TRADERS " + gstin[2:7], "LegalName": "Sandbox Traders",
		"AddrBnm": "Sandbox House", "AddrLoc": "Mumbai", "StateCode": gstin[:2], "AddrPncd": 400001, "TxpType": "REG",
		"Status": "ACT", "BlkStatus": "U"})
	data, _ := gstcrypto.EncryptNICRequest(sess.sek, out)
	s.writeJSON(w, 200, map[string]any{"Status": 1, "Data": data, "ErrorDetails": nil, "InfoDtls": nil})
}

type invoice struct {
	Version string `json:"Version"`
	DocDtls struct {
		Typ, No, Dt string
	} `json:"DocDtls"`
	SellerDtls struct{ Gstin string } `json:"SellerDtls"`
	BuyerDtls  struct{ Gstin string } `json:"BuyerDtls"`
	ItemList   []struct {
		HsnCd string `json:"HsnCd"`
	} `json:"ItemList"`
	ValDtls struct {
		TotInvVal json.Number `json:"TotInvVal"`
	} `json:"ValDtls"`
}

func (s *Server) generateIRN(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.nicSessionOf(w, r, false)
	if !ok {
		return
	}
	js, err := gstcrypto.DecryptNICResponse(sess.sek, readDataEnvelope(r))
	var inv invoice
	if err != nil || json.Unmarshal(js, &inv) != nil || inv.DocDtls.No == "" || inv.SellerDtls.Gstin == "" {
		s.nicFail(w, einvBadData)
		return
	}
	if inv.SellerDtls.Gstin != sess.gstin {
		s.nicFail(w, einvSellerGSTIN)
		return
	}
	sum := sha256.Sum256([]byte(inv.SellerDtls.Gstin + "|" + inv.DocDtls.Typ + "|" + inv.DocDtls.No + "|" + inv.DocDtls.Dt))
	irn := hex.EncodeToString(sum[:])
	now := s.now().In(ist)
	s.mu.Lock()
	dup := s.irns[irn]
	s.irns[irn] = true
	s.mu.Unlock()
	if dup {
		dupErr := nicError(einvDuplicateIRN.Code, einvDuplicateIRN.Message)
		dupErr["InfoDtls"] = []map[string]any{{"InfCd": "DUPIRN", "Desc": map[string]string{"Irn": irn}}}
		s.writeJSON(w, 200, dupErr)
		return
	}
	ackNo := 112010000000000 + s.nextID()
	ackDt := now.Format(nicTimeLayout)
	hsn := ""
	if len(inv.ItemList) > 0 {
		hsn = inv.ItemList[0].HsnCd
	}
	var full map[string]any
	json.Unmarshal(js, &full)
	full["Irn"], full["AckNo"], full["AckDt"] = irn, ackNo, ackDt
	invText, _ := json.Marshal(full)
	qr, _ := json.Marshal(map[string]any{"SellerGstin": inv.SellerDtls.Gstin, "BuyerGstin": inv.BuyerDtls.Gstin,
		"DocNo": inv.DocDtls.No, "DocTyp": inv.DocDtls.Typ, "DocDt": inv.DocDtls.Dt, "TotInvVal": inv.ValDtls.TotInvVal,
		"ItemCnt": len(inv.ItemList), "MainHsnCode": hsn, "Irn": irn, "IrnDt": ackDt})
	header := s.jwtHeader()
	signedInv, err1 := gstcrypto.SignJWTRS256(s.signKey, header, map[string]any{"data": string(invText), "iss": "NIC Sandbox"})
	signedQR, err2 := gstcrypto.SignJWTRS256(s.signKey, header, map[string]any{"data": string(qr), "iss": "NIC Sandbox"})
	if err1 != nil || err2 != nil {
		s.writeJSON(w, 500, nicError(einvSignFailure.Code, einvSignFailure.Message))
		return
	}
	out, _ := json.Marshal(map[string]any{"AckNo": ackNo, "AckDt": ackDt, "Irn": irn, "SignedInvoice": signedInv,
		"SignedQRCode": signedQR, "Status": "ACT", "EwbNo": nil, "EwbDt": nil, "EwbValidTill": nil})
	data, _ := gstcrypto.EncryptNICRequest(sess.sek, out)
	s.writeJSON(w, 200, map[string]any{"Status": 1, "Data": data, "ErrorDetails": nil, "InfoDtls": nil})
}

// jwtHeader names the signing certificate as NIC does: kid the upper-case
// hex SHA-1 thumbprint, x5t its base64url.
func (s *Server) jwtHeader() map[string]any {
	block, _ := pem.Decode(s.signCert)
	c, _ := x509.ParseCertificate(block.Bytes)
	sum := sha1.Sum(c.Raw)
	x5t, _ := gstcrypto.CertificateThumbprints(c)
	return map[string]any{"kid": strings.ToUpper(hex.EncodeToString(sum[:])), "x5t": x5t, "typ": "JWT"}
}

func (s *Server) generateEWB(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.nicSessionOf(w, r, true)
	if !ok {
		return
	}
	raw, _ := readBody(r)
	var env struct {
		Action string `json:"action"`
		Data   string `json:"data"`
	}
	json.Unmarshal(raw, &env)
	if env.Action == "" {
		env.Action = r.URL.Query().Get("action")
	}
	if env.Action != "GENEWAYBILL" {
		s.nicFail(w, ewbBadAction)
		return
	}
	js, err := gstcrypto.DecryptNICResponse(sess.sek, env.Data)
	if err != nil {
		s.nicFail(w, ewbUndecryptable)
		return
	}
	if !json.Valid(js) { // e.g. the GSTN convention, base64 text inside
		s.nicFail(w, ewbBadJSON)
		return
	}
	now := s.now().In(ist)
	out, _ := json.Marshal(map[string]any{"ewayBillNo": 331000000000 + s.nextID(), "ewayBillDate": now.Format("02/01/2006 03:04:05 PM"),
		"validUpto": now.Add(24 * time.Hour).Format("02/01/2006 11:59:00 PM"), "alert": ""})
	data, _ := gstcrypto.EncryptNICRequest(sess.sek, out)
	s.writeJSON(w, 200, map[string]string{"status": "1", "data": data})
}

func (s *Server) getEWB(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.nicSessionOf(w, r, true)
	if !ok {
		return
	}
	no := r.URL.Query().Get("ewbNo")
	if no == "" {
		s.nicFail(w, ewbNoData)
		return
	}
	out, _ := json.Marshal(map[string]any{"ewbNo": no, "status": "ACT", "userGstin": sess.gstin})
	data, rek, hmac, err := gstcrypto.EncryptNICResponseRek(nil, sess.sek, out)
	if err != nil {
		s.writeJSON(w, 500, ewbError(ewbEncryptFailure.Code))
		return
	}
	s.writeJSON(w, 200, map[string]string{"status": "1", "data": data, "rek": rek, "hmac": hmac})
}

// readDataEnvelope reads the Data field of a NIC request body {"Data": ...};
// anything else reads as empty and fails to decrypt.
func readDataEnvelope(r *http.Request) string {
	raw, _ := readBody(r)
	var env struct {
		Data string `json:"Data"`
	}
	json.Unmarshal(raw, &env)
	return env.Data
}
