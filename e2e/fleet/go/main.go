// Command go is the Go worker of the fleet test (e2e/fleet/README.md, "The
// worker contract"): one process that follows the rules of docs/hosts.md
// ("Many processes") through the gstauth package and its stores, nothing
// else.
//
//	GSTAUTH_FLEET_CONFIG=/path/to/config.json fleet-go-worker
//
// Each session of the configuration is a shared gstauth.Session on the
// configured store (file:DIR, redis://HOST:PORT, redis-cluster://A,B,C),
// sealed with the first of seal_keys and opened with any of them, its lease
// held as "<worker>:<pid>". Every call_interval_ms (±20 %) each session
// makes its one API call through a gstauth.Transport (token, headers,
// encryption, one replay after a rejected token, decryption). At
// duration_ms, or on SIGTERM or SIGINT, the worker lets the calls in flight
// finish (10 s at most), prints one line of JSON to stdout and exits: 0, or
// 1 when something unexpected happened (the summary's errors). Everything
// else goes to stderr, one line each, prefixed with the worker's name.
package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gstauth/gstauth"
	"github.com/gstauth/gstauth/core"
)

// config is the worker's configuration (the contract's JSON).
type config struct {
	Worker   string `json:"worker"`
	Store    string `json:"store"`
	SealKeys []struct {
		KeyID string `json:"key_id"`
		Key   string `json:"key"`
	} `json:"seal_keys"`
	LeaseTTLMs     int64           `json:"lease_ttl_ms"`
	DurationMs     int64           `json:"duration_ms"`
	CallIntervalMs int64           `json:"call_interval_ms"`
	Sessions       []sessionConfig `json:"sessions"`
}

type sessionConfig struct {
	Name        string           `json:"name"`
	Provider    core.Provider    `json:"provider"`
	Account     string           `json:"account"`
	Config      core.Config      `json:"config"`
	Credentials core.Credentials `json:"credentials"`
	Call        struct {
		Method    string            `json:"method"`
		URL       string            `json:"url"`
		Body      json.RawMessage   `json:"body"`
		Headers   map[string]string `json:"headers"`
		RetPeriod string            `json:"ret_period"`
		RtnTyp    string            `json:"rtn_typ"`
		UserRole  string            `json:"userrole"`
	} `json:"call"`
}

// summary is the one line of JSON the worker prints.
type summary struct {
	Worker    string           `json:"worker"`
	Language  string           `json:"language"`
	Calls     map[string]int64 `json:"calls"`
	Refreshes map[string]int64 `json:"refreshes"`
	Errors    []string         `json:"errors"`
}

const maxErrors = 50

var (
	name     = "go-worker"
	errMu    sync.Mutex
	errs     = []string{}
	moreErrs int
)

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s: %s\n", name, fmt.Sprintf(format, args...))
}

func unexpected(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	logf("error: %s", msg)
	errMu.Lock()
	defer errMu.Unlock()
	if len(errs) < maxErrors {
		errs = append(errs, msg)
	} else {
		moreErrs++
	}
}

// fail ends the worker before it could start.
func fail(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	logf("%s", msg)
	json.NewEncoder(os.Stdout).Encode(summary{Worker: name, Language: "go", Calls: map[string]int64{}, Refreshes: map[string]int64{}, Errors: []string{msg}})
	os.Exit(1)
}

// openStore opens the store the contract names: file:DIR,
// redis://HOST:PORT[/DB], redis-cluster://HOST:PORT,HOST:PORT,...
// The Redis clients fail fast, so that a store that went away costs a call
// little: the session goes on with its valid token and tries again.
func openStore(spec string) (gstauth.Store, func(), error) {
	switch {
	case strings.HasPrefix(spec, "file:"):
		st, err := gstauth.NewFileStore(strings.TrimPrefix(spec, "file:"))
		return st, func() {}, err
	case strings.HasPrefix(spec, "redis://"):
		o, err := redis.ParseURL(spec)
		if err != nil {
			return nil, nil, err
		}
		o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.MaxRetries = time.Second, time.Second, time.Second, 1
		c := redis.NewClient(o)
		return gstauth.NewRedisStore(c), func() { c.Close() }, nil
	case strings.HasPrefix(spec, "redis-cluster://"):
		c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: strings.Split(strings.TrimPrefix(spec, "redis-cluster://"), ","),
			DialTimeout: time.Second, ReadTimeout: time.Second, WriteTimeout: time.Second, MaxRetries: 1})
		return gstauth.NewRedisStore(c), func() { c.Close() }, nil
	}
	return nil, nil, fmt.Errorf("unknown store %q (file:DIR, redis://HOST:PORT, redis-cluster://HOST:PORT,...)", spec)
}

// member is one session of the worker and its call.
type member struct {
	sc      sessionConfig
	session *gstauth.Session
	client  *http.Client
	calls   atomic.Int64
}

func main() {
	started := time.Now()
	path := os.Getenv("GSTAUTH_FLEET_CONFIG")
	if path == "" {
		fail("GSTAUTH_FLEET_CONFIG names no configuration file")
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		fail("cannot read the configuration: %v", err)
	}
	var cfg config
	if err := json.Unmarshal(raw, &cfg); err != nil {
		fail("the configuration %s is not the contract's JSON: %v", path, err)
	}
	if cfg.Worker != "" {
		name = cfg.Worker
	}
	if cfg.Store == "" || len(cfg.SealKeys) == 0 || len(cfg.Sessions) == 0 {
		fail("the configuration needs store, seal_keys and sessions")
	}
	lease := time.Duration(cmp(cfg.LeaseTTLMs, 30_000)) * time.Millisecond
	duration := time.Duration(cmp(cfg.DurationMs, 300_000)) * time.Millisecond
	interval := time.Duration(cmp(cfg.CallIntervalMs, 1000)) * time.Millisecond
	keyring := make([]core.SealKey, len(cfg.SealKeys))
	for i, k := range cfg.SealKeys {
		b, err := base64.StdEncoding.DecodeString(k.Key)
		if err != nil {
			fail("seal key %s is not base64", k.KeyID)
		}
		keyring[i] = core.SealKey{ID: k.KeyID, Key: b}
	}
	store, closeStore, err := openStore(cfg.Store)
	if err != nil {
		fail("cannot open the store: %v", err)
	}
	defer closeStore()
	holder := fmt.Sprintf("%s:%d", name, os.Getpid())

	httpClient := &http.Client{Timeout: 30 * time.Second}
	members := make([]*member, len(cfg.Sessions))
	for i, sc := range cfg.Sessions {
		sc := sc
		s, err := gstauth.NewSession(sc.Provider, sc.Account, sc.Config, gstauth.Options{
			Credentials: sc.Credentials,
			HTTPClient:  httpClient,
			Shared: &gstauth.Shared{Store: store, Keyring: keyring, Holder: holder, LeaseTTL: lease,
				Wait: max(30*time.Second, 2*lease), Log: func(msg string) { logf("%s: %s", sc.Name, msg) }},
		})
		if err != nil {
			fail("session %s: %v", sc.Name, err)
		}
		// No Client.Timeout: it would wrap the answer's body, which carries
		// what the core read in it (gstauth.ResultOf); call bounds each call
		// with its context instead.
		members[i] = &member{sc: sc, session: s, client: &http.Client{Transport: &gstauth.Transport{Session: s}}}
	}

	ctx, stop := context.WithCancel(context.Background())
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		select {
		case sig := <-signals:
			logf("stopping (%s)", sig)
		case <-time.After(time.Until(started.Add(duration))):
			logf("stopping (%s have passed)", duration)
		}
		stop()
	}()
	progress := time.NewTicker(10 * time.Second)
	defer progress.Stop()
	go func() {
		for range progress.C {
			var parts []string
			for _, m := range members {
				st := m.session.FleetStats()
				parts = append(parts, fmt.Sprintf("%s %d calls, %d refreshes, %d reads", m.sc.Name, m.calls.Load(), st.Exchanges, st.Reads))
			}
			logf("progress: %s", strings.Join(parts, "; "))
		}
	}()

	logf("started: store %s, holder %s, lease %s, %d sessions, every %s for %s", cfg.Store, holder, lease, len(members), interval, duration)
	var wg sync.WaitGroup
	var busy sync.Map
	for _, m := range members {
		wg.Go(func() { run(ctx, m, interval, &busy) })
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	<-ctx.Done()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		var names []string
		busy.Range(func(k, _ any) bool { names = append(names, k.(string)); return true })
		logf("calls still in flight after 10 s: %s; not counted", strings.Join(names, ", "))
	}

	out := summary{Worker: name, Language: "go", Calls: map[string]int64{}, Refreshes: map[string]int64{}}
	for _, m := range members {
		out.Calls[m.sc.Name] = m.calls.Load()
		out.Refreshes[m.sc.Name] = m.session.FleetStats().Exchanges
	}
	errMu.Lock()
	out.Errors = append([]string{}, errs...)
	if moreErrs > 0 {
		out.Errors = append(out.Errors, fmt.Sprintf("… and %d more errors", moreErrs))
	}
	errMu.Unlock()
	logf("done: %v calls, %v refreshes, %d errors", out.Calls, out.Refreshes, len(out.Errors))
	json.NewEncoder(os.Stdout).Encode(out)
	if len(out.Errors) > 0 {
		os.Exit(1)
	}
}

func cmp(v, def int64) int64 {
	if v <= 0 {
		return def
	}
	return v
}

// run makes the session's call every interval (±20 %) until ctx ends; the
// sessions start spread over one interval.
func run(ctx context.Context, m *member, interval time.Duration, busy *sync.Map) {
	if !sleep(ctx, time.Duration(rand.Int64N(int64(interval)))) {
		return
	}
	for ctx.Err() == nil {
		start := time.Now()
		busy.Store(m.sc.Name, true)
		call(m)
		busy.Delete(m.sc.Name)
		jitter := time.Duration(float64(interval) * (0.8 + 0.4*rand.Float64()))
		if !sleep(ctx, time.Until(start.Add(jitter))) {
			return
		}
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// call makes one API call; an answer other than ok or no_data is an
// unexpected failure. It runs on a context of its own, so that a stop lets
// it finish.
func call(m *member) {
	c := m.sc.Call
	method := c.Method
	if method == "" {
		method = "GET"
	}
	var body io.Reader
	if len(c.Body) > 0 && string(c.Body) != "null" {
		var text string
		if json.Unmarshal(c.Body, &text) == nil {
			body = strings.NewReader(text)
		} else {
			body = bytes.NewReader(c.Body)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ctx = gstauth.WithAPIOptions(ctx, core.APIOptions{RetPeriod: c.RetPeriod, ReturnType: c.RtnTyp, UserRole: c.UserRole})
	req, err := http.NewRequestWithContext(ctx, method, c.URL, body)
	if err != nil {
		unexpected("%s: %v", m.sc.Name, err)
		return
	}
	for k, v := range c.Headers {
		req.Header.Set(k, v)
	}
	resp, err := m.client.Do(req)
	if err != nil {
		unexpected("%s: %s %s: %v", m.sc.Name, method, c.URL, err)
		return
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	r, ok := gstauth.ResultOf(resp)
	if ok && (r.Outcome == core.OutcomeOK || r.Outcome == core.OutcomeNoData) {
		m.calls.Add(1)
		return
	}
	detail := "not observed"
	if ok {
		detail = string(r.Outcome)
		if r.Error != nil {
			detail += ": " + r.Error.Error()
		}
	}
	unexpected("%s: %s %s answered %d (%s)", m.sc.Name, method, c.URL, resp.StatusCode, detail)
}
