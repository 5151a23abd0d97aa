package b64

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

// reference is the codec as it was before the SIMD one, written with
// encoding/base64 alone: the rule every answer of Decode must match.
func reference(s []byte, limit int) ([]byte, error) {
	ref := base64.StdEncoding.Strict()
	if ref.DecodedLen(len(s)) > limit+2 {
		return nil, ErrTooLarge
	}
	if bytes.IndexByte(s, '\n') >= 0 || bytes.IndexByte(s, '\r') >= 0 {
		return nil, ErrLineBreak
	}
	dst := make([]byte, ref.DecodedLen(len(s)))
	n, err := ref.Decode(dst, s)
	if err != nil {
		return nil, ErrInvalid
	}
	if n > limit {
		return nil, ErrTooLarge
	}
	return dst[:n], nil
}

// checkAgainstReference fails unless Decode and DecodeTo answer s exactly
// as reference does.
func checkAgainstReference(t *testing.T, s []byte, limit int) {
	t.Helper()
	want, wantErr := reference(s, limit)
	got, err := Decode(s, limit)
	if !errors.Is(err, wantErr) || (err == nil) != (wantErr == nil) || !bytes.Equal(got, want) {
		t.Fatalf("Decode(%q, %d) = %q, %v; encoding/base64 says %q, %v", s, limit, got, err, want, wantErr)
	}
	if wantErr == ErrTooLarge {
		return
	}
	dst := make([]byte, DecodedLen(len(s)))
	n, err := DecodeTo(dst, s)
	if !errors.Is(err, wantErr) || (err == nil) != (wantErr == nil) || (err == nil && !bytes.Equal(dst[:n], want)) {
		t.Fatalf("DecodeTo(%q) = %q, %v; encoding/base64 says %q, %v", s, dst[:n], err, want, wantErr)
	}
}

// long is a valid text long enough for the SIMD loops, so that a bad byte
// placed in it lands inside them.
var long = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("gstauth payload \x00\xff\x80"), 20))

func TestDecodeMatchesEncodingBase64(t *testing.T) {
	cases := map[string]string{
		"empty":                        "",
		"one quad":                     "QUJD",
		"one pad":                      "QUI=",
		"two pads":                     "QQ==",
		"non-canonical bits, one pad":  "QUJ=",
		"non-canonical bits, two pads": "QR==",
		"three pads":                   "Q===",
		"no padding":                   "QUI",
		"pad inside":                   "QQ==QUJD",
		"long":                         long,
		"long, LF at end":              long + "\n",
		"long, CRLF inside":            long[:64] + "\r\n" + long[64:],
		"long, four LFs inside":        long[:64] + "\n\n\n\n" + long[64:],
		"long, LF in padding":          long[:len(long)-1] + "\n=",
		"long, bad byte in SIMD part":  long[:40] + "!" + long[41:],
		"long, bad byte and a LF":      long[:40] + "!" + long[41:100] + "\n" + long[100:],
		"long, pad in SIMD part":       long[:40] + "=" + long[41:],
		"long, space":                  long[:80] + " " + long[81:],
		"long, URL alphabet":           strings.NewReplacer("+", "-", "/", "_").Replace(long),
		"long, truncated":              long[:len(long)-1],
		"long, non-canonical end":      long[:len(long)-4] + "QUJ=",
		"long, NUL":                    long[:50] + "\x00" + long[51:],
		"long, high byte":              long[:50] + "\xc3" + long[51:],
	}
	for name, s := range cases {
		t.Run(name, func(t *testing.T) {
			checkAgainstReference(t, []byte(s), 1<<20)
		})
	}
}

func TestDecodeLimitComesFirst(t *testing.T) {
	// 8 bytes of text are at most 6 bytes: a limit of 4 (6 > 4+2 fails, so
	// 5 needed) decides from the length alone, before decoding.
	for _, c := range []struct {
		text  string
		limit int
		want  error
	}{
		{"QUJDREVG", 6, nil},
		{"QUJDREVG", 5, ErrTooLarge},
		{"QUJDREU=", 5, nil},
		{"QUJDRA==", 4, nil},
		{"QUJDREU=", 4, ErrTooLarge},
		{"!!!!!!!!", 3, ErrTooLarge},
		{"!!!!!!!!", 4, ErrInvalid},
		{"\n\n\n\n\n\n\n\n", 3, ErrTooLarge},
	} {
		_, err := Decode([]byte(c.text), c.limit)
		if err != c.want {
			t.Errorf("Decode(%q, %d): %v; want %v", c.text, c.limit, err, c.want)
		}
		checkAgainstReference(t, []byte(c.text), c.limit)
	}
}

func TestEncodeMatchesEncodingBase64(t *testing.T) {
	for n := 0; n <= 300; n++ {
		b := bytes.Repeat([]byte{0xfb, 0xef, 0x00, 'a', 0x3f}, n/5+1)[:n]
		want := base64.StdEncoding.EncodeToString(b)
		if got := EncodeToString(b); got != want {
			t.Fatalf("n=%d: %q; want %q", n, got, want)
		}
		if EncodedLen(n) != len(want) {
			t.Fatalf("n=%d: EncodedLen %d", n, EncodedLen(n))
		}
	}
}

// FuzzDecode: for any text and limit, Decode and DecodeTo give what
// encoding/base64's StdEncoding.Strict() with our CR/LF rule gives: the same
// bytes, or the same one of ErrTooLarge, ErrLineBreak and ErrInvalid.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(long), 1<<20)
	f.Add([]byte(long[:64]+"\r\n"+long[64:]), 1<<20)
	f.Add([]byte(long[:64]+"\n\n\n\n"+long[64:]), 1<<20)
	f.Add([]byte(long[:40]+"="+long[41:]), 1<<20)
	f.Add([]byte(long[:len(long)-4]+"QUJ="), 1<<20)
	f.Add([]byte("QQ=="), 0)
	f.Add([]byte("QR=="), 1)
	f.Fuzz(func(t *testing.T, s []byte, limit int) {
		if limit < 0 || limit > 1<<20 {
			limit = 1 << 20
		}
		checkAgainstReference(t, s, limit)
	})
}

// FuzzEncode: Encode writes exactly what encoding/base64 writes, and
// Decode takes it back.
func FuzzEncode(f *testing.F) {
	f.Add([]byte{})
	f.Add(bytes.Repeat([]byte{0xff, 0x00, 0x7f}, 100))
	f.Fuzz(func(t *testing.T, b []byte) {
		got := Encode(b)
		if want := base64.StdEncoding.EncodeToString(b); string(got) != want {
			t.Fatalf("Encode(%x) = %q; want %q", b, got, want)
		}
		back, err := Decode(got, len(b))
		if err != nil || !bytes.Equal(back, b) {
			t.Fatalf("round trip: %x, %v", back, err)
		}
	})
}
