#!/usr/bin/env python3
# The unread bound of a reading socket (rx_progress "limit", sa_rx_limit) must
# follow what it is computed from while the connection lives: the operator's
# --max-unread (changed by a new loader run) and the reader's SO_RCVBUF; the
# read path refreshes it (bpf/sockaccel.bpf.c, sa_rx_account).
# Both ends in this process; the server socket reads. Between phases it waits
# for the file CTRLDIR/goN, so that the test can read `sockaccelctl conns` and
# change the policy. Prints one JSON line per phase: {"phase": N, "rcvbuf": B}.
# Usage: rx_limit.py PORT CTRLDIR
import json, os, socket, sys, time

port, ctrl = int(sys.argv[1]), sys.argv[2]
lst = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
lst.bind(("127.0.0.1", port))
lst.listen(1)
c = socket.create_connection(("127.0.0.1", port))
s, _ = lst.accept()


def exchange():
    # one byte each way, read with recv(): the server's read runs the read
    # accounting, where the bound is recomputed
    c.sendall(b"?")
    assert s.recv(1) == b"?"
    s.sendall(b"!")
    assert c.recv(1) == b"!"


def report(phase):
    print(json.dumps(dict(phase=phase, rcvbuf=s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF))), flush=True)


def wait_go(n):
    path = os.path.join(ctrl, "go%d" % n)
    for _ in range(3000):
        if os.path.exists(path):
            return
        time.sleep(0.01)
    sys.exit("rx_limit.py: no %s after 30 s" % path)


for _ in range(3):
    exchange()
report(0)
wait_go(1)			# the policy now has --max-unread
exchange()
report(1)
wait_go(2)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)	# the kernel doubles it and locks it
exchange()
report(2)
wait_go(3)
