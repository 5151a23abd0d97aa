package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// A language's worker: the file whose presence says it exists, and how to
// start it (README.md, "Starting the workers").
type language struct {
	name   string // go, python, java, node
	prefix string // of the workers' names: go-1, py-1, java-1, node-1
	file   string // relative to the repository root
	// command is the worker's command line; the Go worker is built first.
	command func(root, bin string) []string
}

var languages = []language{
	{"go", "go", "e2e/fleet/go/main.go", func(root, bin string) []string { return []string{filepath.Join(bin, "fleet-go-worker")} }},
	{"python", "py", "e2e/fleet/python/worker.py", func(root, bin string) []string {
		return []string{envOr("GSTAUTH_FLEET_PYTHON", "python3"), filepath.Join(root, "e2e/fleet/python/worker.py")}
	}},
	{"java", "java", "e2e/fleet/java/worker.sh", func(root, bin string) []string {
		return []string{"bash", filepath.Join(root, "e2e/fleet/java/worker.sh")}
	}},
	{"node", "node", "e2e/fleet/node/worker.mjs", func(root, bin string) []string {
		return []string{envOr("GSTAUTH_FLEET_NODE", "node"), filepath.Join(root, "e2e/fleet/node/worker.mjs")}
	}},
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// chooseLanguages returns the languages asked for (GSTAUTH_FLEET_LANGUAGES,
// comma-separated; all four by default) whose worker exists, and says which
// were skipped and why.
func chooseLanguages(root, asked string) ([]language, error) {
	if asked == "" {
		asked = "go,python,java,node"
	}
	var out []language
	for _, want := range strings.Split(asked, ",") {
		want = strings.TrimSpace(want)
		var l *language
		for i := range languages {
			if languages[i].name == want {
				l = &languages[i]
			}
		}
		if l == nil {
			return nil, fmt.Errorf("GSTAUTH_FLEET_LANGUAGES names %q: the languages are go, python, java and node", want)
		}
		if _, err := os.Stat(filepath.Join(root, l.file)); err != nil {
			fmt.Printf("fleet: SKIPPED %s: its worker %s does not exist yet\n", l.name, l.file)
			continue
		}
		out = append(out, *l)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no worker of the languages asked for (%s) exists", asked)
	}
	return out, nil
}

// workerConfig is the contract's configuration of one worker.
type workerConfig struct {
	Worker         string          `json:"worker"`
	Store          string          `json:"store"`
	SealKeys       []sealKey       `json:"seal_keys"`
	LeaseTTLMs     int64           `json:"lease_ttl_ms"`
	DurationMs     int64           `json:"duration_ms"`
	CallIntervalMs int64           `json:"call_interval_ms"`
	Sessions       []sessionConfig `json:"sessions"`
}

type sealKey struct {
	KeyID string `json:"key_id"`
	Key   string `json:"key"`
}

type sessionConfig struct {
	Name        string         `json:"name"`
	Provider    string         `json:"provider"`
	Account     string         `json:"account"`
	Config      map[string]any `json:"config"`
	Credentials map[string]any `json:"credentials"`
	Call        map[string]any `json:"call"`
}

// summaryLine is what a worker prints when it ends.
type summaryLine struct {
	Worker    string           `json:"worker"`
	Language  string           `json:"language"`
	Calls     map[string]int64 `json:"calls"`
	Refreshes map[string]int64 `json:"refreshes"`
	Errors    []string         `json:"errors"`
}

// worker is one started worker process.
type worker struct {
	name, language string
	cmd            *exec.Cmd
	logPath        string
	stdout         bytes.Buffer
	started        time.Time

	done     chan struct{}
	mu       sync.Mutex
	exitErr  error
	ended    time.Time
	killed   bool // by the scenario, on purpose
	summary  *summaryLine
	badLines []string
}

// startWorker writes the worker's configuration and starts it; its
// standard error goes to a log file.
func startWorker(l language, root, bin, dir string, cfg workerConfig) (*worker, error) {
	cfgPath := filepath.Join(dir, cfg.Worker+".json")
	b, _ := json.MarshalIndent(cfg, "", "  ")
	if err := os.WriteFile(cfgPath, b, 0o600); err != nil {
		return nil, err
	}
	argv := l.command(root, bin)
	w := &worker{name: cfg.Worker, language: l.name, logPath: filepath.Join(dir, cfg.Worker+".log"), done: make(chan struct{})}
	logFile, err := os.Create(w.logPath)
	if err != nil {
		return nil, err
	}
	w.cmd = exec.Command(argv[0], argv[1:]...)
	w.cmd.Dir = root
	w.cmd.Env = append(os.Environ(), "GSTAUTH_FLEET_CONFIG="+cfgPath)
	w.cmd.Stdout = &w.stdout
	w.cmd.Stderr = logFile
	w.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its own group: a stop reaches what it starts
	if err := w.cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("%s: %v", strings.Join(argv, " "), err)
	}
	w.started = time.Now()
	go func() {
		err := w.cmd.Wait()
		logFile.Close()
		w.mu.Lock()
		w.exitErr, w.ended = err, time.Now()
		w.parseStdout()
		w.mu.Unlock()
		close(w.done)
	}()
	return w, nil
}

func (w *worker) pid() int { return w.cmd.Process.Pid }

// parseStdout finds the summary: the one line of JSON on stdout.
func (w *worker) parseStdout() {
	sc := bufio.NewScanner(bytes.NewReader(w.stdout.Bytes()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var s summaryLine
		if err := json.Unmarshal([]byte(line), &s); err == nil && s.Worker != "" {
			w.summary = &s
		} else {
			w.badLines = append(w.badLines, line)
		}
	}
}

// kill9 kills the worker with SIGKILL, on purpose.
func (w *worker) kill9() error {
	w.mu.Lock()
	w.killed = true
	w.mu.Unlock()
	return w.cmd.Process.Signal(syscall.SIGKILL)
}

// stop ends a worker that outlived its time: SIGTERM to its group, SIGKILL
// after grace.
func (w *worker) stop(grace time.Duration) {
	select {
	case <-w.done:
		return
	default:
	}
	syscall.Kill(-w.pid(), syscall.SIGTERM)
	select {
	case <-w.done:
	case <-time.After(grace):
		syscall.Kill(-w.pid(), syscall.SIGKILL)
		<-w.done
	}
}

// waitAll waits for every worker until ctx ends, then stops the rest.
func waitAll(ctx context.Context, ws []*worker) {
	for _, w := range ws {
		select {
		case <-w.done:
		case <-ctx.Done():
		}
	}
	for _, w := range ws {
		w.stop(10 * time.Second)
	}
}

// logTail returns the last n lines of the worker's log.
func (w *worker) logTail(n int) string {
	b, _ := os.ReadFile(w.logPath)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "      | " + strings.Join(lines, "\n      | ")
}

// buildGoWorker builds the Go worker into bin.
func buildGoWorker(ctx context.Context, root, bin string) error {
	cmd := exec.CommandContext(ctx, envOr("GO", "go"), "build", "-o", filepath.Join(bin, "fleet-go-worker"), "./e2e/fleet/go")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go build ./e2e/fleet/go: %v\n%s", err, out)
	}
	return nil
}
