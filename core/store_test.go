package core

import (
	"strings"
	"testing"

	"github.com/gstauth/gstauth/gstcrypto"
)

// TestLeaseRules: one holder at a time, at the expiry instant to the
// millisecond; extend and release only by the holder.
func TestLeaseRules(t *testing.T) {
	r := &StoreRecord{}
	step := func(a LeaseAction, holder string, now int64, want bool) {
		t.Helper()
		got, err := LeaseRecord(r, a, holder, 10*second, now)
		if err != nil || got != want {
			t.Fatalf("%s by %s at %d: %v %v (lease %+v)", a, holder, now, got, err, r.Lease)
		}
	}
	step(LeaseTake, "w1", t0, true)
	step(LeaseTake, "w2", t0+10*second-1, false) // 1 ms before it expires
	step(LeaseExtend, "w2", t0+1, false)
	step(LeaseRelease, "w2", t0+1, false)
	step(LeaseTake, "w1", t0+1000, true) // the holder renews by taking again
	step(LeaseTake, "w2", t0+11*second, true)
	step(LeaseExtend, "w1", t0+11*second, false) // w1 stalled past its lease
	step(LeaseExtend, "w2", t0+12*second, true)
	if r.Lease.ExpiresAtMs != t0+22*second {
		t.Fatalf("extended to %d", r.Lease.ExpiresAtMs)
	}
	step(LeaseRelease, "w2", t0+13*second, true)
	if r.Lease != nil {
		t.Fatal("released lease kept")
	}
	for _, tc := range []struct {
		holder string
		ttl    int64
		action LeaseAction
	}{{"", second, LeaseTake}, {"a b", second, LeaseTake}, {strings.Repeat("a", 129), second, LeaseTake},
		{"w", second - 1, LeaseTake}, {"w", MaxLeaseMs + 1, LeaseExtend}, {"w", second, "steal"}} {
		if _, err := LeaseRecord(&StoreRecord{}, tc.action, tc.holder, tc.ttl, t0); gstcrypto.CodeOf(err) != gstcrypto.CodeInvalidInput {
			t.Errorf("%+v: %v", tc, err)
		}
	}
}

// TestWriteIsFenced: a write from a stale version is refused and changes
// nothing.
func TestWriteIsFenced(t *testing.T) {
	r := &StoreRecord{}
	if v, ok, err := WriteRecord(r, 0, "s1"); err != nil || !ok || v != 1 {
		t.Fatal(v, ok, err)
	}
	if v, ok, err := WriteRecord(r, 0, "stale"); err != nil || ok || v != 1 || r.Sealed != "s1" {
		t.Fatal(v, ok, err, r)
	}
	if v, ok, _ := WriteRecord(r, 1, "s2"); !ok || v != 2 || r.Sealed != "s2" {
		t.Fatal(v, ok, r)
	}
	if _, _, err := WriteRecord(r, 2, ""); gstcrypto.CodeOf(err) != gstcrypto.CodeInvalidInput {
		t.Fatal(err)
	}
}

func TestStoreKeys(t *testing.T) {
	k, err := StoreKeysOf(ProviderGSTN, "27AAACR5055K1Z7/user")
	if err != nil || len(k.ID) != 32 || k.Session != "gstauth:{"+k.ID+"}:session" || k.Lease != "gstauth:{"+k.ID+"}:lease" || k.File != "gstauth-"+k.ID+".json" {
		t.Fatalf("%+v %v", k, err)
	}
	if o, _ := StoreKeysOf(ProviderNICEInvoice, "27AAACR5055K1Z7/user"); o.ID == k.ID {
		t.Fatal("two providers share a record")
	}
	if _, err := StoreKeysOf("smtp", "a"); gstcrypto.CodeOf(err) != gstcrypto.CodeConfigInvalid {
		t.Fatal(err)
	}
}
