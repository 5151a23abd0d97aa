package e2e

import (
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// A person at the authorization endpoint, without a browser: the user agent
// of RFC 6749 §4.1 (steps A–C) driving oidc-provider's development login and
// consent forms with plain HTTP.

// authorizationRedirect is where the server sent the user agent back to.
type authorizationRedirect struct {
	Code, State, Iss  string
	Error, ErrorDescr string
	URL               *url.URL
}

// userChoice is what the person does at the first form.
type userChoice int

const (
	// userConsents signs in and consents.
	userConsents userChoice = iota
	// userCancels follows the page's Cancel link (access_denied, §4.1.2.1).
	userCancels
)

var (
	cancelRe = regexp.MustCompile(`(?i)<a href="([^"]*)">\[ Cancel \]</a>`)
	formRe   = regexp.MustCompile(`(?is)<form[^>]*\baction="([^"]*)"[^>]*>(.*?)</form>`)
	hiddenRe = regexp.MustCompile(`(?i)<input[^>]*\btype="hidden"[^>]*\bname="([^"]*)"[^>]*\bvalue="([^"]*)"`)
)

// authorize opens authURL, signs in as login and consents (or cancels), and
// follows the redirects until one leaves for the client's redirect URI (any
// port: the redirect URI is a loopback one, RFC 8252 §7.3). It keeps
// cookies as a browser does and gives up after a bounded number of steps.
func authorize(t *testing.T, authURL, login string, choice userChoice) authorizationRedirect {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	browser := &http.Client{
		Jar:           jar,
		Timeout:       15 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	callback, err := url.Parse(redirectURI)
	if err != nil {
		t.Fatal(err)
	}
	method, target, body := "GET", authURL, url.Values(nil)
	for step := 0; step < 16; step++ {
		var req *http.Request
		if body != nil {
			req, err = http.NewRequest(method, target, strings.NewReader(body.Encode()))
			if err == nil {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
		} else {
			req, err = http.NewRequest(method, target, nil)
		}
		if err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		resp, err := browser.Do(req)
		if err != nil {
			t.Fatalf("step %d, %s %s: %v", step, method, req.URL.Path, err)
		}
		page, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
		resp.Body.Close()

		switch {
		case resp.StatusCode >= 300 && resp.StatusCode < 400:
			loc, err := resp.Location()
			if err != nil {
				t.Fatalf("step %d: a redirect without a usable Location: %v", step, err)
			}
			if loc.Scheme == callback.Scheme && loc.Hostname() == callback.Hostname() && loc.Path == callback.Path {
				q := loc.Query()
				return authorizationRedirect{
					Code: q.Get("code"), State: q.Get("state"), Iss: q.Get("iss"),
					Error: q.Get("error"), ErrorDescr: q.Get("error_description"), URL: loc,
				}
			}
			method, target, body = "GET", loc.String(), nil
		case resp.StatusCode == http.StatusOK && choice == userCancels:
			m := cancelRe.FindStringSubmatch(string(page))
			if m == nil {
				t.Fatalf("step %d: the page has no Cancel link: %.300s", step, page)
			}
			next, err := req.URL.Parse(html.UnescapeString(m[1]))
			if err != nil {
				t.Fatalf("step %d: Cancel link: %v", step, err)
			}
			method, target, body = "GET", next.String(), nil
		case resp.StatusCode == http.StatusOK:
			action, fields := parseForm(t, string(page))
			switch fields.Get("prompt") {
			case "login":
				fields.Set("login", login)
				fields.Set("password", "any password: the development form accepts all")
			case "consent":
			default:
				t.Fatalf("step %d: a form with prompt %q, want login or consent", step, fields.Get("prompt"))
			}
			next, err := req.URL.Parse(action)
			if err != nil {
				t.Fatalf("step %d: form action %q: %v", step, action, err)
			}
			method, target, body = "POST", next.String(), fields
		default:
			t.Fatalf("step %d: %s %s answered HTTP %d: %.300s", step, method, req.URL.Path, resp.StatusCode, page)
		}
	}
	t.Fatalf("no redirect to %s after 16 steps", redirectURI)
	return authorizationRedirect{}
}

// parseForm returns the action and the hidden fields of the page's form.
func parseForm(t *testing.T, page string) (string, url.Values) {
	t.Helper()
	m := formRe.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("the page has no form: %.300s", page)
	}
	fields := url.Values{}
	for _, in := range hiddenRe.FindAllStringSubmatch(m[2], -1) {
		fields.Add(html.UnescapeString(in[1]), html.UnescapeString(in[2]))
	}
	return html.UnescapeString(m[1]), fields
}
