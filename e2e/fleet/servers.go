package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/gstauth/gstauth/sandbox"
)

// The servers of a scenario, each its own: the GST emulator (in this
// process, on loopback), oidc-provider (e2e/scripts/start-oauth-server.sh)
// and Redis (e2e/scripts/redis.sh). Every one is stopped when the scenario
// ends, whatever the outcome.

// emulator is one GST emulator on loopback.
type emulator struct {
	srv  *sandbox.Server
	url  string
	stop func() error
}

func startEmulator(lifetime time.Duration) (*emulator, error) {
	srv, err := sandbox.New(sandbox.Options{TokenLifetime: lifetime})
	if err != nil {
		return nil, err
	}
	url, stop, err := srv.Listen("127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	return &emulator{srv: srv, url: url, stop: stop}, nil
}

// stats reads the emulator's counts over HTTP, as any client would.
func (e *emulator) stats() (map[string]sandbox.SessionStats, error) {
	var body struct {
		Sessions []sandbox.SessionStats `json:"sessions"`
	}
	if err := getJSON(e.url+"/_sandbox/stats", &body); err != nil {
		return nil, err
	}
	out := map[string]sandbox.SessionStats{}
	for _, s := range body.Sessions {
		out[s.Session] = s
	}
	return out, nil
}

// inject queues faults; with none, it answers how many are queued.
func (e *emulator) inject(faults ...sandbox.Fault) (int, error) {
	if faults == nil {
		faults = []sandbox.Fault{}
	}
	b, _ := json.Marshal(map[string]any{"faults": faults})
	resp, err := http.Post(e.url+"/_sandbox/faults", "application/json", bytes.NewReader(b))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var out struct {
		Faults int `json:"faults"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 {
		return 0, fmt.Errorf("POST /_sandbox/faults: %d %v", resp.StatusCode, err)
	}
	return out.Faults, nil
}

func (e *emulator) certificate(name string) (string, error) {
	resp, err := http.Get(e.url + "/_sandbox/certs/" + name + ".pem")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// script runs one of e2e/scripts and returns its standard output; its
// standard error (what it does) goes to the log.
func script(ctx context.Context, root string, env []string, log io.Writer, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(root, "e2e/scripts", name), args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, log
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("e2e/scripts/%s %s: %v", name, strings.Join(args, " "), err)
	}
	return strings.TrimSpace(out.String()), nil
}

// oauthServer is one oidc-provider instance.
type oauthServer struct {
	name, url string
}

func startOAuthServer(ctx context.Context, root, name string, ttl time.Duration, log io.Writer) (*oauthServer, error) {
	url, err := script(ctx, root, []string{fmt.Sprintf("OAUTH_ACCESS_TOKEN_TTL=%d", int(ttl.Seconds()))}, log, "start-oauth-server.sh", name)
	if err != nil {
		return nil, err
	}
	return &oauthServer{name: name, url: url}, nil
}

func (o *oauthServer) stop(root string, log io.Writer) {
	script(context.Background(), root, nil, log, "stop-oauth-server.sh", o.name)
}

// oauthStats are oidc-provider's counts (e2e/oauth-server/README.md,
// "Counts").
type oauthStats struct {
	Clients map[string]struct {
		TokenRequests      int64 `json:"token_requests"`
		TokensIssued       int64 `json:"tokens_issued"`
		EarlyTokenRequests int64 `json:"early_token_requests"`
		ResourceCalls      int64 `json:"resource_calls"`
	} `json:"clients"`
	Resource struct {
		Calls             int64 `json:"calls"`
		OK                int64 `json:"ok"`
		ExpiredTokenCalls int64 `json:"expired_token_calls"`
		UnknownTokenCalls int64 `json:"unknown_token_calls"`
	} `json:"resource"`
}

func (o *oauthServer) stats() (oauthStats, error) {
	var s oauthStats
	err := getJSON(o.url+"/_admin/stats", &s)
	return s, err
}

// redisServer is one Redis instance of e2e/scripts/redis.sh.
type redisServer struct {
	name, addr string
	cluster    bool
}

func startRedis(ctx context.Context, root, name string, cluster bool, log io.Writer) (*redisServer, error) {
	args := []string{"start", name}
	if cluster {
		args = append(args, "--cluster")
	}
	addr, err := script(ctx, root, nil, log, "redis.sh", args...)
	if err != nil {
		return nil, err
	}
	return &redisServer{name: name, addr: addr, cluster: cluster}, nil
}

func (r *redisServer) restart(ctx context.Context, root string, down time.Duration, log io.Writer) error {
	_, err := script(ctx, root, nil, log, "redis.sh", "restart", r.name, fmt.Sprintf("%.1f", down.Seconds()))
	return err
}

func (r *redisServer) stop(root string, log io.Writer) {
	script(context.Background(), root, nil, log, "redis.sh", "stop", r.name)
}

// storeSpec is the store as the contract names it.
func (r *redisServer) storeSpec() string {
	if r.cluster {
		return "redis-cluster://" + r.addr
	}
	return "redis://" + r.addr
}

func getJSON(url string, v any) error {
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}
