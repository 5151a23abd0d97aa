package sandbox

import (
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/gstauth/gstauth/core"
	"github.com/gstauth/gstauth/gstcrypto"
)

// The GSTN taxpayer API under /taxpayerapi/v1.0:
//
//	POST authenticate          OTPREQUEST, AUTHTOKEN (OTP 575757), REFRESHTOKEN, LOGOUT
//	GET  authenticate          action=EVCOTP
//	POST returns/gstr1         RETSAVE: {action, data, hmac} under the session key → {status_cd, data, rek, hmac}
//	GET  returns/gstr1         action=RETSUM&gstin&ret_period → the saved invoices, encrypted
//
// Errors are {status_cd:"0", error:{error_cd, message}} with the codes of
// the reference: AUT4033 client id/secret, AUTH4041 state-cd, TEC4002 app
// key not decryptable, AUTH4033 OTP or session invalid, AUTH4038 session
// expired, AUTH4037 refresh past the API-access window. A request MAC that
// does not verify is RET191106 (the public record names no code for it; this
// one is the emulator's own).

type gstnSession struct {
	token, username, gstin string
	ek                     []byte
	expires, windowEnds    time.Time
}

func gstnError(code, msg string) map[string]any {
	return map[string]any{"status_cd": "0", "error": map[string]string{"error_cd": code, "message": msg}}
}

func (s *Server) gstnRoutes() {
	s.mux.HandleFunc("POST /taxpayerapi/v1.0/authenticate", s.gstnAuthenticate)
	s.mux.HandleFunc("GET /taxpayerapi/v1.0/authenticate", s.gstnEVCOTP)
	s.mux.HandleFunc("POST /taxpayerapi/v1.0/returns/gstr1", s.gstnSave)
	s.mux.HandleFunc("GET /taxpayerapi/v1.0/returns/gstr1", s.gstnSummary)
}

// gstnHeaders checks the headers every GSTN call carries and returns the
// GSTIN and user name, or writes the error.
func (s *Server) gstnHeaders(w http.ResponseWriter, r *http.Request) (gstin, username string, ok bool) {
	h := r.Header
	if !constEq(h.Get("clientid"), ClientID) || !constEq(h.Get("client-secret"), ClientSecret) {
		s.writeJSON(w, 200, gstnError("AUT4033", "Invalid Client Id or Client Secret"))
		return "", "", false
	}
	gstin, username = h.Get("gstin"), h.Get("username")
	sc, err := core.StateCodeOf(gstin)
	if err != nil || h.Get("state-cd") != sc {
		s.writeJSON(w, 200, gstnError("AUTH4041", "Invalid state-cd"))
		return "", "", false
	}
	if h.Get("ip-usr") == "" || h.Get("txn") == "" {
		s.writeJSON(w, 200, gstnError("AUTH4042", "ip-usr and txn headers are required"))
		return "", "", false
	}
	if username != Username {
		s.writeJSON(w, 200, gstnError("AUTH4035", "Invalid username"))
		return "", "", false
	}
	return gstin, username, true
}

func (s *Server) gstnAuthenticate(w http.ResponseWriter, r *http.Request) {
	gstin, username, ok := s.gstnHeaders(w, r)
	if !ok {
		return
	}
	raw, _ := readBody(r)
	var body struct {
		Action    string `json:"action"`
		AppKey    string `json:"app_key"`
		Username  string `json:"username"`
		OTP       string `json:"otp"`
		AuthToken string `json:"auth_token"`
	}
	if json.Unmarshal(raw, &body) != nil || body.Username != username {
		s.writeJSON(w, 200, gstnError("AUTH4036", "Invalid request body"))
		return
	}
	rsaKey := func() ([]byte, bool) {
		ct, err := base64.StdEncoding.DecodeString(body.AppKey)
		if err != nil {
			s.writeJSON(w, 200, gstnError("TEC4002", "Invalid public key or app key encryption"))
			return nil, false
		}
		k, err := gstcrypto.DecryptRSA(s.gstnKey, ct)
		if err != nil || len(k) != 32 {
			s.writeJSON(w, 200, gstnError("TEC4002", "Invalid public key or app key encryption"))
			return nil, false
		}
		return k, true
	}
	now := s.now()
	switch body.Action {
	case "OTPREQUEST":
		k, ok := rsaKey()
		if !ok {
			return
		}
		s.mu.Lock()
		s.gstnOTP[username] = k
		s.mu.Unlock()
		s.writeJSON(w, 200, map[string]string{"status_cd": "1"})
	case "AUTHTOKEN":
		k, ok := rsaKey()
		if !ok {
			return
		}
		otpCT, err := base64.StdEncoding.DecodeString(body.OTP)
		if err != nil {
			s.writeJSON(w, 200, gstnError("AUTH4033", "Invalid OTP"))
			return
		}
		otp, err := gstcrypto.DecryptAESECB(k, otpCT)
		if err != nil || !constEq(string(otp), OTP) {
			s.writeJSON(w, 200, gstnError("AUTH4033", "Invalid OTP"))
			return
		}
		s.issueGSTN(w, &gstnSession{username: username, gstin: gstin, windowEnds: now.Add(s.opts.AccessWindow)}, k, now)
	case "REFRESHTOKEN":
		sess, ok := s.gstnSessionOf(w, body.AuthToken, gstin, now)
		if !ok {
			return
		}
		ct, err := base64.StdEncoding.DecodeString(body.AppKey)
		var k []byte
		if err == nil {
			k, err = gstcrypto.DecryptAESECB(sess.ek, ct) // the new app key under the current session key
		}
		if err != nil || len(k) != 32 {
			s.writeJSON(w, 200, gstnError("TEC4002", "The app key must be encrypted with the session key"))
			return
		}
		if !now.Before(sess.windowEnds) {
			s.writeJSON(w, 200, gstnError("AUTH4037", "API access duration has ended"))
			return
		}
		s.mu.Lock()
		delete(s.gstn, sess.token)
		s.mu.Unlock()
		s.issueGSTN(w, &gstnSession{username: username, gstin: gstin, windowEnds: sess.windowEnds}, k, now)
	case "LOGOUT":
		if _, ok := rsaKey(); !ok {
			return
		}
		sess, ok := s.gstnSessionOf(w, body.AuthToken, gstin, now)
		if !ok {
			return
		}
		s.mu.Lock()
		delete(s.gstn, sess.token)
		s.mu.Unlock()
		s.writeJSON(w, 200, map[string]string{"status_cd": "1"})
	default:
		s.writeJSON(w, 200, gstnError("AUTH4036", "Invalid action"))
	}
}

// issueGSTN makes a session with a fresh EK, sent under the app key.
func (s *Server) issueGSTN(w http.ResponseWriter, sess *gstnSession, appKey []byte, now time.Time) {
	ek, _ := gstcrypto.NewAppKey(nil, nil)
	minutes := int64((s.opts.TokenLifetime + time.Minute - 1) / time.Minute)
	sess.token, sess.ek = randomToken("gstn-"), ek
	sess.expires = now.Add(time.Duration(minutes) * time.Minute)
	if sess.expires.After(sess.windowEnds) {
		sess.expires = sess.windowEnds
	}
	enc, _ := gstcrypto.EncryptAESECB(appKey, ek)
	s.mu.Lock()
	s.gstn[sess.token] = sess
	s.mu.Unlock()
	s.writeJSON(w, 200, map[string]any{"status_cd": "1", "auth_token": sess.token, "expiry": minutes,
		"sek": base64.StdEncoding.EncodeToString(enc)})
}

func (s *Server) gstnSessionOf(w http.ResponseWriter, token, gstin string, now time.Time) (*gstnSession, bool) {
	s.mu.Lock()
	sess := s.gstn[token]
	s.mu.Unlock()
	switch {
	case sess == nil || sess.gstin != gstin:
		s.writeJSON(w, 200, gstnError("AUTH4033", "Invalid Session"))
		return nil, false
	case !now.Before(sess.expires):
		s.writeJSON(w, 200, gstnError("AUTH4038", "Session Expired"))
		return nil, false
	}
	return sess, true
}

func (s *Server) gstnEVCOTP(w http.ResponseWriter, r *http.Request) {
	if _, _, ok := s.gstnHeaders(w, r); !ok {
		return
	}
	q := r.URL.Query()
	if q.Get("action") != "EVCOTP" || q.Get("pan") == "" || q.Get("form_type") == "" {
		s.writeJSON(w, 200, gstnError("AUTH4036", "action=EVCOTP needs pan and form_type"))
		return
	}
	s.writeJSON(w, 200, map[string]string{"status_cd": "1"})
}

func (s *Server) gstnCallSession(w http.ResponseWriter, r *http.Request) (*gstnSession, bool) {
	gstin, _, ok := s.gstnHeaders(w, r)
	if !ok {
		return nil, false
	}
	return s.gstnSessionOf(w, r.Header.Get("auth-token"), gstin, s.now())
}

func (s *Server) gstnSave(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.gstnCallSession(w, r)
	if !ok {
		return
	}
	retPeriod := r.Header.Get("ret_period")
	if len(retPeriod) != 6 {
		s.writeJSON(w, 200, gstnError("RET11401", "ret_period header (MMYYYY) is required"))
		return
	}
	raw, _ := readBody(r)
	var body struct {
		Action string `json:"action"`
		Data   string `json:"data"`
		HMAC   string `json:"hmac"`
	}
	if json.Unmarshal(raw, &body) != nil || body.Action != "RETSAVE" {
		s.writeJSON(w, 200, gstnError("RET11402", "action RETSAVE with data and hmac expected"))
		return
	}
	payload, err := gstcrypto.DecryptGSTNRequest(sess.ek, body.Data, body.HMAC)
	if err != nil || !json.Valid(payload) {
		s.writeJSON(w, 200, gstnError("RET191106", "The request could not be decrypted or its hmac does not match"))
		return
	}
	key := sess.gstin + "|" + retPeriod
	s.mu.Lock()
	s.returns[key] = append(s.returns[key], json.RawMessage(payload))
	s.mu.Unlock()
	ref := "REF" + itoa(100000+s.nextID())
	s.writeEncrypted(w, sess.ek, map[string]string{"reference_id": ref, "status": "saved", "ret_period": retPeriod})
}

func (s *Server) gstnSummary(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.gstnCallSession(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	if q.Get("action") != "RETSUM" || q.Get("gstin") != sess.gstin || len(q.Get("ret_period")) != 6 {
		s.writeJSON(w, 200, gstnError("RET11402", "action=RETSUM with this session's gstin and a ret_period expected"))
		return
	}
	s.mu.Lock()
	saved := append([]json.RawMessage(nil), s.returns[sess.gstin+"|"+q.Get("ret_period")]...)
	s.mu.Unlock()
	s.writeEncrypted(w, sess.ek, map[string]any{"gstin": sess.gstin, "ret_period": q.Get("ret_period"),
		"saved": len(saved), "payloads": saved})
}

func (s *Server) writeEncrypted(w http.ResponseWriter, ek []byte, v any) {
	js, _ := json.Marshal(v)
	resp, err := gstcrypto.EncryptGSTNResponse(nil, ek, js)
	if err != nil {
		s.writeJSON(w, 500, gstnError("SYS500", "encryption failed"))
		return
	}
	s.writeJSON(w, 200, map[string]string{"status_cd": "1", "data": resp.Data, "rek": resp.Rek, "hmac": resp.HMAC})
}

func constEq(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

var _ = strings.HasPrefix
