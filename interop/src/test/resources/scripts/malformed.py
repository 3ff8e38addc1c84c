#!/usr/bin/python3
"""Sends malformed Ethernet/ARP/IPv4/ICMP frames from the kernel side of a TAP to the stack.

Usage: malformed.py IFACE STACK_MAC STACK_IP KERNEL_IP

Prints one line per class of frame sent ("sent CLASS N") so the test can match what it sent with
what the stack counted. Every frame is addressed to the stack's MAC so that it reaches the layer
under test rather than the destination filter.
"""
import random
import sys

from scapy.all import ARP, ICMP, IP, Ether, Raw, conf, sendp  # noqa: E402

conf.verb = 0
iface, stack_mac, stack_ip, kernel_ip = sys.argv[1:5]
src_mac = open(f"/sys/class/net/{iface}/address").read().strip()


def send(kind, frames):
    frames = list(frames)
    sendp(frames, iface=iface)
    print(f"sent {kind} {len(frames)}", flush=True)


eth = Ether(dst=stack_mac, src=src_mac)
# For frames assembled from bytes: a bare Ether() serializes with scapy's default EtherType 0x9000
# (loopback), which the stack rightly drops as an unknown EtherType before IPv4 sees the header.
eth_ip = Ether(dst=stack_mac, src=src_mac, type=0x0800)
echo = eth / IP(src=kernel_ip, dst=stack_ip, id=4242) / ICMP(id=7, seq=1) / Raw(b"x" * 56)
good = bytes(echo)

# Every truncation of a valid echo request: cuts inside Ethernet, IPv4 and ICMP. The kernel refuses
# frames shorter than an Ethernet header on a packet socket (dev_validate_header), so cuts below 14
# bytes never reach the stack; the fuzz targets cover those.
send("truncated", (Raw(good[:n]) for n in range(0, len(good))))

# IPv4 header errors.
send("bad-ip-checksum", [eth / IP(src=kernel_ip, dst=stack_ip, chksum=0x1234) / ICMP()])
send("bad-version", [Raw(bytes(eth_ip) + bytes([0x65]) + bytes(IP(src=kernel_ip, dst=stack_ip) / ICMP())[1:])])
for ihl in range(0, 5):
    send(f"ihl-{ihl}", [Raw(bytes(eth_ip) + bytes([0x40 | ihl]) + bytes(IP(src=kernel_ip, dst=stack_ip) / ICMP())[1:])])
send("length-beyond-frame", [eth / IP(src=kernel_ip, dst=stack_ip, len=1500) / ICMP()])
send("length-below-header", [eth / IP(src=kernel_ip, dst=stack_ip, len=12) / ICMP()])
# Fragment offset 8191 (65528 bytes) with 64 bytes of data ends past 65535.
send("offset-past-65535", [eth / IP(src=kernel_ip, dst=stack_ip, id=999, frag=8191, proto=1) / Raw(b"y" * 64)])
send("bad-icmp-checksum", [eth / IP(src=kernel_ip, dst=stack_ip) / ICMP(chksum=0xBEEF) / Raw(b"z" * 8)])
send("unknown-protocol", [eth / IP(src=kernel_ip, dst=stack_ip, proto=253) / Raw(b"p" * 8)])

# ARP errors.
send("arp-bad-hlen", [eth / ARP(hwlen=7, op=1, pdst=stack_ip, psrc=kernel_ip)])
send("arp-truncated", [Raw(bytes(eth / ARP(op=1, pdst=stack_ip, psrc=kernel_ip))[:14 + n]) for n in range(0, 28)])

# Random garbage after a valid Ethernet header with the IPv4 EtherType.
rng = random.Random(20261121)
send("garbage-ipv4", [Raw(bytes(Ether(dst=stack_mac, src=src_mac, type=0x0800)) +
                          bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 200)))) for _ in range(200)])
