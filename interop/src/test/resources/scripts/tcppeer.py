#!/usr/bin/python3
"""Kernel-side TCP peer for the interoperability tests (runs inside the test's namespace).

Usage:
  tcppeer.py seq HOST PORT N            N sequential connections to an echo service (32 bytes each)
  tcppeer.py concurrent HOST PORT N     N connections open at once, each echoes its own message
  tcppeer.py rr HOST PORT N             N 64-byte request/response round trips on one connection
  tcppeer.py bulk HOST PORT BYTES       send BYTES to a discard service, half-close, wait for its close
  tcppeer.py server ADDRESS             echo on port 7 and discard on port 9 (kernel baseline)
  tcppeer.py inject IFACE STACK_MAC STACK_IP PORT
                                        RFC 5961: in-window RST and SYN into an echo connection

Each client mode prints one line "ok KEY=VALUE ..." on success and exits 0; anything else exits 1
with the reason on stderr.
"""
import socket
import sys
import threading
import time


def recv_exactly(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise SystemExit(f"connection closed after {len(data)} of {n} bytes")
        data += chunk
    return data


def connect(host, port):
    s = socket.create_connection((host, port), timeout=20)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def seq(host, port, n):
    start = time.monotonic()
    slowest = 0.0
    slow = 0
    for i in range(n):
        t0 = time.monotonic()
        s = connect(host, port)
        msg = (b"%08d" % i) * 4
        s.sendall(msg)
        if recv_exactly(s, len(msg)) != msg:
            raise SystemExit(f"connection {i}: wrong echo")
        s.close()
        took = time.monotonic() - t0
        slowest = max(slowest, took)
        if took > 0.2:
            slow += 1
    elapsed = time.monotonic() - start
    print(f"ok connections={n} seconds={elapsed:.3f} per_second={n / elapsed:.0f} "
          f"slowest_ms={slowest * 1000:.0f} over_200ms={slow}", flush=True)


def concurrent(host, port, n):
    start = time.monotonic()
    sockets = [connect(host, port) for _ in range(n)]
    opened = time.monotonic() - start
    for i, s in enumerate(sockets):
        s.sendall(b"%08d" % i)
    for i, s in enumerate(sockets):
        if recv_exactly(s, 8) != b"%08d" % i:
            raise SystemExit(f"connection {i}: wrong echo")
    for s in sockets:
        s.close()
    print(f"ok connections={n} open_seconds={opened:.3f} seconds={time.monotonic() - start:.3f}", flush=True)


def rr(host, port, n):
    s = connect(host, port)
    msg = b"r" * 64
    for _ in range(min(n, 100)):  # warm-up
        s.sendall(msg)
        recv_exactly(s, 64)
    start = time.monotonic()
    for _ in range(n):
        s.sendall(msg)
        recv_exactly(s, 64)
    elapsed = time.monotonic() - start
    s.close()
    print(f"ok round_trips={n} seconds={elapsed:.3f} per_second={n / elapsed:.0f} "
          f"mean_us={elapsed / n * 1e6:.1f}", flush=True)


def bulk(host, port, total):
    s = connect(host, port)
    block = b"\xa5" * 65536
    start = time.monotonic()
    sent = 0
    while sent < total:
        n = min(len(block), total - sent)
        s.sendall(block[:n])
        sent += n
    s.shutdown(socket.SHUT_WR)
    s.settimeout(120)
    while s.recv(65536):
        pass
    elapsed = time.monotonic() - start
    s.close()
    print(f"ok bytes={total} seconds={elapsed:.3f} mbit_per_second={total * 8 / elapsed / 1e6:.0f}", flush=True)


def serve(address):
    def echo(c):
        with c:
            while True:
                d = c.recv(65536)
                if not d:
                    return
                c.sendall(d)

    def discard(c):
        with c:
            while c.recv(1 << 20):
                pass

    def listen(port, handler):
        ls = socket.socket()
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((address, port))
        ls.listen(128)
        while True:
            c, _ = ls.accept()
            c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=handler, args=(c,), daemon=True).start()

    threading.Thread(target=listen, args=(7, echo), daemon=True).start()
    threading.Thread(target=listen, args=(9, discard), daemon=True).start()
    print("listening", flush=True)
    while True:
        time.sleep(3600)


def inject(iface, stack_mac, stack_ip, port):
    from scapy.all import IP, TCP, AsyncSniffer, Ether, conf, sendp
    conf.verb = 0
    kernel_mac = open(f"/sys/class/net/{iface}/address").read().strip()
    s = connect(stack_ip, port)
    lport = s.getsockname()[1]
    kernel_ip = s.getsockname()[0]
    flt = f"tcp and port {lport}"

    sniffer = AsyncSniffer(iface=iface, filter=flt, store=True)
    sniffer.start()
    time.sleep(0.5)
    s.sendall(b"ping1")
    assert recv_exactly(s, 5) == b"ping1"
    time.sleep(0.3)
    seen = sniffer.stop()
    ours = [p for p in seen if p.haslayer(TCP) and p[IP].src == kernel_ip]
    if not ours:
        raise SystemExit("sniffed none of the kernel's segments")
    last = ours[-1][TCP]
    payload = len(bytes(last.payload))
    kernel_next = (last.seq + payload) & 0xFFFFFFFF
    stack_next = last.ack
    ts = [o for o in last.options if o[0] == "Timestamp"]
    options = [("Timestamp", (ts[0][1][0] + 1, ts[0][1][1]))] if ts else []
    # In the window, not exact: RFC 5961 §3.2 (RST) and §4.2 (SYN) want a challenge ACK, no reset.
    off = 1000

    def frame(flags, seqno, ack=0):
        return (Ether(src=kernel_mac, dst=stack_mac) / IP(src=kernel_ip, dst=stack_ip)
                / TCP(sport=lport, dport=port, flags=flags, seq=seqno, ack=ack, window=65535, options=options))

    results = {}
    for name, pkt in (("rst", frame("R", kernel_next + off)),
                      ("syn", frame("S", kernel_next + off)),
                      ("rst_ack", frame("RA", kernel_next + off, stack_next))):
        sniffer = AsyncSniffer(iface=iface, filter=flt, store=True)
        sniffer.start()
        time.sleep(0.3)
        sendp(pkt, iface=iface)
        time.sleep(0.5)
        got = sniffer.stop()
        acks = [p for p in got if p.haslayer(TCP) and p[IP].src == stack_ip and p[TCP].flags == "A"
                and len(bytes(p[TCP].payload)) == 0 and p[TCP].ack == kernel_next]
        resets = [p for p in got if p.haslayer(TCP) and p[IP].src == stack_ip and "R" in str(p[TCP].flags)]
        results[name] = (len(acks), len(resets))

    s.sendall(b"ping2")
    alive = recv_exactly(s, 5) == b"ping2"
    s.close()
    print("ok alive=%s %s" % ("yes" if alive else "no",
                              " ".join(f"{k}_challenge_acks={v[0]} {k}_resets={v[1]}" for k, v in results.items())),
          flush=True)


def main():
    mode = sys.argv[1]
    a = sys.argv[2:]
    if mode == "seq":
        seq(a[0], int(a[1]), int(a[2]))
    elif mode == "concurrent":
        concurrent(a[0], int(a[1]), int(a[2]))
    elif mode == "rr":
        rr(a[0], int(a[1]), int(a[2]))
    elif mode == "bulk":
        bulk(a[0], int(a[1]), int(a[2]))
    elif mode == "server":
        serve(a[0])
    elif mode == "inject":
        inject(a[0], a[1], a[2], int(a[3]))
    else:
        raise SystemExit("unknown mode " + mode)


if __name__ == "__main__":
    main()
