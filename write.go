package o211

// WriteOptions control a write of directory changes (the store's Write,
// the node's Directory.Write, an import).
type WriteOptions struct {
	// SkipInvalid writes the valid changes and reports the others as
	// rejected. Without it a write is all or nothing.
	SkipInvalid bool
	// Progress, when set, is called as changes are applied.
	Progress func(done, total int)
	// Source, when set, enters every record upserted under this import
	// source (a regional store keeps each record's source, so that a
	// re-import can remove what vanished from it); without it records keep
	// the source they have.
	Source string
}
