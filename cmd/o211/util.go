package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
)

func randomToken() (string, error) {
	buf := make([]byte, 24)
	if _, err := rand.Read(buf); err != nil {
		return "", err
	}
	return hex.EncodeToString(buf), nil
}

func trimNewline(b []byte) []byte { return bytes.TrimSpace(b) }
