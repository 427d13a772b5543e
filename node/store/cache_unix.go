//go:build linux || darwin || freebsd

package store

import (
	"unsafe"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/sys/unix"
)

// DropCache unmaps the pages of the data file that reads have brought into
// this process. They stay in the kernel's page cache and come back on the
// next read (a minor fault); the process's resident set no longer counts
// them. A bulk import reads records all over the file (the references of
// every row it checks), so without this its resident set would grow to
// the size of the file. Errors are ignored: this is only advice.
func (s *Store) DropCache() {
	// Inside a read transaction bbolt cannot remap the file, so the
	// mapping stays where Info says it is while madvise runs.
	_ = s.db.View(func(tx *bolt.Tx) error {
		dropPages(tx)
		return nil
	})
}

// DropCache is Store.DropCache inside t, for a reader that maps pages
// faster than a periodic drop lets go of them (re-deriving the search
// index after an import): it never waits for a new transaction, which a
// writer remapping the file would hold up behind t.
func (t *Tx) DropCache() { dropPages(t.tx) }

func dropPages(tx *bolt.Tx) {
	info := tx.DB().Info()
	size := int(tx.Size())
	if info == nil || size <= 0 {
		return
	}
	// info.Data is the mapping's address, kept alive by the mapping
	// itself (not by the Go heap); read it as a pointer.
	base := *(*unsafe.Pointer)(unsafe.Pointer(&info.Data))
	_ = unix.Madvise(unsafe.Slice((*byte)(base), size), unix.MADV_DONTNEED)
}
