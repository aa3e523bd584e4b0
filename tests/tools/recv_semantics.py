#!/usr/bin/env python3
# Two receive semantics that differ on sockmap-accelerated sockets, checked
# without timing races (see docs/limitations.md):
#  waitall: the writer sends 100 bytes, waits 1 s, sends 100 more;
#           recv(200, MSG_WAITALL) must return 200 (TCP). "short" if it returns 100.
#  rcvlowat: SO_RCVLOWAT 4096, the writer sends 100 bytes; poll(POLLIN, 1 s)
#           must time out (TCP). "ignored" if it reports readable.
# Prints one JSON object: {"waitall_short": bool, "rcvlowat_ignored": bool}.
# Usage: recv_semantics.py PORT   (both ends in this process)
import json, select, socket, sys, threading, time

port = int(sys.argv[1])
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(4)

def pair():
    # One byte each way, read with recv(): sockaccel redirects to a socket only
    # once it has read everything sent to it with recv() (splice safety), so
    # after this both directions are redirected from their next byte.
    c = socket.create_connection(("127.0.0.1", port))
    s, _ = srv.accept()
    c.sendall(b"?")
    assert s.recv(1) == b"?"
    s.sendall(b"!")
    assert c.recv(1) == b"!"
    return c, s

# MSG_WAITALL
c, s = pair()
def writer():
    c.sendall(b"a" * 100)
    time.sleep(1.0)
    c.sendall(b"b" * 100)
t = threading.Thread(target=writer)
t.start()
got = s.recv(200, socket.MSG_WAITALL)
t.join()
waitall_short = len(got) < 200
c.close(); s.close()

# SO_RCVLOWAT
c, s = pair()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVLOWAT, 4096)
c.sendall(b"x" * 100)
time.sleep(0.2)   # let the 100 bytes arrive (TCP) / be queued (redirect)
p = select.poll()
p.register(s, select.POLLIN)
rcvlowat_ignored = bool(p.poll(1000))
c.close(); s.close()

print(json.dumps({"waitall_short": waitall_short, "rcvlowat_ignored": rcvlowat_ignored,
                  "waitall_first_read": len(got)}))
