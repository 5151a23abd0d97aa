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

	"github.com/gstauth/gstauth/core"
	"github.com/gstauth/gstauth/gstcrypto"
)

// NIC e-invoice (IRP) v1.04 and e-way bill:
//
//	POST /eivital/v1.04/auth         {"Data": b64(RSA(b64(json {UserName, Password, AppKey, ForceRefreshAccessToken})))}
//	POST /eicore/v1.03/Invoice       Generate IRN: {"Data": b64(AES(SEK, invoice json))} → SignedInvoice, SignedQRCode
//	POST /auth/                      e-way bill ACCESSTOKEN, encrypted the same way
//	POST /ewayapi/                   GENEWAYBILL: {"action":"GENEWAYBILL","data": b64(AES(SEK, json))}
//	GET  /ewayapi/GetEwayBill?ewbNo= an e-way bill, answered with rek and hmac
//
// e-invoice errors {Status:0, ErrorDetails:[{ErrorCode, ErrorMessage}]}: 1004 Gstin header, 1005 invalid token,
// 1010 client id/secret, 1016 app key not decryptable, 1017 user, 1019 password, 2150 duplicate IRN (with
// InfoDtls DUPIRN), 5002 a Data that does not decrypt to JSON (the emulator's own code). e-way bill errors
// {status:"0", error: b64(json {"errorCodes":"..."})}: 238 invalid token, 108 invalid login, 105 client id or
// secret, 5002 a data that does not decrypt to JSON (the emulator's own).

// forceRefreshWindow is where NIC honours ForceRefreshAccessToken.
const forceRefreshWindow = 10 * time.Minute

type nicSession struct {
	token, username, gstin string
	sek                    []byte
	expires                time.Time
	ewb                    bool
}

func nicError(code, msg string) map[string]any {
	return map[string]any{"Status": 0, "ErrorDetails": []map[string]string{{"ErrorCode": code, "ErrorMessage": msg}}, "InfoDtls": nil}
}

func ewbError(codes string) map[string]any {
	js, _ := json.Marshal(map[string]string{"errorCodes": codes + ","})
	return map[string]any{"status": "0", "error": base64.StdEncoding.EncodeToString(js)}
}

func (s *Server) nicRoutes() {
	s.mux.HandleFunc("POST /eivital/v1.04/auth", func(w http.ResponseWriter, r *http.Request) { s.nicAuth(w, r, false) })
	s.mux.HandleFunc("POST /auth/", func(w http.ResponseWriter, r *http.Request) { s.nicAuth(w, r, true) })
	s.mux.HandleFunc("POST /eicore/v1.03/Invoice", s.generateIRN)
	s.mux.HandleFunc("POST /ewayapi/", s.generateEWB)
	s.mux.HandleFunc("GET /ewayapi/GetEwayBill", s.getEWB)
}

func (s *Server) nicFail(w http.ResponseWriter, ewb bool, code, msg string) {
	if ewb {
		s.writeJSON(w, 200, ewbError(code))
		return
	}
	s.writeJSON(w, 200, nicError(code, msg))
}

// nicHeaders checks the client headers; e-invoice spells them client_id,
// client_secret, Gstin and e-way bill client-id, client-secret, gstin.
func (s *Server) nicHeaders(w http.ResponseWriter, r *http.Request, ewb bool) (string, bool) {
	id, secret, gstin := r.Header.Get("client_id"), r.Header.Get("client_secret"), r.Header.Get("Gstin")
	if ewb {
		id, secret, gstin = r.Header.Get("client-id"), r.Header.Get("client-secret"), r.Header.Get("gstin")
	}
	if !constEq(id, ClientID) || !constEq(secret, ClientSecret) {
		s.nicFail(w, ewb, map[bool]string{false: "1010", true: "105"}[ewb], "Invalid Client-ID/Client-Secret")
		return "", false
	}
	if _, err := core.StateCodeOf(gstin); err != nil {
		s.nicFail(w, ewb, map[bool]string{false: "1004", true: "105"}[ewb], "Header GSTIN is required")
		return "", false
	}
	return gstin, true
}

func (s *Server) nicAuth(w http.ResponseWriter, r *http.Request, ewb bool) {
	gstin, ok := s.nicHeaders(w, r, ewb)
	if !ok {
		return
	}
	js, err := gstcrypto.DecryptNICAuthPayload(s.nicKey, readDataEnvelope(r))
	if err != nil {
		s.nicFail(w, ewb, map[bool]string{false: "1016", true: "108"}[ewb], "Decryption of App Key failed")
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
	if json.Unmarshal(js, &a) != nil {
		s.nicFail(w, ewb, map[bool]string{false: "1016", true: "108"}[ewb], "Invalid auth payload")
		return
	}
	user, pass, appKeyText := a.UserName, a.Password, a.AppKey
	if ewb {
		user, pass, appKeyText = a.Username, a.Pass, a.AppKeyEWB
		if a.Action != "ACCESSTOKEN" {
			s.nicFail(w, true, "108", "action must be ACCESSTOKEN")
			return
		}
	}
	appKey, err := base64.StdEncoding.DecodeString(appKeyText)
	if err != nil || len(appKey) != 32 {
		s.nicFail(w, ewb, map[bool]string{false: "1016", true: "108"}[ewb], "AppKey must be base64 of 32 bytes")
		return
	}
	if user != Username {
		s.nicFail(w, ewb, map[bool]string{false: "1017", true: "108"}[ewb], "Incorrect user id")
		return
	}
	if !constEq(pass, Password) {
		s.nicFail(w, ewb, map[bool]string{false: "1019", true: "108"}[ewb], "Incorrect Password")
		return
	}
	now := s.now()
	s.mu.Lock()
	var sess *nicSession
	for _, x := range s.nic {
		if x.username == user && x.gstin == gstin && x.ewb == ewb && now.Before(x.expires) {
			sess = x
		}
	}
	// Inside the validity the same token comes back; ForceRefreshAccessToken
	// is honoured in the last 10 minutes only (e-way bill always issues anew).
	if sess == nil || ewb || (a.ForceRefreshAccessToken && !now.Before(sess.expires.Add(-forceRefreshWindow))) {
		if sess != nil {
			delete(s.nic, sess.token)
		}
		sek, _ := gstcrypto.NewAppKey(nil, nil)
		sess = &nicSession{token: randomToken(map[bool]string{false: "einv-", true: "ewb-"}[ewb]), username: user,
			gstin: gstin, sek: sek, expires: now.Add(s.opts.TokenLifetime).Truncate(time.Second), ewb: ewb}
		s.nic[sess.token] = sess
	}
	s.mu.Unlock()
	enc, _ := gstcrypto.EncryptAESECB(appKey, sess.sek)
	sekText := base64.StdEncoding.EncodeToString(enc)
	if ewb {
		s.writeJSON(w, 200, map[string]string{"status": "1", "authtoken": sess.token, "sek": sekText})
		return
	}
	s.writeJSON(w, 200, map[string]any{"Status": 1, "Data": map[string]string{"ClientId": ClientID, "UserName": user,
		"AuthToken": sess.token, "Sek": sekText, "TokenExpiry": core.FormatNICTokenExpiry(sess.expires.UnixMilli())},
		"ErrorDetails": nil, "InfoDtls": nil})
}

func (s *Server) nicSessionOf(w http.ResponseWriter, r *http.Request, ewb bool) (*nicSession, bool) {
	gstin, ok := s.nicHeaders(w, r, ewb)
	if !ok {
		return nil, false
	}
	token := r.Header.Get("AuthToken")
	if ewb {
		token = r.Header.Get("authtoken")
	}
	s.mu.Lock()
	sess := s.nic[token]
	s.mu.Unlock()
	if sess == nil || sess.ewb != ewb || sess.gstin != gstin || !s.now().Before(sess.expires) ||
		(!ewb && r.Header.Get("user_name") != sess.username) {
		s.nicFail(w, ewb, map[bool]string{false: "1005", true: "238"}[ewb], "Invalid Token")
		return nil, false
	}
	return sess, true
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
		s.writeJSON(w, 200, nicError("5002", "Data must be the invoice JSON encrypted with the SEK (no inner base64)"))
		return
	}
	if inv.SellerDtls.Gstin != sess.gstin {
		s.writeJSON(w, 200, nicError("2211", "Seller GSTIN does not match the Gstin header"))
		return
	}
	sum := sha256.Sum256([]byte(inv.SellerDtls.Gstin + "|" + inv.DocDtls.Typ + "|" + inv.DocDtls.No + "|" + inv.DocDtls.Dt))
	irn := hex.EncodeToString(sum[:])
	now := s.now().In(time.FixedZone("IST", 5*3600+1800))
	s.mu.Lock()
	dup := s.irns[irn]
	s.irns[irn] = true
	s.mu.Unlock()
	if dup {
		s.writeJSON(w, 200, map[string]any{"Status": 0, "ErrorDetails": []map[string]string{{"ErrorCode": "2150", "ErrorMessage": "Duplicate IRN"}},
			"InfoDtls": []map[string]any{{"InfCd": "DUPIRN", "Desc": map[string]string{"Irn": irn}}}})
		return
	}
	ackNo := 112010000000000 + s.nextID()
	ackDt := now.Format("2006-01-02 15:04:05")
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
		s.writeJSON(w, 500, nicError("5000", "signing failed"))
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
	js, err := gstcrypto.DecryptNICResponse(sess.sek, env.Data)
	if env.Action != "GENEWAYBILL" || err != nil || !json.Valid(js) {
		s.writeJSON(w, 200, ewbError("5002"))
		return
	}
	now := s.now().In(time.FixedZone("IST", 5*3600+1800))
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
		s.writeJSON(w, 200, ewbError("325"))
		return
	}
	out, _ := json.Marshal(map[string]any{"ewbNo": no, "status": "ACT", "userGstin": sess.gstin})
	data, rek, hmac, err := gstcrypto.EncryptNICResponseRek(nil, sess.sek, out)
	if err != nil {
		s.writeJSON(w, 500, ewbError("5000"))
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
