#!/usr/bin/env python3
# TCP Fast Open ordering check: the client's first bytes travel in the SYN
# (before sockops sees either socket established), the rest follow at once;
# the server reads only after a delay, so the SYN data is still unread when
# later bytes could be redirected past it. Every chunk is an 8-digit sequence
# number; exit 1 on any gap or misorder, 0 when all arrive in order.
# Usage: tfo_order.py PORT CHUNKS   (run in a netns with net.ipv4.tcp_fastopen=0x207)
import socket, sys, threading, time

port, chunks = int(sys.argv[1]), int(sys.argv[2])
TCP_FASTOPEN = getattr(socket, "TCP_FASTOPEN", 23)
MSG_FASTOPEN = getattr(socket, "MSG_FASTOPEN", 0x20000000)

srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.setsockopt(socket.IPPROTO_TCP, TCP_FASTOPEN, 16)
srv.bind(("127.0.0.1", port))
srv.listen(16)
result = {}

def server():
    s, _ = srv.accept()
    time.sleep(0.5)  # leave the SYN data unread while the rest arrives
    data = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        data += d
    result["data"] = data

t = threading.Thread(target=server)
t.start()
c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
c.sendto(b"%08d" % 0, MSG_FASTOPEN, ("127.0.0.1", port))   # connect + data in the SYN
for i in range(1, chunks):
    c.sendall(b"%08d" % i)
c.shutdown(socket.SHUT_WR)
t.join(30)
c.close()
data = result.get("data", b"")
got = [int(data[i:i + 8]) for i in range(0, len(data) - len(data) % 8, 8)]
bad = [i for i, v in enumerate(got) if v != i]
print(f"received {len(got)} of {chunks} chunks, first out of order at index "
      f"{bad[0] if bad else '-'}" + (f" (got {got[bad[0]]})" if bad else ""))
sys.exit(0 if got == list(range(chunks)) else 1)
