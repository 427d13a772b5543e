package httpx

import (
	"strings"
	"unicode/utf8"

	"github.com/o211/o211"
)

// CheckUTF8 returns an EINVALID error, saying at which byte, when a JSON
// request body is not valid UTF-8 (RFC 8259 requires it; encoding/json
// would silently turn the bad bytes into U+FFFD and store something else
// than was sent). Every JSON body is checked before it is decoded.
func CheckUTF8(body []byte) error {
	if utf8.Valid(body) {
		return nil
	}
	at := 0
	for at < len(body) {
		r, size := utf8.DecodeRune(body[at:])
		if r == utf8.RuneError && size <= 1 {
			break
		}
		at += size
	}
	return o211.Errorf(o211.EINVALID, "The body is not valid UTF-8 (at byte %d): send JSON text encoded in UTF-8.", at)
}

// JSONProblem says briefly what a decoding error of encoding/json found
// wrong, without the "json: " prefix and never echoing more than a short
// prefix of the input (an unknown field's name can be as long as the body).
func JSONProblem(err error) string {
	return Prefix(strings.TrimPrefix(err.Error(), "json: "))
}
