// Command fleet is the fleet test's orchestrator (README.md): it starts the
// servers of each scenario on loopback, logs the GSTN session in once,
// starts the workers of every language whose worker exists, acts on them
// (kill -9 of a lease holder mid-refresh, a Redis restart), waits for
// their summaries, and checks the servers' counts: exactly one refresh per
// session per window, no request with an expired token, no OTP request
// after the first. It prints the counts.
//
//	go run ./e2e/fleet                 the test (make test-fleet)
//	go run ./e2e/fleet -demo           a small fleet: one session, one refresh (make demo-fleet)
//
// Environment:
//
//	GSTAUTH_FLEET_LANGUAGES  languages to run, comma-separated (default go,python,java,node);
//	                         a language whose worker does not exist yet is skipped, and said so
//	GSTAUTH_FLEET_SCENARIOS  scenarios to run (default file,redis,cluster)
//	GSTAUTH_FLEET_DURATION   how long the workers run (default 250s: five GSTN windows and more)
//	GSTAUTH_FLEET_PYTHON     the Python that runs the Python worker (default python3)
//	GSTAUTH_FLEET_INSTANCE   prefixes the instance names of the servers it starts (default fleet-<pid>):
//	                         <prefix>-<scenario>-oauth, <prefix>-<scenario> (Redis)
//
// The scenarios run at the same time, each with servers of its own.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	demo := flag.Bool("demo", false, "a small fleet: Go, Python and Node workers, one e-invoice session, one refresh")
	flag.Parse()
	os.Exit(orchestrate(*demo))
}

// scenarios are the test's, by name.
func scenarios(duration time.Duration) map[string]scenario {
	base := scenario{sessions: []string{"gstn", "einvoice", "oauth"}, perLanguage: 4, duration: duration,
		tokenLifetime: 30 * time.Second, oauthTTL: 30 * time.Second, leaseTTL: 5 * time.Second, minRefreshes: 5}
	file, rds, cluster := base, base, base
	file.name, file.store, file.kill = "file", "file", true
	rds.name, rds.store, rds.restart = "redis", "redis", true
	cluster.name, cluster.store = "cluster", "cluster"
	return map[string]scenario{"file": file, "redis": rds, "cluster": cluster}
}

// demoScenario is the demo: 2 workers of each of Go, Python and Node
// (those that exist), one e-invoice session of 20 s tokens on the file
// store, for one refresh.
func demoScenario() scenario {
	return scenario{name: "demo", store: "file", sessions: []string{"einvoice"}, perLanguage: 2, duration: 20 * time.Second,
		tokenLifetime: 20 * time.Second, leaseTTL: 5 * time.Second, exactRefreshes: 1}
}

func orchestrate(demo bool) int {
	started := time.Now()
	root, err := repoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "fleet:", err)
		return 2
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()

	asked := os.Getenv("GSTAUTH_FLEET_LANGUAGES")
	var list []scenario
	if demo {
		if asked == "" {
			asked = "go,python,node"
		}
		list = []scenario{demoScenario()}
	} else {
		duration := 250 * time.Second
		if d := os.Getenv("GSTAUTH_FLEET_DURATION"); d != "" {
			if duration, err = time.ParseDuration(d); err != nil {
				fmt.Fprintln(os.Stderr, "fleet: GSTAUTH_FLEET_DURATION:", err)
				return 2
			}
		}
		all := scenarios(duration)
		names := os.Getenv("GSTAUTH_FLEET_SCENARIOS")
		if names == "" {
			names = "file,redis,cluster"
		}
		for _, n := range strings.Split(names, ",") {
			sc, ok := all[strings.TrimSpace(n)]
			if !ok {
				fmt.Fprintf(os.Stderr, "fleet: unknown scenario %q (file, redis, cluster)\n", n)
				return 2
			}
			list = append(list, sc)
		}
	}
	langs, err := chooseLanguages(root, asked)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fleet:", err)
		return 2
	}
	bin, err := os.MkdirTemp("", "gstauth-fleet-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "fleet:", err)
		return 2
	}
	defer os.RemoveAll(bin)
	for _, l := range langs {
		if l.name == "go" {
			if err := buildGoWorker(ctx, root, bin); err != nil {
				fmt.Fprintln(os.Stderr, "fleet:", err)
				return 1
			}
		}
	}
	var names []string
	for _, l := range langs {
		names = append(names, l.name)
	}
	var scNames []string
	for _, sc := range list {
		scNames = append(scNames, sc.name)
	}
	if demo {
		fmt.Printf("fleet demo: %d processes (%s) share one NIC e-invoice session of 20 s tokens through one file store for 20 s;\n"+
			"the emulator must count one login and one refresh, made by whichever process held the store's lease\n",
			list[0].perLanguage*len(langs), strings.Join(names, ", "))
	} else {
		fmt.Printf("fleet: scenarios %s at once; languages %s\n", strings.Join(scNames, ", "), strings.Join(names, ", "))
	}

	e := env{root: root, bin: bin, languages: langs, instance: envOr("GSTAUTH_FLEET_INSTANCE", fmt.Sprintf("fleet-%d", os.Getpid()))}
	var wg sync.WaitGroup
	var mu sync.Mutex
	failed := 0
	for _, sc := range list {
		wg.Go(func() {
			res := runScenario(ctx, e, sc)
			mu.Lock()
			defer mu.Unlock()
			fmt.Println(strings.Join(res.lines, "\n"))
			for _, f := range res.failures {
				fmt.Printf("   FAIL %s: %s\n", sc.name, f)
			}
			if len(res.failures) > 0 {
				failed++
			} else if res.dir != "" {
				os.RemoveAll(res.dir)
			}
		})
	}
	wg.Wait()
	if ctx.Err() != nil {
		fmt.Println("fleet: interrupted")
		return 1
	}
	if failed > 0 {
		fmt.Printf("fleet: %d of %d scenarios FAILED (%s)\n", failed, len(list), time.Since(started).Round(time.Second))
		return 1
	}
	fmt.Printf("fleet: %d scenarios passed with %s (%s)\n", len(list), strings.Join(names, ", "), time.Since(started).Round(time.Second))
	return 0
}

// repoRoot is the directory of go.mod above the working directory.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory: run from the repository")
		}
		dir = parent
	}
}
