package node

import (
	"context"

	imp "github.com/o211/o211/node/importer"
)

// importer is the node's import endpoint: it reads a file into the node's
// directory, keeping the search index in step.
type importer struct{ dir *Directory }

// Import reads path in format and writes its records into the directory.
// See importer.Import for the errors.
func (a importer) Import(ctx context.Context, format, path string, skipInvalid bool) (any, error) {
	rep, err := imp.Import(ctx, a.dir, format, path, imp.Options{Region: a.dir.Region(), SkipInvalid: skipInvalid})
	if err != nil {
		return nil, err
	}
	return rep, nil
}
