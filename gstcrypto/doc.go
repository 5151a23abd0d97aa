// Package gstcrypto is gstauth's payload cryptography for the GST system:
// what the GSTN taxpayer API, the NIC e-invoice and e-way bill APIs and the
// gateways in front of them ask of a client's bytes, with no state and no
// notion of a session.
//
//   - App keys and session keys: [NewAppKey], [EncryptRSA] (PKCS#1 v1.5,
//     never OAEP), [DecryptSEK].
//   - AES-256-ECB with PKCS#7 ([EncryptAESECB], [DecryptAESECB]), only
//     because the government protocols require ECB.
//   - GSTN payloads b64(AES(EK, b64(json))) with their HMAC
//     ([EncryptGSTNRequest], [DecryptGSTNResponse]), EVC signatures
//     ([SignEVC]) and FILEDET downloads, streamed ([NewGSTNFileReader]).
//   - NIC payloads b64(AES(SEK, json)) ([EncryptNICRequest],
//     [DecryptNICResponse], with Rek and Hmac [DecryptNICResponseRek]), the
//     auth payload to NIC's key ([EncryptNICAuthPayload]) and e-way bill
//     error fields ([DecodeEWBError]).
//   - Signed e-invoices and QR codes verified ([VerifySignedJWT]),
//     RSA-SHA256 request signing ([SignRSASHA256]) with PEM keys or PKCS#12
//     files ([ParsePKCS12]), certificates ([ParseCertificates]).
//   - OAuth and exchange helpers: PKCE ([PKCES256], [NewPKCE]), state
//     ([NewState], [CheckState]) and WhiteBIT request signatures
//     ([SignWhiteBIT]).
//
// Every function is pure: time never enters, and randomness comes from a
// reader the caller may replace (nil means crypto/rand). Every error is an
// [*Error] with a stable [Code]; every decryption, padding and MAC failure
// is the one error of [NewDecryptError], so no failure serves as an oracle.
// Sizes an attacker controls are checked against their limits (limits.go)
// before anything is allocated for them.
//
// The payloads go through in one pass over cache-sized chunks, and large ones
// on two cores (passes.go); docs/performance.md has the measurements.
//
// The token lifecycle built on top of this package (sessions, the planner,
// the providers' requests and responses, sealing) is package core.
package gstcrypto
