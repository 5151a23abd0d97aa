//go:build unix && !linux

package gstauth

// lockRecord takes nothing beyond flock where the system has no open file
// description locks: a process's fcntl locks would be released by any
// close of the file in the process, and are not shared by its goroutines.
func lockRecord(fd int) error { return nil }
