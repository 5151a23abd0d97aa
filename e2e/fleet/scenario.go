package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gstauth/gstauth"
	"github.com/gstauth/gstauth/core"
	"github.com/gstauth/gstauth/sandbox"
)

// The fleet's accounts on the emulator and oidc-provider.
const (
	gstin       = "27AAACR5055K1Z7"
	gstnAccount = gstin + "/" + sandbox.Username
	oauthClient = "gstauth-e2e-cc-basic"
	oauthSecret = "test-only-cc-basic-secret"
	// The emulator's per-session names (docs/sandbox.md, "Counts per session").
	gstnStats = "gstn/27/" + sandbox.Username
	einvStats = "einvoice/" + sandbox.ClientID + "/" + gstin + "/" + sandbox.Username
)

// scenario is one run of the fleet against servers of its own.
type scenario struct {
	name  string
	store string // file, redis, cluster
	// kill: kill -9 the GSTN lease holder in the middle of a refresh.
	kill bool
	// restart: restart Redis in the middle of a window.
	restart bool
	// sessions: gstn, einvoice, oauth.
	sessions    []string
	perLanguage int
	duration    time.Duration
	// tokenLifetime is the emulator's (GSTN states it in whole minutes, so
	// its tokens last a minute at least; NIC's last exactly this); oauthTTL
	// oidc-provider's.
	tokenLifetime, oauthTTL time.Duration
	leaseTTL                time.Duration
	// minRefreshes is the fewest refreshes each session must show (its
	// windows); exactRefreshes, when set, the exact number.
	minRefreshes, exactRefreshes int64
}

// env is what every scenario shares.
type env struct {
	root, bin string
	languages []language
	// instance prefixes the names of the servers' instances
	// (e2e/scripts), so that runs at the same time do not meet.
	instance string
}

// result is what a scenario found.
type result struct {
	lines    []string
	failures []string
	dir      string
}

func (r *result) printf(format string, args ...any) {
	r.lines = append(r.lines, fmt.Sprintf(format, args...))
}

// expect records a failure unless ok.
func (r *result) expect(ok bool, format string, args ...any) {
	if !ok {
		r.failures = append(r.failures, fmt.Sprintf(format, args...))
	}
}

// run is one scenario's state while it runs.
type run struct {
	sc      scenario
	env     env
	res     *result
	log     io.Writer // the servers' scripts
	emu     *emulator
	oauth   *oauthServer
	redis   *redisServer
	store   gstauth.Store
	spec    string
	keys    map[string]core.StoreKeys
	workers []*worker
	// loginAt is when the GSTN session was logged in; start and end when
	// the first worker started and the last one ended.
	loginAt, start, end time.Time

	mu    sync.Mutex
	notes []string
}

func (r *run) note(format string, args ...any) {
	r.mu.Lock()
	r.notes = append(r.notes, fmt.Sprintf(format, args...))
	r.mu.Unlock()
}

func (r *run) fail(format string, args ...any) {
	r.mu.Lock()
	r.res.failures = append(r.res.failures, fmt.Sprintf(format, args...))
	r.mu.Unlock()
}

// runScenario starts the scenario's servers and workers, acts on them
// (kill, restart), waits for the workers, reads the counts and checks them.
// Everything it started is stopped when it returns.
func runScenario(ctx context.Context, e env, sc scenario) *result {
	res := &result{}
	dir, err := os.MkdirTemp("", "gstauth-fleet-"+sc.name+"-")
	if err != nil {
		res.expect(false, "temp dir: %v", err)
		return res
	}
	res.dir = dir
	logFile, err := os.Create(filepath.Join(dir, "servers.log"))
	if err != nil {
		res.expect(false, "%v", err)
		return res
	}
	defer logFile.Close()
	r := &run{sc: sc, env: e, res: res, log: logFile, keys: map[string]core.StoreKeys{}}
	defer r.stopAll()
	if err := r.startServers(ctx, dir); err != nil {
		res.expect(false, "starting the servers: %v", err)
		return res
	}
	cfgs, err := r.sessionConfigs()
	if err != nil {
		res.expect(false, "%v", err)
		return res
	}
	if slices.Contains(sc.sessions, "gstn") {
		if err := r.loginGSTN(ctx, cfgs); err != nil {
			res.expect(false, "the GSTN login: %v", err)
			return res
		}
	}
	if err := r.startWorkers(dir, cfgs); err != nil {
		res.expect(false, "starting the workers: %v", err)
		return res
	}
	var acts sync.WaitGroup
	actCtx, stopActs := context.WithCancel(ctx)
	if sc.kill {
		acts.Go(func() { r.killLeaseHolder(actCtx) })
	}
	if sc.restart {
		acts.Go(func() { r.restartRedis(actCtx) })
	}
	waitCtx, cancel := context.WithTimeout(ctx, sc.duration+60*time.Second)
	waitAll(waitCtx, r.workers)
	cancel()
	stopActs()
	acts.Wait()
	r.end = time.Now()
	r.report()
	return res
}

func (r *run) startServers(ctx context.Context, dir string) error {
	var err error
	if r.emu, err = startEmulator(r.sc.tokenLifetime); err != nil {
		return err
	}
	if slices.Contains(r.sc.sessions, "oauth") {
		if r.oauth, err = startOAuthServer(ctx, r.env.root, r.env.instance+"-"+r.sc.name+"-oauth", r.sc.oauthTTL, r.log); err != nil {
			return err
		}
	}
	switch r.sc.store {
	case "file":
		fs, err := gstauth.NewFileStore(filepath.Join(dir, "store"))
		if err != nil {
			return err
		}
		r.store, r.spec = fs, "file:"+fs.Dir()
	case "redis", "cluster":
		if r.redis, err = startRedis(ctx, r.env.root, r.env.instance+"-"+r.sc.name, r.sc.store == "cluster", r.log); err != nil {
			return err
		}
		if r.redis.cluster {
			r.store = gstauth.NewRedisStore(redis.NewClusterClient(&redis.ClusterOptions{Addrs: strings.Split(r.redis.addr, ",")}))
		} else {
			r.store = gstauth.NewRedisStore(redis.NewClient(&redis.Options{Addr: r.redis.addr}))
		}
		r.spec = r.redis.storeSpec()
	default:
		return fmt.Errorf("unknown store %q", r.sc.store)
	}
	return nil
}

func (r *run) stopAll() {
	for _, w := range r.workers {
		w.stop(5 * time.Second)
	}
	if r.emu != nil {
		r.emu.stop()
	}
	if r.oauth != nil {
		r.oauth.stop(r.env.root, r.log)
	}
	if r.redis != nil {
		r.redis.stop(r.env.root, r.log)
	}
}

// sessionConfigs are the sessions every worker gets (the contract's).
func (r *run) sessionConfigs() ([]sessionConfig, error) {
	gstnPEM, err := r.emu.certificate("gstn")
	if err != nil {
		return nil, err
	}
	nicPEM, err := r.emu.certificate("nic")
	if err != nil {
		return nil, err
	}
	all := map[string]sessionConfig{
		"gstn": {Name: "gstn", Provider: string(core.ProviderGSTN), Account: gstnAccount,
			Config: map[string]any{"base_url": r.emu.url + "/taxpayerapi/v1.0", "client_id": sandbox.ClientID, "gstin": gstin,
				"username": sandbox.Username, "ip_usr": "10.1.2.3"},
			Credentials: map[string]any{"client_secret": sandbox.ClientSecret, "public_key": gstnPEM},
			Call: map[string]any{"method": "GET", "url": r.emu.url + "/taxpayerapi/v1.0/returns/gstr1?action=RETSUM&gstin=" + gstin + "&ret_period=042026",
				"ret_period": "042026"}},
		"einvoice": {Name: "einvoice", Provider: string(core.ProviderNICEInvoice), Account: gstin,
			Config:      map[string]any{"base_url": r.emu.url, "client_id": sandbox.ClientID, "gstin": gstin, "username": sandbox.Username},
			Credentials: map[string]any{"client_secret": sandbox.ClientSecret, "password": sandbox.Password, "public_key": nicPEM},
			Call:        map[string]any{"method": "GET", "url": r.emu.url + "/eivital/v1.03/Master/gstin/29AABCU9603R1ZJ"}},
	}
	if r.oauth != nil {
		all["oauth"] = sessionConfig{Name: "oauth", Provider: string(core.ProviderOAuthClientCredentials), Account: oauthClient,
			Config:      map[string]any{"token_url": r.oauth.url + "/token", "client_id": oauthClient},
			Credentials: map[string]any{"client_secret": oauthSecret},
			Call:        map[string]any{"method": "GET", "url": r.oauth.url + "/api/resource"}}
	}
	var out []sessionConfig
	for _, name := range r.sc.sessions {
		c := all[name]
		k, err := core.StoreKeysOf(core.Provider(c.Provider), c.Account)
		if err != nil {
			return nil, err
		}
		r.keys[name] = k
		out = append(out, c)
	}
	return out, nil
}

// The fleet's sealing keys: the first seals, both open (a rotation in
// progress, as the contract's example has it).
var fleetKeys = func() []core.SealKey {
	k2, k1 := make([]byte, 32), make([]byte, 32)
	rand.Read(k2)
	rand.Read(k1)
	return []core.SealKey{{ID: "k2", Key: k2}, {ID: "k1", Key: k1}}
}()

// loginGSTN logs the GSTN session in once, as a person would through any
// one process: OTPREQUEST, then AUTHTOKEN with the OTP, both written to the
// store by a shared session of this process.
func (r *run) loginGSTN(ctx context.Context, cfgs []sessionConfig) error {
	pem, _ := r.emu.certificate("gstn")
	s, err := gstauth.NewSession(core.ProviderGSTN, gstnAccount, core.Config{BaseURL: r.emu.url + "/taxpayerapi/v1.0",
		ClientID: sandbox.ClientID, GSTIN: gstin, Username: sandbox.Username, IPUser: "10.1.2.3"},
		gstauth.Options{Credentials: core.Credentials{ClientSecret: sandbox.ClientSecret, PublicKey: pem},
			HTTPClient: &http.Client{Timeout: 30 * time.Second},
			Shared:     &gstauth.Shared{Store: r.store, Keyring: fleetKeys, Holder: "orchestrator:" + strconv.Itoa(os.Getpid())}})
	if err != nil {
		return err
	}
	if err := s.RequestOTP(ctx); err != nil {
		return err
	}
	if err := s.Authenticate(ctx, sandbox.OTP); err != nil {
		return err
	}
	r.loginAt = time.Now()
	rec, err := r.store.Read(ctx, r.keys["gstn"])
	if err != nil || rec.Version == 0 {
		return fmt.Errorf("the GSTN session is not in the store after the login (%v)", err)
	}
	return nil
}

func (r *run) startWorkers(dir string, cfgs []sessionConfig) error {
	keys := make([]sealKey, len(fleetKeys))
	for i, k := range fleetKeys {
		keys[i] = sealKey{KeyID: k.ID, Key: base64.StdEncoding.EncodeToString(k.Key)}
	}
	r.start = time.Now()
	for i := 1; i <= r.sc.perLanguage; i++ {
		for _, l := range r.env.languages {
			cfg := workerConfig{Worker: fmt.Sprintf("%s-%d", l.prefix, i), Store: r.spec, SealKeys: keys,
				LeaseTTLMs: r.sc.leaseTTL.Milliseconds(), DurationMs: r.sc.duration.Milliseconds(), CallIntervalMs: 700, Sessions: cfgs}
			w, err := startWorker(l, r.env.root, r.env.bin, dir, cfg)
			if err != nil {
				return err
			}
			r.workers = append(r.workers, w)
		}
	}
	return nil
}

// version reads a session's record version.
func (r *run) version(ctx context.Context, session string) (int64, error) {
	rec, err := r.store.Read(ctx, r.keys[session])
	return rec.Version, err
}

// waitForVersion polls until the session's record reaches at least v.
func (r *run) waitForVersion(ctx context.Context, session string, v int64) (int64, bool) {
	for {
		got, err := r.version(ctx, session)
		if err == nil && got >= v {
			return got, true
		}
		select {
		case <-ctx.Done():
			return got, false
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// leaseOf reads a session's lease from the store.
func (r *run) leaseOf(ctx context.Context, session string) (gstauth.Lease, error) {
	switch st := r.store.(type) {
	case *gstauth.FileStore:
		return st.LeaseOf(ctx, r.keys[session])
	case *gstauth.RedisStore:
		return st.LeaseOf(ctx, r.keys[session])
	}
	return gstauth.Lease{}, fmt.Errorf("no lease reader for %T", r.store)
}

// killLeaseHolder kills, with SIGKILL, the process that holds the GSTN
// lease while its REFRESHTOKEN waits in the emulator (a stall fault: a
// request whose client is gone is never handled, so the old token stays
// valid). Then it watches another worker take over once the lease has run
// out, and refresh.
func (r *run) killLeaseHolder(ctx context.Context) {
	// After the first refresh (version 2 is the login, the OTP request 1).
	if _, ok := r.waitForVersion(ctx, "gstn", 3); !ok {
		r.fail("kill: the GSTN session was never refreshed before the kill")
		return
	}
	before, _ := r.version(ctx, "gstn")
	if _, err := r.emu.inject(sandbox.Fault{Kind: "stall", DelayMs: 4000, PathPrefix: "/taxpayerapi/v1.0/authenticate"}); err != nil {
		r.fail("kill: injecting the stall: %v", err)
		return
	}
	// The fault is taken when the next REFRESHTOKEN arrives: it then waits
	// in the emulator, its sender holding the lease.
	for {
		n, err := r.emu.inject()
		if err == nil && n == 0 {
			break
		}
		select {
		case <-ctx.Done():
			r.fail("kill: no refresh arrived before the end")
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
	arrived := time.Now()
	time.Sleep(300 * time.Millisecond)
	lease, err := r.leaseOf(ctx, "gstn")
	if err != nil || lease.Holder == "" {
		r.fail("kill: the stalled refresh's sender holds no lease (%v)", err)
		return
	}
	i := strings.LastIndexByte(lease.Holder, ':')
	pid, _ := strconv.Atoi(lease.Holder[i+1:])
	var victim *worker
	for _, w := range r.workers {
		if pgid, err := syscall.Getpgid(pid); err == nil && pgid == w.pid() {
			victim = w
		}
	}
	if victim == nil {
		r.fail("kill: the lease holder %q is no worker's process", lease.Holder)
		return
	}
	victim.mu.Lock()
	victim.killed = true
	victim.mu.Unlock()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		r.fail("kill: %v", err)
		return
	}
	killedAt := time.Now()
	// The next refresh: a newer version, by another worker.
	after, ok := r.waitForVersion(ctx, "gstn", before+1)
	refreshedAt := time.Now()
	if !ok {
		r.fail("kill: no worker refreshed the GSTN session after %s was killed", victim.name)
		return
	}
	r.note("kill -9: %s (pid %d) held the gstn lease and was killed %.1f s into its REFRESHTOKEN, which the emulator stalled; "+
		"its lease ran out %.1f s after the kill; the next refresh (version %d → %d) was written %.1f s after the kill",
		victim.name, pid, killedAt.Sub(arrived).Seconds(), lease.Expires.Sub(killedAt).Seconds(), before, after,
		refreshedAt.Sub(killedAt).Seconds())
	// The refresh after the kill came once the lease had run out: nobody
	// refreshed while the dead holder's lease ran (100 ms of polling slack).
	if refreshedAt.Before(lease.Expires.Add(-100 * time.Millisecond)) {
		r.fail("kill: the GSTN session was refreshed %.1f s before the dead holder's lease ran out", lease.Expires.Sub(refreshedAt).Seconds())
	}
}

// restartRedis restarts Redis (persistence on) in the middle of a GSTN
// window, 10 s after a refresh, and checks that the session survived.
func (r *run) restartRedis(ctx context.Context) {
	v, ok := r.waitForVersion(ctx, "gstn", 3)
	if !ok {
		r.fail("restart: the GSTN session was never refreshed before the restart")
		return
	}
	for changed := time.Now(); time.Since(changed) < 10*time.Second; {
		select {
		case <-ctx.Done():
			return
		case <-time.After(200 * time.Millisecond):
		}
		if now, err := r.version(ctx, "gstn"); err == nil && now != v {
			v, changed = now, time.Now()
		}
	}
	before := map[string]gstauth.Record{}
	for _, s := range r.sc.sessions {
		rec, err := r.store.Read(ctx, r.keys[s])
		if err != nil {
			r.fail("restart: reading %s before: %v", s, err)
			return
		}
		before[s] = rec
	}
	began := time.Now()
	if err := r.redis.restart(ctx, r.env.root, time.Second, r.log); err != nil {
		r.fail("restart: %v", err)
		return
	}
	down := time.Since(began)
	var parts []string
	for _, s := range r.sc.sessions {
		var rec gstauth.Record
		var err error
		for range 50 { // the orchestrator's client reconnects
			if rec, err = r.store.Read(ctx, r.keys[s]); err == nil {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err != nil || rec.Sealed == "" || rec.Version < before[s].Version {
			r.fail("restart: %s was at version %d before the restart and is at %d after (%v): the session was lost", s, before[s].Version, rec.Version, err)
			continue
		}
		parts = append(parts, fmt.Sprintf("%s v%d → v%d", s, before[s].Version, rec.Version))
	}
	r.note("Redis restarted %.0f s into the run (stopped, 1 s down, started from its AOF: %.1f s in all); records before and after: %s",
		began.Sub(r.start).Seconds(), down.Seconds(), strings.Join(parts, ", "))
}
