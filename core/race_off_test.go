//go:build !race

package core

// raceEnabled says whether the race detector is on; heavy tests shrink
// under it.
const raceEnabled = false
