//go:build race

package gstcrypto

const raceEnabled = true
