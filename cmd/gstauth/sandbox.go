package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/gstauth/gstauth/sandbox"
)

func init() {
	register("sandbox", subcommand{"sandbox [--addr 127.0.0.1:8089] [--token-lifetime 6h] [--access-window 720h] [--date-skew 0s] [--ewb-token-codes 238|105/106] [--ewb-auth-limit 5] [--url-file F] [--log]", runSandbox})
}

// runSandbox serves the local GST auth emulator until interrupted. The base
// URL goes to stdout and, when --url-file or $E2E_URL_FILE names a file,
// there too (e2e/scripts/server.sh waits for it).
func runSandbox(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:0", "loopback address to listen on (port 0 picks a free one)")
	lifetime := fs.Duration("token-lifetime", 6*time.Hour, "lifetime of GSTN, NIC and e-way bill tokens")
	window := fs.Duration("access-window", 30*24*time.Hour, "the taxpayer's GSTN API-access window")
	skew := fs.Duration("date-skew", 0, "shift of the server clock and Date header against this host's")
	ewbCodes := fs.String("ewb-token-codes", "238", "e-way bill codes for a bad token on a business call: 238, or 105/106 (105 unknown, 106 expired)")
	ewbLimit := fs.Int("ewb-auth-limit", 5, "e-way bill ACCESSTOKEN requests per GSTIN and user in 15 minutes before 118 (-1: no limit)")
	urlFile := fs.String("url-file", os.Getenv("E2E_URL_FILE"), "file to write the base URL to once listening")
	verbose := fs.Bool("log", false, "log one line per request (method, path, status) to stderr")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	opts := sandbox.Options{TokenLifetime: *lifetime, AccessWindow: *window, DateSkew: *skew, EWBAuthLimit: *ewbLimit}
	switch *ewbCodes {
	case "238":
		opts.EWBTokenCodes = sandbox.EWBTokenCodes238
	case "105/106":
		opts.EWBTokenCodes = sandbox.EWBTokenCodes105106
	default:
		fmt.Fprintln(stderr, "gstauth sandbox: --ewb-token-codes is 238 or 105/106")
		return 2
	}
	if *ewbLimit == 0 {
		fmt.Fprintln(stderr, "gstauth sandbox: --ewb-auth-limit is a positive count, or -1 for no limit")
		return 2
	}
	if *verbose {
		l := log.New(stderr, "sandbox ", log.LstdFlags|log.Lmicroseconds)
		opts.Logf = l.Printf
	}
	srv, err := sandbox.New(opts)
	if err != nil {
		fmt.Fprintln(stderr, "gstauth sandbox:", err)
		return 1
	}
	url, stop, err := srv.Listen(*addr)
	if err != nil {
		fmt.Fprintln(stderr, "gstauth sandbox:", err)
		return 1
	}
	defer stop()
	fmt.Fprintf(stdout, "gstauth sandbox listening on %s\n", url)
	fmt.Fprintf(stdout, "  certificates: %[1]s/_sandbox/certs/gstn.pem %[1]s/_sandbox/certs/nic.pem %[1]s/_sandbox/certs/signing.pem\n", url)
	fmt.Fprintf(stdout, "  client id %q, secret %q, user %q, password %q, GSTN OTP %q (test only)\n",
		sandbox.ClientID, sandbox.ClientSecret, sandbox.Username, sandbox.Password, sandbox.OTP)
	if *urlFile != "" {
		if err := os.WriteFile(*urlFile, []byte(url+"\n"), 0o644); err != nil {
			fmt.Fprintln(stderr, "gstauth sandbox:", err)
			return 1
		}
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	return 0
}
