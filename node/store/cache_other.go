//go:build !(linux || darwin || freebsd)

package store

// DropCache does nothing on this system.
func (s *Store) DropCache() {}

// DropCache does nothing on this system.
func (t *Tx) DropCache() {}
