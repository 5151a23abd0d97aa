//go:build !race

package gstcrypto

// raceEnabled says whether the race detector is on; heavy tests shrink
// under it.
const raceEnabled = false
