#!/usr/bin/env python3
# Open N loopback TCP connections to our own listener and hold them, idle,
# until SIGTERM: a process that tries to fill sockaccel's socket map
# (t_security_mapfull). Usage: hold_conns.py PORT N READY_FILE
# READY_FILE is written once all N are established (both ends accepted).
import os, signal, socket, sys

port, n, ready = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(('127.0.0.1', port))
srv.listen(n)
held = []
for _ in range(n):
    c = socket.create_connection(('127.0.0.1', port), timeout=30)
    s, _ = srv.accept()
    held += [c, s]
with open(ready + '.tmp', 'w') as f:
    f.write(f"{n}\n")
os.rename(ready + '.tmp', ready)
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
while True:
    signal.pause()
