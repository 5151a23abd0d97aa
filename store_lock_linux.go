package gstauth

import (
	"io"

	"golang.org/x/sys/unix"
)

// lockRecord takes an exclusive open file description lock on the whole
// file, without waiting (EAGAIN or EACCES when another holds a
// conflicting lock, an OFD lock or a process's fcntl lock alike).
func lockRecord(fd int) error {
	lk := unix.Flock_t{Type: unix.F_WRLCK, Whence: io.SeekStart}
	return unix.FcntlFlock(uintptr(fd), unix.F_OFD_SETLK, &lk)
}
