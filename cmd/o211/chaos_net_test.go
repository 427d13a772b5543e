//go:build linux

package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// netLab is a small network the chaos test builds from Linux network
// namespaces: a bridge in a namespace of its own, and one namespace per
// o211 process, each joined to the bridge by a veth pair whose bridge end
// the test takes down (a cut link), brings up (healed) or slows (netem, or
// tbf where the kernel has no netem). The test process reaches every
// host through a veth of its own on the bridge.
type netLab struct {
	t      *testing.T
	tag    string // 4 hex digits, in every name
	subnet string // "10.211.N"
	bridge string // the bridge's namespace
	netem  bool
	hosts  map[string]int // name -> host number (address subnet.n)
}

// needNetns skips the test, or fails it under CI=true, when this machine
// cannot build namespaces (not root, or no ip command).
func needNetns(t *testing.T) {
	t.Helper()
	why := ""
	if os.Geteuid() != 0 {
		why = "it runs as root only (ip netns, veth pairs, tmpfs mounts)"
	} else if _, err := exec.LookPath("ip"); err != nil {
		why = "the ip command (iproute2) is missing"
	} else if _, err := exec.LookPath("tc"); err != nil {
		why = "the tc command (iproute2) is missing"
	}
	if why == "" {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("the chaos suite cannot run: %s (.ci/run installs iproute2 and runs as root)", why)
	}
	t.Skipf("chaos suite skipped: %s", why)
}

func newNetLab(t *testing.T) *netLab {
	t.Helper()
	b := make([]byte, 2)
	rand.Read(b)
	l := &netLab{t: t, tag: hex.EncodeToString(b), hosts: map[string]int{}}
	l.subnet = fmt.Sprintf("10.211.%d", 10+int(b[0])%200)
	l.bridge = "o2c-" + l.tag + "-br"
	t.Cleanup(l.close)
	l.ip("netns", "add", l.bridge)
	l.ip("-n", l.bridge, "link", "set", "lo", "up")
	l.ip("-n", l.bridge, "link", "add", "br0", "type", "bridge")
	l.ip("-n", l.bridge, "link", "set", "br0", "up")
	// The test's own way in: a veth from the root namespace.
	root, peer := "o2c"+l.tag+"r", "o2c"+l.tag+"R"
	l.ip("link", "add", root, "type", "veth", "peer", "name", peer)
	l.ip("link", "set", peer, "netns", l.bridge)
	l.ip("-n", l.bridge, "link", "set", peer, "master", "br0", "up")
	l.ip("addr", "add", l.subnet+".1/24", "dev", root)
	l.ip("link", "set", root, "up")
	l.netem = exec.Command("ip", "netns", "exec", l.bridge, "tc", "qdisc", "add", "dev", peer, "root", "netem", "delay", "1ms").Run() == nil
	if l.netem {
		l.tc("qdisc", "del", "dev", peer, "root")
	} else {
		t.Logf("this kernel has no netem qdisc: latency and loss are played by tbf (a 96 kbit/s link whose queue drops what waits over 400 ms)")
	}
	return l
}

// ip runs the ip command and fails the test if it fails.
func (l *netLab) ip(args ...string) {
	l.t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		l.t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// tc runs tc in the bridge's namespace.
func (l *netLab) tc(args ...string) {
	l.t.Helper()
	args = append([]string{"netns", "exec", l.bridge, "tc"}, args...)
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		l.t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// host adds a namespace for name at address subnet.n and returns the
// address.
func (l *netLab) host(name string, n int) string {
	l.t.Helper()
	ns := l.ns(name)
	l.hosts[name] = n
	l.ip("netns", "add", ns)
	out, in := l.port(name), fmt.Sprintf("o2c%sq%d", l.tag, n)
	l.ip("link", "add", out, "type", "veth", "peer", "name", in)
	l.ip("link", "set", in, "netns", ns)
	l.ip("-n", ns, "link", "set", in, "name", "eth0")
	l.ip("-n", ns, "addr", "add", fmt.Sprintf("%s.%d/24", l.subnet, n), "dev", "eth0")
	l.ip("-n", ns, "link", "set", "eth0", "up")
	l.ip("-n", ns, "link", "set", "lo", "up")
	l.ip("link", "set", out, "netns", l.bridge)
	l.ip("-n", l.bridge, "link", "set", out, "master", "br0", "up")
	return fmt.Sprintf("%s.%d", l.subnet, n)
}

func (l *netLab) ns(name string) string { return "o2c-" + l.tag + "-" + name }

// port is the bridge end of name's link.
func (l *netLab) port(name string) string { return fmt.Sprintf("o2c%sp%d", l.tag, l.hosts[name]) }

// wrap runs a command in name's namespace.
func (l *netLab) wrap(name string) []string { return []string{"ip", "netns", "exec", l.ns(name)} }

// cut takes name's link down (down) or brings it up again.
func (l *netLab) cut(name string, down bool) {
	state := "up"
	if down {
		state = "down"
	}
	l.ip("-n", l.bridge, "link", "set", l.port(name), state)
}

// slow adds latency and loss to the bridge's side of name's link (on) or
// takes them away.
func (l *netLab) slow(name string, on bool) {
	switch {
	case !on:
		l.tc("qdisc", "del", "dev", l.port(name), "root")
	case l.netem:
		l.tc("qdisc", "add", "dev", l.port(name), "root", "netem", "delay", "300ms", "100ms", "loss", "10%")
	default:
		l.tc("qdisc", "add", "dev", l.port(name), "root", "tbf", "rate", "96kbit", "burst", "4kb", "latency", "400ms")
	}
}

// close deletes the namespaces (their links go with them).
func (l *netLab) close() {
	for name := range l.hosts {
		exec.Command("ip", "netns", "del", l.ns(name)).Run()
	}
	exec.Command("ip", "netns", "del", l.bridge).Run()
	exec.Command("ip", "link", "del", "o2c"+l.tag+"r").Run()
}

// tmpfsDisk mounts a tmpfs of size MiB at dir (a disk that can fill up)
// until the test ends.
func tmpfsDisk(t *testing.T, dir string, size int) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%dm", size), "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount tmpfs on %s: %v\n%s", dir, err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
}

// fillDisk fills the file system of dir but for a few KiB with a file it
// returns; removing the file frees the space.
func fillDisk(t *testing.T, dir string) string {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	path := dir + "/filler"
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	free := int64(st.Bavail) * st.Bsize
	chunk := make([]byte, 1<<20)
	for free > 16<<10 {
		n := min(int64(len(chunk)), free-8<<10)
		if _, err := f.Write(chunk[:n]); err != nil {
			break // full
		}
		free -= n
	}
	return path
}
