package importer

import (
	"crypto/sha1"
	"encoding/hex"
	"strings"
)

// namespace is the UUID namespace of the ids the importers derive from
// source-system ids (RFC 9562 name-based, version 5).
var namespace = [16]byte{0x6f, 0x32, 0x31, 0x31, 0x2d, 0x69, 0x6d, 0x70, 0x9b, 0x41, 0x2e, 0x07, 0x5c, 0x63, 0xd1, 0x0e}

// NameID returns the version 5 UUID of parts joined by "|" in the
// importers' namespace. The same parts always give the same id, so that
// re-importing a file changes nothing; a region among the parts keeps two
// regions' ids apart.
func NameID(parts ...string) string {
	h := sha1.New()
	h.Write(namespace[:])
	h.Write([]byte(strings.Join(parts, "|")))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return string(b[:])
}
