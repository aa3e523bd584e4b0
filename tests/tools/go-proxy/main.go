// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause

// go-proxy: the classic Go TCP proxy, for tests/netns/t_splice_go_proxy.sh.
//
//	go-proxy -l LISTEN_ADDR:PORT -b BACKEND_ADDR:PORT
//
// For every accepted connection it dials the backend and runs io.Copy both
// ways. Both ends are *net.TCPConn, so io.Copy ends in (*TCPConn).ReadFrom,
// which on Linux moves the bytes with splice() through a pipe (the standard
// library's internal/poll.Splice) instead of read()/write(). When one
// direction ends (EOF from its source) the proxy half-closes the other side
// (CloseWrite), so a shutdown(SHUT_WR) passes through; the connection is
// closed once both directions are done.
//
// Standard library only. On SIGTERM/SIGINT it prints one summary line
// ("go-proxy: conns N copied_bytes B copy_errors E") and exits 0; every copy
// error is also printed as it happens.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
)

var (
	conns, copied, copyErrors atomic.Int64
)

// pipe copies src to dst, then half-closes dst (EOF for its reader).
func pipe(dst, src *net.TCPConn, what string, wg *sync.WaitGroup) {
	defer wg.Done()
	n, err := io.Copy(dst, src)
	copied.Add(n)
	if err != nil {
		copyErrors.Add(1)
		fmt.Fprintf(os.Stderr, "go-proxy: %s %s->%s: %d bytes, error: %v\n",
			what, src.RemoteAddr(), dst.RemoteAddr(), n, err)
	}
	dst.CloseWrite()
}

func serve(c *net.TCPConn, backend string) {
	defer c.Close()
	b, err := net.Dial("tcp", backend)
	if err != nil {
		copyErrors.Add(1)
		fmt.Fprintf(os.Stderr, "go-proxy: dial %s: %v\n", backend, err)
		return
	}
	bc := b.(*net.TCPConn)
	defer bc.Close()
	var wg sync.WaitGroup
	wg.Add(2)
	go pipe(bc, c, "c2s", &wg)
	go pipe(c, bc, "s2c", &wg)
	wg.Wait()
}

func main() {
	listen := flag.String("l", "127.0.0.1:6000", "listen address")
	backend := flag.String("b", "127.0.0.1:6001", "backend address")
	flag.Parse()

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(os.Stderr, "go-proxy: listen %s: %v\n", *listen, err)
		os.Exit(1)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-sig
		fmt.Printf("go-proxy: conns %d copied_bytes %d copy_errors %d\n",
			conns.Load(), copied.Load(), copyErrors.Load())
		os.Exit(0)
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			fmt.Fprintf(os.Stderr, "go-proxy: accept: %v\n", err)
			continue
		}
		conns.Add(1)
		go serve(c.(*net.TCPConn), *backend)
	}
}
