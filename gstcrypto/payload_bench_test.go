package gstcrypto_test

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/gstauth/gstauth/gstcrypto"
)

// payloadSizes are the sizes the payload path is measured at: a typical
// invoice, a large return section, and a bulk upload.
var payloadSizes = []int{1 << 10, 100 << 10, 5 << 20}

// jsonPayload returns n bytes of JSON-like text, the shape GST payloads have.
func jsonPayload(n int) []byte {
	const item = `{"num":"INV-0001","dt":"01-04-2026","val":11800.5,"pos":"27","rchrg":"N","itms":[{"num":1,"txval":10000,"rt":18}]},`
	b := make([]byte, 0, n)
	b = append(b, '[')
	for len(b) < n-1 {
		b = append(b, item...)
	}
	b = append(b[:n-1], ']')
	return b
}

func benchSizes(b *testing.B, f func(b *testing.B, payload []byte)) {
	for _, n := range payloadSizes {
		b.Run(sizeName(n), func(b *testing.B) {
			p := jsonPayload(n)
			b.SetBytes(int64(n))
			b.ReportAllocs()
			f(b, p)
		})
	}
}

func sizeName(n int) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%dMiB", n>>20)
	}
	return fmt.Sprintf("%dKiB", n>>10)
}

var benchKey = bytes.Repeat([]byte{0x42}, 32)

func BenchmarkEncryptGSTNRequest(b *testing.B) {
	benchSizes(b, func(b *testing.B, p []byte) {
		for b.Loop() {
			if _, err := gstcrypto.EncryptGSTNRequest(benchKey, p); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkDecryptGSTNResponse(b *testing.B) {
	benchSizes(b, func(b *testing.B, p []byte) {
		r, err := gstcrypto.EncryptGSTNResponse(nil, benchKey, p)
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := gstcrypto.DecryptGSTNResponse(benchKey, r.Data, r.Rek, r.HMAC); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkEncryptNICRequest(b *testing.B) {
	benchSizes(b, func(b *testing.B, p []byte) {
		for b.Loop() {
			if _, err := gstcrypto.EncryptNICRequest(benchKey, p); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkDecryptNICResponse(b *testing.B) {
	benchSizes(b, func(b *testing.B, p []byte) {
		data, err := gstcrypto.EncryptNICRequest(benchKey, p)
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := gstcrypto.DecryptNICResponse(benchKey, data); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkDecryptGSTNFile(b *testing.B) {
	benchSizes(b, func(b *testing.B, p []byte) {
		file, hash, err := gstcrypto.EncryptGSTNFile(benchKey, p, "returns_1.json")
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := gstcrypto.DecryptGSTNFile(benchKey, hash, bytes.NewReader(file), io.Discard); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// variedPayload returns n bytes of JSON records that all differ, as the
// invoices of a real return do. jsonPayload repeats one record, so through
// ECB its ciphertext repeats too and gzip shrinks a FILEDET file of it to
// almost nothing; a file of this one is as large as real ones are, and
// inflating it is most of the work.
func variedPayload(n int) []byte {
	b := make([]byte, 0, n+128)
	b = append(b, '[')
	for i := 0; len(b) < n-1; i++ {
		b = fmt.Appendf(b, `{"inum":"S-%08d","idt":"%02d-04-2026","val":%d.%02d,"pos":"%02d","itms":[{"rt":18,"txval":%d}]},`,
			i, i%28+1, i*7919%1000000, i%100, i%37+1, i*104729%99991)
	}
	return append(b[:n-1], ']')
}

func BenchmarkDecryptGSTNFileVaried(b *testing.B) {
	for _, n := range payloadSizes {
		b.Run(sizeName(n), func(b *testing.B) {
			p := variedPayload(n)
			file, hash, err := gstcrypto.EncryptGSTNFile(benchKey, p, "returns_1.json")
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(n))
			b.ReportAllocs()
			b.ReportMetric(float64(len(file))/float64(n), "file-bytes/payload-byte")
			for b.Loop() {
				if _, err := gstcrypto.DecryptGSTNFile(benchKey, hash, bytes.NewReader(file), io.Discard); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
