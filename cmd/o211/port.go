package main

import (
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
)

// freePort returns a loopback TCP port that is free now and that the
// kernel does not hand out by itself: it is drawn below the ephemeral
// range (/proc/sys/net/ipv4/ip_local_port_range), so that no socket bound
// to port 0 and no outgoing connection takes it while the process that
// listened on it restarts (the bench and the tests kill a hub replica or a
// node and start it again on its ports). Where the range cannot be read or
// leaves no room, it falls back on a port the kernel chooses.
func freePort() (int, error) {
	const lowest = 20000
	if low := ephemeralLow(); low > lowest+1000 {
		for range 100 {
			port := lowest + rand.IntN(low-lowest)
			ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
			if err == nil {
				ln.Close()
				return port, nil
			}
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// ephemeralLow returns the first port of the kernel's ephemeral range (0
// when unknown).
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 0
	}
	low, _ := strconv.Atoi(f[0])
	return low
}
