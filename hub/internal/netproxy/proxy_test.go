package netproxy_test

import (
	"bufio"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/o211/o211/hub/internal/netproxy"
)

// echo starts a line echo server and returns its address.
func echo(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					fmt.Fprint(c, line)
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// roundTrip sends a line through conn and reads it back.
func roundTrip(conn net.Conn) error {
	conn.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := fmt.Fprint(conn, "ping\n"); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if line != "ping\n" {
		return fmt.Errorf("got %q", line)
	}
	return nil
}

func TestProxy_CutAndHeal(t *testing.T) {
	p, err := netproxy.New(echo(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	conn, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := roundTrip(conn); err != nil {
		t.Fatalf("through the proxy: %v", err)
	}
	p.Cut()
	if err := roundTrip(conn); err == nil {
		t.Fatal("an open connection survived the cut")
	}
	if c, err := net.Dial("tcp", p.Addr()); err == nil {
		if roundTrip(c) == nil {
			t.Fatal("a new connection got through a cut link")
		}
		c.Close()
	}
	p.Heal()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := roundTrip(c); err != nil {
		t.Fatalf("after healing: %v", err)
	}
	t.Run("SetTarget", func(t *testing.T) {
		p.SetTarget(echo(t))
		c, err := net.Dial("tcp", p.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := roundTrip(c); err != nil {
			t.Fatalf("to the new target: %v", err)
		}
	})
}
