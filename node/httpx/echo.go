package httpx

// MaxEcho is the most bytes of what a client sent that an error message
// repeats back.
const MaxEcho = 100

// Prefix returns at most MaxEcho bytes of s (cut at a rune boundary), with
// "…" when it was cut: error messages never echo more than a short prefix
// of what was sent.
func Prefix(s string) string {
	if len(s) <= MaxEcho {
		return s
	}
	n := MaxEcho
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}
