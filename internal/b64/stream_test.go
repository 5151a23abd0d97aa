package b64

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// wholeText is what NewStreamDecoder must give for text: StdEncoding's
// decoding of the whole groups of the text without its line breaks, then
// io.ErrUnexpectedEOF if characters are left.
func wholeText(text []byte) ([]byte, error) {
	s := strings.NewReplacer("\r", "", "\n", "").Replace(string(text))
	out, err := base64.StdEncoding.DecodeString(s[:len(s)/4*4])
	if err != nil {
		return nil, base64.CorruptInputError(0)
	}
	if len(s)%4 != 0 {
		return nil, io.ErrUnexpectedEOF
	}
	return out, nil
}

// readers gives text to a reader in several shapes of reads.
func readers(text []byte) map[string]io.Reader {
	return map[string]io.Reader{
		"whole":    bytes.NewReader(text),
		"one byte": iotest.OneByteReader(bytes.NewReader(text)),
		"half":     iotest.HalfReader(bytes.NewReader(text)),
		"data+EOF": iotest.DataErrReader(bytes.NewReader(text)),
	}
}

func checkStream(t *testing.T, text []byte) {
	t.Helper()
	want, wantErr := wholeText(text)
	for name, r := range readers(text) {
		got, err := io.ReadAll(NewStreamDecoder(r))
		var ce base64.CorruptInputError
		switch {
		case wantErr == nil && (err != nil || !bytes.Equal(got, want)):
			t.Fatalf("%s reads of %q: %q, %v; want %q", name, text, got, err, want)
		case errors.As(wantErr, &ce) && !errors.As(err, &ce):
			t.Fatalf("%s reads of %q: %v; want a CorruptInputError", name, text, err)
		case wantErr == io.ErrUnexpectedEOF && err != io.ErrUnexpectedEOF:
			t.Fatalf("%s reads of %q: %v; want io.ErrUnexpectedEOF", name, text, err)
		}
	}
	// Where no padding comes before the end, encoding/base64's own reader
	// agrees byte for byte and error for error.
	s := strings.NewReplacer("\r", "", "\n", "").Replace(string(text))
	if !strings.Contains(strings.TrimRight(s, "="), "=") {
		oldOut, oldErr := io.ReadAll(base64.NewDecoder(base64.StdEncoding, bytes.NewReader(text)))
		got, err := io.ReadAll(NewStreamDecoder(bytes.NewReader(text)))
		var ce base64.CorruptInputError
		if (oldErr == nil) != (err == nil) || (oldErr == nil && !bytes.Equal(got, oldOut)) ||
			errors.As(oldErr, &ce) != errors.As(err, &ce) || (oldErr == io.ErrUnexpectedEOF) != (err == io.ErrUnexpectedEOF) {
			t.Fatalf("%q: %q, %v; encoding/base64's reader gives %q, %v", text, got, err, oldOut, oldErr)
		}
	}
}

func TestStreamDecoder(t *testing.T) {
	long := Encode(bytes.Repeat([]byte("FILEDET member \x00\xff"), 5000))
	cases := map[string][]byte{
		"empty":                        {},
		"one group":                    []byte("QUJD"),
		"padding":                      []byte("QUI="),
		"non-canonical bits":           []byte("QUJ="),
		"line breaks":                  []byte("QU\r\nJD\nQQ=\n="),
		"long":                         long,
		"long with CRLF every 76":      wrap(long, 76),
		"truncated group":              long[:len(long)-1],
		"bad byte":                     append(append([]byte(nil), long[:40000]...), append([]byte("!"), long[40001:]...)...),
		"text after padding":           []byte("QQ==QUJD"),
		"text after padding, far":      append(append([]byte(nil), long...), long...),
		"two characters after padding": []byte("QQ==QU"),
	}
	for name, text := range cases {
		t.Run(name, func(t *testing.T) { checkStream(t, text) })
	}
}

func wrap(b []byte, n int) []byte {
	var out []byte
	for len(b) > n {
		out = append(append(out, b[:n]...), '\r', '\n')
		b = b[n:]
	}
	return append(out, b...)
}

// FuzzStreamDecoder: any text, read in any of several shapes, decodes as
// the whole text does, and as encoding/base64's reader does where padding
// comes only at the end.
func FuzzStreamDecoder(f *testing.F) {
	f.Add([]byte("QU\r\nJD\nQQ=\n="))
	f.Add([]byte("QQ==QUJD"))
	f.Add(wrap(Encode(bytes.Repeat([]byte{0xfe, 0x01}, 200)), 64))
	f.Fuzz(func(t *testing.T, text []byte) { checkStream(t, text) })
}

func BenchmarkStreamDecoder(b *testing.B) {
	text := Encode(bytes.Repeat([]byte("FILEDET member \x00\xff"), 300000))
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if _, err := io.Copy(io.Discard, NewStreamDecoder(bytes.NewReader(text))); err != nil {
			b.Fatal(err)
		}
	}
}
