package gateway

// PeerSignature signs a hand-off, for tests that forge and replay them.
var PeerSignature = peerSignature
