package core

import (
	"strings"
	"time"

	"github.com/gstauth/gstauth/gstcrypto"
)

// ist is India Standard Time, UTC+05:30, fixed: it does not depend on the
// host's zone database or TZ setting.
var ist = time.FixedZone("IST", 5*3600+1800)

const nicExpiryLayout = "2006-01-02 15:04:05"

var nicExpiryPattern = lazyRegexp(`^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$`)

// ParseNICTokenExpiry parses a NIC TokenExpiry, "yyyy-MM-dd HH:mm:ss" with
// no zone, as IST (UTC+05:30) whatever the host's zone, and returns Unix
// milliseconds in the server's clock. Reading it in the host's local zone
// is a common bug: on a UTC host it moves the expiry 5½ hours late.
func ParseNICTokenExpiry(v string) (int64, error) {
	v = strings.TrimSpace(v)
	// time.Parse alone is lenient (one-digit hours, extra spaces): the
	// shape is checked first, and the value must format back to itself.
	if !nicExpiryPattern().MatchString(v) {
		return 0, newError(gstcrypto.CodeInvalidInput, "TokenExpiry must be yyyy-MM-dd HH:mm:ss")
	}
	t, err := time.ParseInLocation(nicExpiryLayout, v, ist)
	if err != nil || t.Format(nicExpiryLayout) != v {
		return 0, newError(gstcrypto.CodeInvalidInput, "TokenExpiry must be yyyy-MM-dd HH:mm:ss")
	}
	return t.UnixMilli(), nil
}

// FormatNICTokenExpiry formats Unix milliseconds as a NIC TokenExpiry in
// IST (the emulator uses it).
func FormatNICTokenExpiry(ms int64) string {
	return time.UnixMilli(ms).In(ist).Format(nicExpiryLayout)
}
