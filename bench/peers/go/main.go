// Command go is the Go column of make bench-peers: a GSTN request encryption
// (b64(AES-256-ECB(EK, b64(json))) and b64(HMAC-SHA256(EK, b64(json)))) by
// gstauth's gstcrypto and by a peer written with the standard library alone
// (encoding/base64, crypto/aes one block at a time, crypto/hmac), checked to
// give the same bytes, at the sizes named on the command line. One JSON line
// per (implementation, size) on stdout: {lang, impl, size, ns_per_op}.
package main

import (
	"bytes"
	"crypto/aes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
	"time"

	"github.com/gstauth/gstauth/gstcrypto"
)

// peer is the pipeline as GST integrations write it with Go's standard
// library.
func peer(ek, payload []byte) ([]byte, string) {
	p := make([]byte, base64.StdEncoding.EncodedLen(len(payload)))
	base64.StdEncoding.Encode(p, payload)
	mac := hmac.New(sha256.New, ek)
	mac.Write(p)
	tag := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	pad := aes.BlockSize - len(p)%aes.BlockSize
	buf := make([]byte, len(p)+pad)
	copy(buf, p)
	for i := len(p); i < len(buf); i++ {
		buf[i] = byte(pad)
	}
	block, _ := aes.NewCipher(ek)
	for i := 0; i < len(buf); i += aes.BlockSize {
		block.Encrypt(buf[i:i+aes.BlockSize], buf[i:i+aes.BlockSize])
	}
	out := make([]byte, base64.StdEncoding.EncodedLen(len(buf)))
	base64.StdEncoding.Encode(out, buf)
	return out, tag
}

// payloadOf is a JSON document of about n bytes, the same in every language's
// runner: {"gstin":"27AAACR5055K1Z7","b2b":"xxxx…"}.
func payloadOf(n int) []byte {
	head := `{"gstin":"27AAACR5055K1Z7","b2b":"`
	fill := n - len(head) - 2
	return []byte(head + string(bytes.Repeat([]byte("x"), max(fill, 0))) + `"}`)
}

// timeNs is the median time of one call over rounds of repeated calls,
// each round at least 50 ms.
func timeNs(fn func()) float64 {
	fn()
	n := 1
	for {
		t := time.Now()
		for i := 0; i < n; i++ {
			fn()
		}
		if time.Since(t) > 50*time.Millisecond {
			break
		}
		n *= 2
	}
	var rounds []float64
	for r := 0; r < 7; r++ {
		t := time.Now()
		for i := 0; i < n; i++ {
			fn()
		}
		rounds = append(rounds, float64(time.Since(t).Nanoseconds())/float64(n))
	}
	sort.Float64s(rounds)
	return rounds[len(rounds)/2]
}

func main() {
	ek := bytes.Repeat([]byte{7}, 32)
	enc := json.NewEncoder(os.Stdout)
	for _, arg := range os.Args[1:] {
		size, err := strconv.Atoi(arg)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench-peers go: sizes are numbers of bytes")
			os.Exit(2)
		}
		payload := payloadOf(size)
		data, mac, err := gstcrypto.EncryptGSTNRequestData(ek, payload)
		pd, pm := peer(ek, payload)
		if err != nil || !bytes.Equal(data, pd) || mac != pm {
			fmt.Fprintln(os.Stderr, "bench-peers go: gstauth and the peer disagree")
			os.Exit(1)
		}
		enc.Encode(map[string]any{"lang": "go", "impl": "gstauth", "size": size,
			"ns_per_op": timeNs(func() { gstcrypto.EncryptGSTNRequestData(ek, payload) })})
		enc.Encode(map[string]any{"lang": "go", "impl": "peer", "size": size,
			"ns_per_op": timeNs(func() { peer(ek, payload) })})
	}
}
