package gstcrypto

import (
	"bytes"
	"crypto/aes"
	"encoding/base64"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gstauth/gstauth/internal/ecb"
)

// The chunked, fused and two-core passes (passes.go) must give exactly what
// the stages give when each runs over the whole payload. The references
// below are those stages, written with encoding/base64 and crypto/aes alone,
// the way the payload path was written before the passes.

func refStrictDecode(s []byte) ([]byte, bool) {
	if bytes.ContainsAny(s, "\r\n") {
		return nil, false
	}
	out, err := base64.StdEncoding.Strict().DecodeString(string(s))
	return out, err == nil
}

func refSealGSTN(key, payload []byte) (data, mac string) {
	p := []byte(base64.StdEncoding.EncodeToString(payload))
	return base64.StdEncoding.EncodeToString(ecbByHand(key, p)), base64.StdEncoding.EncodeToString(cryptoHMAC(key, p))
}

func refSealNIC(key, payload []byte) string {
	return base64.StdEncoding.EncodeToString(ecbByHand(key, payload))
}

// refOpen is the old open of a data field: decode it whole (strict, line
// breaks refused first), decrypt, unpad; then for GSTN check the MAC over
// the plaintext and decode it, for NIC Rek check the MAC over its base64.
// It returns the payload or the error's code and message.
func refOpen(kind string, key, data, tag []byte, limit int) ([]byte, string) {
	field := map[string]string{"gstn": "data", "nic": "Data", "nicrek": "Data"}[kind]
	if base64.StdEncoding.DecodedLen(len(data)) > limit+2 {
		return nil, string(CodeTooLarge)
	}
	if bytes.ContainsAny(data, "\r\n") {
		return nil, string(CodeInvalidInput) + ": " + field + " is not standard base64 with padding (it has a line break)"
	}
	ct, ok := refStrictDecode(data)
	if !ok {
		return nil, string(CodeInvalidInput) + ": " + field + " is not standard base64 with padding"
	}
	if len(ct) > limit {
		return nil, string(CodeTooLarge)
	}
	decryptFailed := string(CodeDecryptFailed) + ": decryption failed"
	if len(ct) == 0 || len(ct)%16 != 0 {
		return nil, decryptFailed
	}
	b, _ := aes.NewCipher(key)
	for i := 0; i < len(ct); i += 16 {
		b.Decrypt(ct[i:i+16], ct[i:i+16])
	}
	pad := int(ct[len(ct)-1])
	if pad < 1 || pad > 16 || !bytes.Equal(ct[len(ct)-pad:], bytes.Repeat([]byte{byte(pad)}, pad)) {
		return nil, decryptFailed
	}
	p := ct[:len(ct)-pad]
	switch kind {
	case "nic":
		return p, ""
	case "nicrek":
		if !bytes.Equal(cryptoHMAC(key, []byte(base64.StdEncoding.EncodeToString(p))), tag) {
			return nil, decryptFailed
		}
		return p, ""
	}
	if !bytes.Equal(cryptoHMAC(key, p), tag) {
		return nil, decryptFailed
	}
	out, ok := refStrictDecode(p)
	if !ok {
		return nil, string(CodeInvalidInput) + ": the decrypted payload is not base64 (is this a NIC response?)"
	}
	return out, ""
}

// open runs the production open of a kind and returns what refOpen does.
func open(kind string, key, data, tag []byte) ([]byte, string) {
	var out []byte
	var err error
	switch kind {
	case "gstn":
		out, err = openGSTNData(key, data, tag)
	case "nic":
		out, err = openNICPayload(key, data)
	case "nicrek":
		f := newMACFollower(key, true)
		var buf []byte
		var n int
		buf, n, err = decryptField("Data", nicDataLimit, ecb.New(key), data, f)
		if err == nil {
			out, err = verifyPaddingAndMAC(f, buf, n, tag, nil)
		}
	}
	if err != nil {
		e := err.(*Error)
		if e.Code == CodeTooLarge {
			return nil, string(CodeTooLarge)
		}
		return nil, string(e.Code) + ": " + e.Message
	}
	return out, ""
}

// passSizes sit on and around every boundary of the passes: chunks, the
// two-core threshold, the split points, and the small sizes.
func passSizes() []int {
	sizes := []int{0, 1, 2, 3, 15, 16, 17, 35, 36, 37, 47, 48, 49, 1000, 1 << 10}
	oneChunk := 0 // the largest payload sealGSTNOneChunk takes
	for oneChunkSeal(oneChunk + 1) {
		oneChunk++
	}
	for _, b := range []int{oneChunk, gstnChunk, nicChunk, textChunk / 4 * 3, 2 * gstnChunk, 2 * nicChunk, parallelMin, parallelMin + 5*nicChunk} {
		for _, d := range []int{-49, -48, -17, -16, -3, -1, 0, 1, 2, 16, 47} {
			sizes = append(sizes, b+d)
		}
	}
	return sizes
}

// withCores runs f with GOMAXPROCS 1 (one pass on one core) and 2 (the
// two-core passes for large payloads).
func withCores(t *testing.T, f func(t *testing.T)) {
	for _, procs := range []int{1, 2} {
		t.Run(fmt.Sprintf("procs=%d", procs), func(t *testing.T) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			f(t)
		})
	}
}

func TestPassesMatchWholePayloadStages(t *testing.T) {
	key := testKey32(40)
	withCores(t, func(t *testing.T) {
		for _, n := range passSizes() {
			payload := bytes.Repeat([]byte(`{"inum":"S-1","val":1.5,"x":"\u00e9"},`), n/38+1)[:n]
			wantData, wantMAC := refSealGSTN(key, payload)
			r, err := EncryptGSTNRequest(key, payload)
			if err != nil || r.Data != wantData || r.HMAC != wantMAC {
				t.Fatalf("n=%d: the GSTN request differs from the whole-payload stages (%v)", n, err)
			}
			wantNIC := refSealNIC(key, payload)
			nic, err := EncryptNICRequest(key, payload)
			if err != nil || nic != wantNIC {
				t.Fatalf("n=%d: the NIC request differs from the whole-payload stages (%v)", n, err)
			}
			file, hash, err := EncryptGSTNFile(key, payload, "r.json")
			var back bytes.Buffer
			if err == nil {
				_, err = DecryptGSTNFile(key, hash, bytes.NewReader(file), &back)
			}
			if err != nil || !bytes.Equal(back.Bytes(), payload) {
				t.Fatalf("n=%d: the FILEDET round trip differs (%v)", n, err)
			}
			tag := cryptoHMAC(key, []byte(base64.StdEncoding.EncodeToString(payload)))
			rekTag := cryptoHMAC(key, []byte(base64.StdEncoding.EncodeToString(payload)))
			for kind, data := range map[string]string{"gstn": wantData, "nic": wantNIC, "nicrek": wantNIC} {
				tg := tag
				if kind == "nicrek" {
					tg = rekTag
				}
				got, msg := open(kind, key, []byte(data), tg)
				if msg != "" || !bytes.Equal(got, payload) {
					t.Fatalf("n=%d %s: open gave %q", n, kind, msg)
				}
			}
		}
	})
}

// TestOpenErrorsMatchWholeFieldDecoding puts one bad byte, a line break or a
// padding character on and around the chunk and split boundaries of large
// data fields: every open must answer what decoding the field whole does.
func TestOpenErrorsMatchWholeFieldDecoding(t *testing.T) {
	key := testKey32(41)
	payload := bytes.Repeat([]byte(`{"ctin":"27AAAAA0000A1Z5","val":729248.16},`), (parallelMin+3*nicChunk)/43)
	gstnData, _ := refSealGSTN(key, payload)
	nicData := refSealNIC(key, payload)
	tag := cryptoHMAC(key, []byte(base64.StdEncoding.EncodeToString(payload)))
	type mutation struct {
		name string
		f    func(s string, at int) string
	}
	mutations := []mutation{
		{"bad byte", func(s string, at int) string { return s[:at] + "!" + s[at+1:] }},
		{"pad", func(s string, at int) string { return s[:at] + "=" + s[at+1:] }},
		{"two pads", func(s string, at int) string { return s[:at] + "==" + s[at+2:] }},
		{"LF", func(s string, at int) string { return s[:at] + "\n" + s[at:] }},
		{"four LFs", func(s string, at int) string { return s[:at] + "\n\n\n\n" + s[at:] }},
		{"CRLF late, bad byte early", func(s string, at int) string {
			at = max(at, 4)
			return s[:3] + "!" + s[4:at] + "\r\n" + s[at:]
		}},
		{"cut", func(s string, at int) string { return s[:at] }},
		{"cut a block", func(s string, at int) string { return s[:len(s)-24] + "AAAAAAAA" }},
	}
	withCores(t, func(t *testing.T) {
		for kind, data := range map[string]string{"gstn": gstnData, "nic": nicData, "nicrek": nicData} {
			split := len(data) / 2 / textChunk * textChunk
			for _, at := range []int{1, textChunk - 2, textChunk - 1, textChunk, 2*textChunk - 1, split - 1, split, split + 1, len(data) - 5, len(data) - 2} {
				for _, m := range mutations {
					d := []byte(m.f(data, at))
					want, wantMsg := refOpen(kind, key, d, tag, map[string]int{"gstn": gstnDataLimit, "nic": nicDataLimit, "nicrek": nicDataLimit}[kind])
					got, msg := open(kind, key, d, tag)
					if msg != wantMsg || !bytes.Equal(got, want) {
						t.Fatalf("%s, %s at %d: %q; whole-field decoding says %q", kind, m.name, at, msg, wantMsg)
					}
				}
			}
		}
	})
}

// TestBadPaddingTakesTheMACPath: a GSTN or NIC Rek response whose padding is
// bad goes the way of one whose MAC is bad. The MAC is computed in both
// cases — over the plaintext without its padding, or over all of it when the
// padding is bad — and both fail with the one decrypt error.
func TestBadPaddingTakesTheMACPath(t *testing.T) {
	ek := testKey32(42)
	rek := testKey32(43)
	encRek := base64.StdEncoding.EncodeToString(ecbByHand(ek, rek))
	for _, n := range []int{10, 3000, parallelMin + 1000} {
		payload := bytes.Repeat([]byte("{}"), n/2)
		text := []byte(base64.StdEncoding.EncodeToString(payload))
		nicText := payload
		// The padding replaced by bytes that are no padding: the last block
		// ends in 0x00.
		badPad := func(p []byte) string {
			blocks := append([]byte(nil), p...)
			blocks = append(blocks, bytes.Repeat([]byte{'x'}, 16-len(blocks)%16)...)
			blocks[len(blocks)-1] = 0
			return base64.StdEncoding.EncodeToString(rawECB(rek, blocks))
		}
		goodPad := func(p []byte) string { return base64.StdEncoding.EncodeToString(ecbByHand(rek, p)) }
		wrongMAC := base64.StdEncoding.EncodeToString(make([]byte, 32))
		cases := []struct {
			name      string
			decrypt   func() error
			macLength int
		}{
			{"GSTN bad padding", func() error {
				_, err := DecryptGSTNResponse(ek, badPad(text), encRek, wrongMAC)
				return err
			}, len(text) + 16 - len(text)%16},
			{"GSTN bad MAC", func() error {
				_, err := DecryptGSTNResponse(ek, goodPad(text), encRek, wrongMAC)
				return err
			}, len(text)},
			{"GSTN request bad padding", func() error {
				_, err := DecryptGSTNRequest(rek, badPad(text), wrongMAC)
				return err
			}, len(text) + 16 - len(text)%16},
			{"NIC Rek bad padding", func() error {
				_, err := DecryptNICResponseRek(ek, badPad(nicText), encRek, wrongMAC)
				return err
			}, len(nicText) + 16 - len(nicText)%16},
			{"NIC Rek bad MAC", func() error {
				_, err := DecryptNICResponseRek(ek, goodPad(nicText), encRek, wrongMAC)
				return err
			}, len(nicText)},
		}
		withCores(t, func(t *testing.T) {
			for _, c := range cases {
				var macd []int
				testHookMAC = func(n int) { macd = append(macd, n) }
				err := c.decrypt()
				testHookMAC = nil
				if err == nil || err.Error() != NewDecryptError().Error() {
					t.Fatalf("n=%d %s: %v; want the one decrypt error", n, c.name, err)
				}
				if len(macd) != 1 || macd[0] != c.macLength {
					t.Fatalf("n=%d %s: MACs computed over %v bytes; want one over %d", n, c.name, macd, c.macLength)
				}
			}
		})
	}
}

// TestSecondCoreFollowerStops: a large field that fails to decode, or whose
// length is not whole blocks, leaves no goroutine behind.
func TestSecondCoreFollowerStops(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("one core")
	}
	key := testKey32(44)
	data, _ := refSealGSTN(key, bytes.Repeat([]byte("a"), 2*parallelMin))
	before := runtime.NumGoroutine()
	for range 20 {
		_, err := DecryptGSTNRequest(key, data[:len(data)-100]+strings.Repeat("!", 100), "AAAA")
		wantCode(t, err, CodeInvalidInput)
		_, err = DecryptGSTNRequest(key, data[:len(data)-24]+"AAAAAAAA", "AAAA")
		wantCode(t, err, CodeDecryptFailed)
	}
	// A goroutine that has delivered its MAC may take a moment to exit; a
	// leaked one never does.
	for deadline := time.Now().Add(2 * time.Second); runtime.NumGoroutine() > before && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if runtime.NumGoroutine() > before {
		t.Fatalf("%d goroutines left behind", runtime.NumGoroutine()-before)
	}
}

// TestSealsAllocateLittleMoreThanTheirOutput: a 5 MiB payload's seal
// allocates its output and a few chunk buffers, not whole intermediate
// stages (the target is at most 1.5 times the output).
func TestSealsAllocateLittleMoreThanTheirOutput(t *testing.T) {
	key := testKey32(45)
	payload := bytes.Repeat([]byte(`{"inum":"S-1","val":1.5},`), 5<<20/25)
	withCores(t, func(t *testing.T) {
		var gstn GSTNRequest
		var nic string
		var err error
		a := allocatedBy(func() { gstn, err = EncryptGSTNRequest(key, payload) })
		wantCode(t, err, "")
		if limit := uint64(len(gstn.Data)) * 3 / 2; a > limit {
			t.Errorf("a GSTN request of %d bytes allocated %d", len(gstn.Data), a)
		}
		a = allocatedBy(func() { nic, err = EncryptNICRequest(key, payload) })
		wantCode(t, err, "")
		if limit := uint64(len(nic)) * 3 / 2; a > limit {
			t.Errorf("a NIC request of %d bytes allocated %d", len(nic), a)
		}
	})
}
