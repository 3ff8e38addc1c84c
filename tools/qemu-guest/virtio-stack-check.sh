#!/bin/sh
# Runs inside the guest of run-in-guest.sh (launcher's VirtioStackGuestIT starts it): the full
# stack from the distribution DIST on both virtio-net devices at once (eth0 legacy, selected on the
# command line; eth1 modern, by a nic.virtio configuration file), then pktgen on each and fwd
# between the two. The host side (the test) acts at each step: the guest creates
# RESULTS/guest-STEP and waits for RESULTS/host-STEP (both on the shared results directory).
# Everything the guest sees is written to RESULTS/stack-report.txt ("ok"/"FAIL" lines, figures).
#
# usage: virtio-stack-check.sh DIST
set -u
DIST=$1
R=$NETSTACK_RESULTS
REPORT=$R/stack-report.txt
: > "$REPORT"
# C1 only: the JIT's C2 compiles too slowly under TCG to pay off in a run this short.
export NETSTACK_JAVA_OPTS="-Xmx384m -XX:+UseSerialGC -XX:TieredStopAtLevel=1"

say() { echo "$*" >> "$REPORT"; echo "$*"; }
now() { cut -d' ' -f1 /proc/uptime; }
driver() { d=$(readlink "/sys/bus/pci/devices/$1/driver" 2>/dev/null) && basename "$d" || echo none; }
# handshake STEP [SECONDS]: tell the host, wait for its answer.
handshake() {
    touch "$R/guest-$1"
    n=0
    while [ ! -e "$R/host-$1" ]; do
        n=$((n + 1))
        if [ "$n" -gt $((${2:-120} * 10)) ]; then say "FAIL host did not answer $1"; return 1; fi
        sleep 0.1
    done
}
# await_line FILE TEXT SECONDS PID: wait until FILE contains TEXT while PID lives.
await_line() {
    n=0
    while ! grep -q "$2" "$1" 2>/dev/null; do
        kill -0 "$4" 2>/dev/null || return 1
        n=$((n + 1))
        [ "$n" -gt $(($3 * 10)) ] && return 1
        sleep 0.1
    done
}

stack() { # one stack serving both devices: eth0 legacy (command line), eth1 modern (configuration)
    cfg=/tmp/cfg
    mkdir -p "$cfg"
    cp "$DIST"/etc/*.cfg "$cfg"/
    echo "enabled = true" > "$cfg/netstack.demo.cfg" # the demo services: HTTP on 80
    printf 'name = eth1\npci = %s\n' "$NETSTACK_MODERN_PCI" > "$cfg/nic.virtio-eth1.cfg"
    printf 'name = eth1\naddress = 198.18.11.2/24\n' > "$cfg/netstack.ip.interface-eth1.cfg"
    t0=$(now)
    "$DIST/bin/netstack" run --backend virtio --pci "$NETSTACK_LEGACY_PCI" --address 198.18.10.2/24 --config "$cfg" \
        --run /tmp/run --no-console > "$R/stack.log" 2>&1 &
    pid=$!
    if await_line "$R/stack.log" "netstack started" 240 "$pid"; then
        say "ok   stack started in $(echo "$(now) $t0" | awk '{printf "%.1f", $1 - $2}') s; drivers: legacy $(driver "$NETSTACK_LEGACY_PCI"), modern $(driver "$NETSTACK_MODERN_PCI")"
        handshake stack 240
    else
        say "FAIL the stack did not start (stack.log)"
    fi
    kill -TERM "$pid" 2>/dev/null
    wait "$pid"
    say "stack exit $?"
    say "driver legacy after stack: $(driver "$NETSTACK_LEGACY_PCI")"
    say "driver modern after stack: $(driver "$NETSTACK_MODERN_PCI")"
}

pktgen() { # KIND PCI
    handshake "pktgen-$1-before" 30
    "$DIST/bin/netstack" pktgen --pci "$2" --seconds 3 > "$R/pktgen-$1.log" 2>&1
    say "pktgen $1 exit $?"
    say "driver $1 after pktgen: $(driver "$2")"
    handshake "pktgen-$1-after" 30
}

fwd() {
    "$DIST/bin/netstack" fwd --pci "$NETSTACK_LEGACY_PCI" --pci2 "$NETSTACK_MODERN_PCI" --seconds 0 > "$R/fwd.log" 2>&1 &
    pid=$!
    if await_line "$R/fwd.log" "fwd: " 60 "$pid"; then
        sleep 1
        handshake fwd 60
    else
        say "FAIL fwd did not start (fwd.log)"
    fi
    kill -TERM "$pid" 2>/dev/null
    wait "$pid"
    say "fwd exit $?"
    say "driver legacy after fwd: $(driver "$NETSTACK_LEGACY_PCI")"
    say "driver modern after fwd: $(driver "$NETSTACK_MODERN_PCI")"
}

say "guest up at $(now) s; java $("$JAVA_HOME/bin/java" -version 2>&1 | head -1)"
stack
pktgen legacy "$NETSTACK_LEGACY_PCI"
pktgen modern "$NETSTACK_MODERN_PCI"
fwd
say "guest done at $(now) s"
