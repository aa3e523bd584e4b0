#!/usr/bin/env python3
# Slow reader vs fast writer: how much a writer can queue to a peer that never
# reads before send() blocks (2 s timeout). Usage: slow_reader.py PORT LIMIT_BYTES
# (run inside a netns + cgroup; see docs/limitations.md).
import socket, sys, time, threading, os
port=int(sys.argv[1]); limit=int(sys.argv[2])
srv=socket.socket(socket.AF_INET, socket.SOCK_STREAM); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR,1)
srv.bind(('127.0.0.1',port)); srv.listen(1)
c=socket.create_connection(('127.0.0.1',port)); s,_=srv.accept()
c.settimeout(2.0)   # a send that blocks 2 s means: flow-controlled
buf=b'x'*65536; sent=0; t0=time.time()
def tcpmem():
    for l in open('/proc/net/sockstat'):
        if l.startswith('TCP:'): return int(l.split()[-1])*4096
try:
    while sent < limit:
        sent += c.send(buf)
except socket.timeout:
    pass
print(f"sent {sent/2**20:.1f} MiB before blocking (limit {limit/2**20:.0f} MiB) in {time.time()-t0:.2f}s; TCP mem now {tcpmem()/2**20:.1f} MiB")
# now read everything back and check the count
s.setblocking(True); got=0
c.shutdown(socket.SHUT_WR)
while True:
    d=s.recv(1<<20)
    if not d: break
    got+=len(d)
print(f"reader then got {got/2**20:.1f} MiB (equal: {got==sent})")
