package o211

// WriteOptions control a write of directory changes (the store's Write,
// the node's Directory.Write, an import).
type WriteOptions struct {
	// SkipInvalid writes the valid changes and reports the others as
	// rejected. Without it a write is all or nothing.
	SkipInvalid bool
	// Progress, when set, is called as changes are applied.
	Progress func(done, total int)
}
