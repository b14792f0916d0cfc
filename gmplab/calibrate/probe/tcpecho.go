package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// tcpecho: a loopback TCP echo server (one goroutine per connection, -server_work_us of CPU
// per message) and -clients client goroutines, each doing -requests round trips of -size
// bytes on its own connection. Latency: the round trip per request.
func tcpechoProbe(fs *flag.FlagSet) func(r *run) error {
	clients := fs.Int("clients", 4, "client goroutines (one connection each)")
	requests := fs.Int("requests", 200, "round trips per client")
	size := fs.Int("size", 64, "message size (bytes)")
	serverWorkUs := fs.Float64("server_work_us", 10, "server CPU work per message (us)")
	return func(r *run) error {
		if err := check(*clients > 0, "-clients must be > 0", *requests > 0, "-requests must be > 0",
			*size > 0, "-size must be > 0", *serverWorkUs >= 0, "-server_work_us must be >= 0"); err != nil {
			return err
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("listen on loopback: %v", err)
		}
		defer ln.Close()
		var srv sync.WaitGroup
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				srv.Add(1)
				r.goIn()
				go func(c net.Conn) {
					defer srv.Done()
					defer r.goOut()
					defer c.Close()
					buf := make([]byte, *size)
					for {
						if _, err := io.ReadFull(c, buf); err != nil {
							return
						}
						spin(*serverWorkUs)
						if _, err := c.Write(buf); err != nil {
							return
						}
					}
				}(c)
			}
		}()
		conns := make([]net.Conn, *clients)
		for i := range conns {
			if conns[i], err = net.Dial("tcp", ln.Addr().String()); err != nil {
				return fmt.Errorf("dial the echo server: %v", err)
			}
		}
		r.latName = "TCP round trip: write to the echo's last byte read"
		errs := make(chan error, *clients)
		var wg sync.WaitGroup
		r.begin()
		for i := range conns {
			wg.Add(1)
			r.goIn()
			go func(c net.Conn) {
				defer wg.Done()
				defer r.goOut()
				h := r.lat.local()
				defer r.lat.merge(h)
				out, in := make([]byte, *size), make([]byte, *size)
				for j := 0; j < *requests; j++ {
					out[0] = byte(j)
					t := time.Now()
					if _, err := c.Write(out); err != nil {
						errs <- err
						return
					}
					if _, err := io.ReadFull(c, in); err != nil {
						errs <- err
						return
					}
					h.add(time.Since(t))
				}
			}(conns[i])
		}
		wg.Wait()
		r.end()
		for _, c := range conns {
			c.Close()
		}
		ln.Close()
		srv.Wait()
		select {
		case err := <-errs:
			return fmt.Errorf("client: %v", err)
		default:
		}
		r.ops = r.lat.n
		return nil
	}
}
