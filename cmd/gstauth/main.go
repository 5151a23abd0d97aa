// Command gstauth is the command line over gstauth's ops table, for support
// engineers debugging live integrations ("decryption failed" with a real SEK
// and response in hand) and for scripts:
//
//	gstauth call OP                  JSON on stdin → result JSON on stdout; on failure exit 1, error JSON on stdout
//	gstauth call OP --params JSON    a raw op (name ends in _raw): raw bytes on stdin → raw bytes on stdout,
//	                                 meta JSON on stderr; on failure exit 1, error JSON on stdout
//	gstauth ops                      the ops, one per line with its description
//	gstauth version
//	gstauth sandbox [flags]          the local GST auth emulator (docs/sandbox.md)
package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/gstauth/gstauth/internal/abi"
	"github.com/gstauth/gstauth/internal/version"
)

// subcommand is one verb of the CLI. Files of this package add theirs from
// init() with register.
type subcommand struct {
	usage string
	run   func(args []string, stdin io.Reader, stdout, stderr io.Writer) int
}

var subcommands = map[string]subcommand{}

func register(name string, c subcommand) { subcommands[name] = c }

func init() {
	register("call", subcommand{"call OP [--params JSON]", runCall})
	register("ops", subcommand{"ops", runOps})
	register("version", subcommand{"version", func([]string, io.Reader, io.Writer, io.Writer) int {
		fmt.Println("gstauth", version.Version)
		return 0
	}})
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		return 2
	}
	c, ok := subcommands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "gstauth: unknown command %q\n", args[0])
		usage(stderr)
		return 2
	}
	return c.run(args[1:], stdin, stdout, stderr)
}

func usage(w io.Writer) {
	names := make([]string, 0, len(subcommands))
	for n := range subcommands {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(w, "usage:")
	for _, n := range names {
		fmt.Fprintln(w, "  gstauth", subcommands[n].usage)
	}
}

func runCall(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: gstauth call OP [--params JSON]")
		return 2
	}
	op, params, hasParams := args[0], "", false
	for i := 1; i < len(args); i++ {
		switch {
		case args[i] == "--params" && i+1 < len(args):
			params, hasParams = args[i+1], true
			i++
		case strings.HasPrefix(args[i], "--params="):
			params, hasParams = strings.TrimPrefix(args[i], "--params="), true
		default:
			fmt.Fprintf(stderr, "gstauth call: unexpected argument %q\n", args[i])
			return 2
		}
	}
	in, err := io.ReadAll(io.LimitReader(stdin, int64(abi.MaxInputSize)+int64(abi.MaxRawDataSize)+1))
	if err != nil {
		fmt.Fprintln(stderr, "gstauth call: reading stdin:", err)
		return 2
	}
	if strings.HasSuffix(op, "_raw") || hasParams {
		meta, out, ok := abi.CallRaw(op, []byte(params), in)
		if !ok {
			stdout.Write(append(meta, '\n'))
			return 1
		}
		stderr.Write(append(meta, '\n'))
		stdout.Write(out)
		return 0
	}
	out, ok := abi.Call(op, in)
	stdout.Write(append(out, '\n'))
	if !ok {
		return 1
	}
	return 0
}

func runOps(_ []string, _ io.Reader, stdout, _ io.Writer) int {
	for _, n := range abi.Names() {
		op, _ := abi.Lookup(n)
		fmt.Fprintf(stdout, "%-28s %s\n", n, op.Doc)
	}
	return 0
}
