package core

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the child processes' TZ values resolve even without a zone database

	"github.com/gstauth/gstauth/gstcrypto"
)

func TestParseNICTokenExpiry(t *testing.T) {
	tests := []struct {
		in   string
		want int64 // Unix ms; 0 = error
	}{
		// IST = UTC+05:30: 11:30 IST is 06:00 UTC.
		{"2026-01-01 11:30:00", t0 + 6*hour},
		{"2026-01-01 05:30:00", t0},
		{"2026-01-01 05:29:59", t0 - second},
		{"2026-01-01 00:00:00", t0 - 5*hour - 30*minute},
		{" 2026-01-01 05:30:01 ", t0 + second},
		{"2024-02-29 23:59:59", 1709231399000}, // 18:29:59 UTC
		{"2026-01-01T11:30:00", 0},
		{"2026-01-01 11:30", 0},
		{"2026-1-1 11:30:00", 0},
		{"01/01/2026 11:30:00", 0},
		{"2026-01-01 11:30:00+05:30", 0},
		{"2026-01-01 24:00:00", 0},
		{"2025-02-29 10:00:00", 0},
		{"2026-01-01  1:30:00", 0}, // time.Parse alone accepts this (found by FuzzParseNICTokenExpiry)
		{"", 0},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseNICTokenExpiry(tc.in)
			if tc.want == 0 {
				mustCode(t, err, gstcrypto.CodeInvalidInput, "")
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %d, %v; want %d", got, err, tc.want)
			}
			if back := FormatNICTokenExpiry(got); back != strings.TrimSpace(tc.in) {
				t.Errorf("FormatNICTokenExpiry = %q", back)
			}
		})
	}
}

// hostZones are the host time zones the IST parsing is checked under:
// India itself, UTC, a zone behind UTC with daylight saving, and the
// furthest ahead (UTC+14).
var hostZones = []string{"Asia/Kolkata", "UTC", "America/Los_Angeles", "Pacific/Kiritimati"}

// TestNICTokenExpiryAnyHostZone re-runs this test binary with each TZ and
// checks in the child that the host's zone took effect and did not move
// the parsed instant.
func TestNICTokenExpiryAnyHostZone(t *testing.T) {
	if want := os.Getenv("GSTAUTH_TEST_TZ"); want != "" {
		checkISTInThisZone(t, want)
		return
	}
	for _, tz := range hostZones {
		t.Run(tz, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestNICTokenExpiryAnyHostZone$", "-test.count=1", "-test.v")
			cmd.Env = append(os.Environ(), "TZ="+tz, "GSTAUTH_TEST_TZ="+tz)
			out, err := cmd.CombinedOutput()
			if err != nil || !strings.Contains(string(out), "--- PASS: TestNICTokenExpiryAnyHostZone") {
				t.Fatalf("TZ=%s: %v\n%s", tz, err, out)
			}
		})
	}
}

func checkISTInThisZone(t *testing.T, tz string) {
	// The zone took effect: time.Local has the zone's offset in January
	// 2026.
	wantOffset := map[string]int{"Asia/Kolkata": 19800, "UTC": 0, "America/Los_Angeles": -28800, "Pacific/Kiritimati": 50400}[tz]
	if _, off := time.UnixMilli(t0).In(time.Local).Zone(); off != wantOffset {
		t.Fatalf("TZ=%s did not take effect: local offset %d", tz, off)
	}
	got, err := ParseNICTokenExpiry("2026-01-01 11:30:00")
	if err != nil || got != t0+6*hour {
		t.Fatalf("TZ=%s: got %d, %v", tz, got-t0, err)
	}
	if s := FormatNICTokenExpiry(t0 + 6*hour); s != "2026-01-01 11:30:00" {
		t.Fatalf("TZ=%s: formatted %q", tz, s)
	}
	// The whole path: an auth answer's TokenExpiry becomes the same host
	// instant under every zone.
	s := tokenSession(ProviderNICEInvoice, 6*hour)
	key := make([]byte, 32)
	enc, _ := gstcrypto.EncryptAESECB(key, make([]byte, 32))
	s.Pending = &Pending{Step: StepAuth, AppKey: key}
	body := `{"Status":1,"Data":{"AuthToken":"new","Sek":"` + b64s(enc) + `","TokenExpiry":"2026-01-01 17:30:00"}}`
	if err := ParseResponse(s, &HTTPResponse{Status: 200, Body: body}, t0+6*hour, t0+6*hour); err != nil || s.ExpiresAtMs != t0+12*hour {
		t.Fatalf("TZ=%s: expiry %d, %v", tz, s.ExpiresAtMs-t0, err)
	}
}

func FuzzParseNICTokenExpiry(f *testing.F) {
	for _, s := range []string{"2026-01-01 11:30:00", "9999-12-31 23:59:59", "0000-01-01 00:00:00", "2026-13-01 00:00:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		ms, err := ParseNICTokenExpiry(v)
		if err != nil {
			if gstcrypto.CodeOf(err) != gstcrypto.CodeInvalidInput {
				t.Fatalf("code %s", gstcrypto.CodeOf(err))
			}
			return
		}
		if back := FormatNICTokenExpiry(ms); back != strings.TrimSpace(v) {
			t.Fatalf("%q → %d → %q", v, ms, back)
		}
	})
}
