// Package search is the directory search index of a regional node and of
// the provincial hub: an in-memory inverted index over service-at-location
// docs, with English and French text analysis (bleve's analysis packages),
// 211 taxonomy codes with their descendants, distance from a point, opening
// hours, language, age and region filters, BM25 ranking blended with
// distance, and facets by top-level taxonomy category.
//
// An Index is safe for concurrent use: any number of searches run while one
// writer replaces the docs of some services. Every write builds a new
// immutable snapshot and publishes it atomically, so a search sees either
// all of a write or none of it. Writes append to the shared posting arrays
// beyond what older snapshots can see, and mark removed docs dead; dead
// docs are squeezed out once they reach a quarter of the index.
//
// Save and Load (or Restore) write and read a checksummed binary snapshot,
// so that a node restarts without analysing its directory again.
//
// Where things are: document.go derives Docs from nested HSDS services;
// words.go cuts text into words and analyses them (folding, elision,
// English and French stemming); docterms.go turns a doc into its weighted
// terms (field boosts, keyword terms, grid cells, BM25 weights); lexicon.go
// numbers the terms; index.go, build.go and compact.go hold and change the
// index; query.go, execute.go, cache.go and results.go answer searches;
// schedule.go reads opening hours; snapshot.go and load.go save and load;
// indexer.go keeps an index in step with a directory's change feed.
package search
