#!/bin/bash
# Runs one command in a QEMU guest (software emulation) that sees the host's root read-only, with
# one legacy and one modern virtio-net device whose TAPs sit in a fresh network namespace on the
# host, and exits with the command's exit code. See README.md in this directory.
#
# usage: run-in-guest.sh [-t SECONDS] [-o RESULTS_DIR] [-n NETNS] [-q QUEUES] [-r] [-k] -- COMMAND [ARG...]
#   -t  timeout for the whole guest run (default 240); exit 124 when it expires
#   -o  directory shared writable with the guest at the same path (default: a temporary one)
#   -n  name of the host network namespace (default nsv-guest-PID; must start with nsv-)
#   -q  queue pairs each virtio-net device offers (default 1; more: multi-queue TAPs, mq=on, VIRTIO_NET_F_MQ)
#   -r  with -q > 1: the modern device also offers VIRTIO_NET_F_RSS (rss=on)
#   -k  keep the work directory (initramfs, console log) for inspection
# exit codes: the command's, 124 timeout, 125 the rig failed (boot, mounts), 126 prerequisites missing
set -euo pipefail

TIMEOUT=240
RESULTS=
NETNS="nsv-guest-$$"
KEEP=0
QUEUES=1
RSS=0
while getopts "t:o:n:q:rk" opt; do
    case "$opt" in
        t) TIMEOUT="$OPTARG" ;;
        o) RESULTS="$OPTARG" ;;
        n) NETNS="$OPTARG" ;;
        q) QUEUES="$OPTARG" ;;
        r) RSS=1 ;;
        k) KEEP=1 ;;
        *) echo "usage: $0 [-t SECONDS] [-o RESULTS_DIR] [-n NETNS] [-q QUEUES] [-r] [-k] -- COMMAND [ARG...]" >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
[ "${1:-}" = "--" ] && shift
if [ $# -eq 0 ]; then
    echo "run-in-guest: no command given: $0 [-t SECONDS] [-o DIR] -- COMMAND [ARG...]" >&2
    exit 2
fi
case "$QUEUES" in [1-8]) ;; *) echo "run-in-guest: -q takes 1 to 8 queue pairs" >&2; exit 2 ;; esac
[ "$RSS" -eq 0 ] || [ "$QUEUES" -gt 1 ] || { echo "run-in-guest: -r needs -q 2 or more" >&2; exit 2; }
case "$NETNS" in nsv-*) ;; *) echo "run-in-guest: the namespace name must start with nsv-" >&2; exit 2 ;; esac

HERE="$(cd "$(dirname "$0")" && pwd)"
die() { echo "run-in-guest: $*" >&2; exit 126; }
[ "$(id -u)" -eq 0 ] || die "needs root (network namespace, TAPs); run it with sudo."
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 is missing: apt-get install qemu-system-x86."
BUSYBOX=/bin/busybox
[ -x "$BUSYBOX" ] && "$BUSYBOX" --list | grep -x insmod >/dev/null || die "static busybox is missing: apt-get install busybox-static."
[ -c /dev/net/tun ] || die "/dev/net/tun is missing: the kernel needs TUN/TAP support."
command -v cpio >/dev/null || die "cpio is missing: apt-get install cpio."
command -v modprobe >/dev/null || die "modprobe is missing: apt-get install kmod."
KERNEL=$(ls -1 /boot/vmlinuz-*-amd64 2>/dev/null | sort -V | tail -1 || true)
[ -n "$KERNEL" ] || die "no Debian kernel in /boot: apt-get install linux-image-amd64."
KVER="${KERNEL#/boot/vmlinuz-}"
[ -d "/lib/modules/$KVER" ] || die "modules of $KVER are missing: apt-get install --reinstall linux-image-$KVER."

# The guest's devices, fixed so commands can name them.
LEGACY_PCI=0000:00:04.0
MODERN_PCI=0000:00:05.0
LEGACY_TAP=vtap0
MODERN_TAP=vtap1
LEGACY_HOST=198.18.10.1
MODERN_HOST=198.18.11.1

WORK="$(mktemp -d /tmp/run-in-guest.XXXXXX)"
if [ -z "$RESULTS" ]; then RESULTS="$WORK/results"; fi
mkdir -p "$RESULTS"
RESULTS="$(cd "$RESULTS" && pwd)"
case "$RESULTS" in *[[:space:]]*) die "the results directory must not contain spaces: $RESULTS" ;; esac
QEMU_PID=

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [ -n "$QEMU_PID" ] && kill -0 "$QEMU_PID" 2>/dev/null; then
        kill "$QEMU_PID" 2>/dev/null || true
        sleep 1
        kill -9 "$QEMU_PID" 2>/dev/null || true
    fi
    ip netns pids "$NETNS" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
    ip netns del "$NETNS" 2>/dev/null || true
    [ -f "$WORK/console.log" ] && cp "$WORK/console.log" "$RESULTS/console.log" 2>/dev/null || true
    if [ "$KEEP" -eq 0 ]; then rm -rf "$WORK/initramfs" "$WORK/initramfs.cpio.gz"; [ "$RESULTS" = "$WORK/results" ] || rm -rf "$WORK"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Leftovers of earlier runs whose script is gone.
for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep '^nsv-guest-' || true); do
    pid="${ns#nsv-guest-}"
    if ! kill -0 "$pid" 2>/dev/null; then
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
        ip netns del "$ns" 2>/dev/null || true
    fi
done

# --- initramfs: busybox, the modules in dependency order, our init ---
IR="$WORK/initramfs"
mkdir -p "$IR/bin" "$IR/modules"
cp "$BUSYBOX" "$IR/bin/busybox"
cp "$HERE/guest-init.sh" "$IR/init"
chmod 755 "$IR/init" "$IR/bin/busybox"
: > "$IR/modules.list"
for m in virtio_pci virtio_net 9pnet_virtio 9p overlay; do
    modprobe -S "$KVER" --show-depends "$m" | awk '$1 == "insmod" {print $2}'
done | awk '!seen[$0]++' | while read -r ko; do
    name="$(basename "$ko")"
    case "$ko" in
        *.ko.xz) xz -dc "$ko" > "$IR/modules/${name%.xz}"; name="${name%.xz}" ;;
        *.ko.zst) zstd -qdc "$ko" > "$IR/modules/${name%.zst}"; name="${name%.zst}" ;;
        *) cp "$ko" "$IR/modules/$name" ;;
    esac
    echo "$name" >> "$IR/modules.list"
done
(cd "$IR" && find . | cpio -o -H newc --quiet | gzip -1) > "$WORK/initramfs.cpio.gz"

# --- the command, run by the guest's /bin/sh from the results share ---
{
    echo "export NETSTACK_GUEST=1 NETSTACK_LEGACY_PCI=$LEGACY_PCI NETSTACK_MODERN_PCI=$MODERN_PCI"
    echo "export NETSTACK_GUEST_QUEUES=$QUEUES NETSTACK_GUEST_RSS=$RSS"
    echo "export NETSTACK_LEGACY_HOST=$LEGACY_HOST NETSTACK_MODERN_HOST=$MODERN_HOST NETSTACK_RESULTS=$RESULTS"
    echo "export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root"
    [ -n "${JAVA_HOME:-}" ] && echo "export JAVA_HOME=$(printf '%q' "$JAVA_HOME")"
    echo "cd $(printf '%q' "$PWD") 2>/dev/null || cd /"
    printf 'exec'; printf ' %q' "$@"; echo
} > "$RESULTS/.guest-command.sh"

# --- host side: a namespace with the two TAPs, addressed from 198.18.0.0/15 ---
ip netns add "$NETNS"
ip -n "$NETNS" link set lo up
for pair in "$LEGACY_TAP $LEGACY_HOST" "$MODERN_TAP $MODERN_HOST"; do
    set -- $pair
    if [ "$QUEUES" -gt 1 ]; then
        ip -n "$NETNS" tuntap add dev "$1" mode tap multi_queue
    else
        ip -n "$NETNS" tuntap add dev "$1" mode tap
    fi
    ip netns exec "$NETNS" sysctl -qw "net.ipv6.conf.$1.disable_ipv6=1"
    ip -n "$NETNS" addr add "$2/24" dev "$1"
    ip -n "$NETNS" link set "$1" up
done

# --- the guest ---
# -q: several queue pairs (virtio 1.1 §5.1.6.5.5); MSI-X vectors for 2N queues + control + config
# -r: RSS on the modern device (virtio 1.2 §5.1.6.5.7; legacy devices have no feature bit 60);
# QEMU steers in an eBPF program on the TAP when it can load one, else in software, alike.
NETOPT=
DEVOPT=
MODERN_DEVOPT=
if [ "$QUEUES" -gt 1 ]; then
    NETOPT=",queues=$QUEUES"
    DEVOPT=",mq=on,vectors=$((2 * QUEUES + 2))"
    MODERN_DEVOPT="$DEVOPT"
    [ "$RSS" -eq 1 ] && MODERN_DEVOPT="$DEVOPT,rss=on"
fi
APPEND="console=ttyS0 panic=-1 quiet hugepagesz=2M hugepages=64 rdinit=/init"
APPEND="$APPEND netstack.cmd=$RESULTS/.guest-command.sh netstack.results=$RESULTS"
ip netns exec "$NETNS" qemu-system-x86_64 \
    -accel tcg,thread=multi -cpu max -M q35 -smp 2 -m 2048 \
    -nodefaults -display none -no-reboot \
    -kernel "$KERNEL" -initrd "$WORK/initramfs.cpio.gz" -append "$APPEND" \
    -serial "file:$WORK/console.log" \
    -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
    -virtfs "local,path=$RESULTS,mount_tag=results,security_model=none,multidevs=remap" \
    -netdev "tap,id=n0,ifname=$LEGACY_TAP,script=no,downscript=no$NETOPT" \
    -device "virtio-net-pci,netdev=n0,disable-modern=on,disable-legacy=off,addr=04.0,mac=52:54:00:00:0a:02,romfile=$DEVOPT" \
    -netdev "tap,id=n1,ifname=$MODERN_TAP,script=no,downscript=no$NETOPT" \
    -device "virtio-net-pci,netdev=n1,disable-modern=off,disable-legacy=on,addr=05.0,mac=52:54:00:00:0b:02,romfile=$MODERN_DEVOPT" &
QEMU_PID=$!

deadline=$((SECONDS + TIMEOUT))
while kill -0 "$QEMU_PID" 2>/dev/null; do
    if [ "$SECONDS" -ge "$deadline" ]; then
        echo "run-in-guest: the guest did not finish within ${TIMEOUT}s; console log: $RESULTS/console.log" >&2
        ip -n "$NETNS" -s link show > "$RESULTS/host-links.txt" 2>&1 || true
        exit 124
    fi
    sleep 0.5
done
wait "$QEMU_PID" || true
QEMU_PID=
ip -n "$NETNS" -s link show > "$RESULTS/host-links.txt" 2>&1 || true

RC=$(grep -ao 'NETSTACK-EXIT=[0-9]*' "$WORK/console.log" 2>/dev/null | tail -1 | cut -d= -f2 || true)
if [ -z "$RC" ]; then
    echo "run-in-guest: the guest ended without an exit code; last console lines:" >&2
    tail -20 "$WORK/console.log" >&2 || true
    exit 125
fi
exit "$RC"
