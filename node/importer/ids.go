package importer

import (
	"strings"

	"github.com/google/uuid"
)

// namespace is the UUID namespace of the ids the importers derive from
// source-system ids (RFC 9562 name-based, version 5).
var namespace = uuid.UUID{0x6f, 0x32, 0x31, 0x31, 0x2d, 0x69, 0x6d, 0x70, 0x9b, 0x41, 0x2e, 0x07, 0x5c, 0x63, 0xd1, 0x0e}

// NameID returns the version 5 UUID of parts joined by "|" in the
// importers' namespace. The same parts always give the same id, so that
// re-importing a file changes nothing; a region among the parts keeps two
// regions' ids apart.
func NameID(parts ...string) string {
	return uuid.NewSHA1(namespace, []byte(strings.Join(parts, "|"))).String()
}
