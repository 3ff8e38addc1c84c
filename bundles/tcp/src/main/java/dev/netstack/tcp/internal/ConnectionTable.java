package dev.netstack.tcp.internal;

/**
 * Connections by 4-tuple: open addressing with linear probing and backward-shift deletion, keys
 * compared on the {@link Tcb}'s own fields, so a lookup boxes nothing and allocates nothing.
 * Capacity is a power of two at least twice the connection limit, so probes stay short.
 * Shard-confined.
 */
final class ConnectionTable {

    private final Tcb[] slots;
    private final int mask;
    private int size;
    /** Connections per local port, so a bind finds a port in use without a scan when none uses it. */
    private final int[] localPortUse = new int[65_536];

    ConnectionTable(int maxConnections) {
        int capacity = Integer.highestOneBit(Math.max(16, maxConnections) * 2 - 1) << 1;
        slots = new Tcb[capacity];
        mask = capacity - 1;
    }

    static int hash(int localAddress, int localPort, int remoteAddress, int remotePort) {
        long h = (((long) localAddress) << 32) ^ (remoteAddress & 0xFFFF_FFFFL);
        h ^= ((long) localPort << 16 | remotePort) * 0x9E37_79B9_7F4A_7C15L;
        h *= 0xBF58_476D_1CE4_E5B9L;
        h ^= h >>> 31;
        return (int) h;
    }

    int size() {
        return size;
    }

    Tcb find(int localAddress, int localPort, int remoteAddress, int remotePort) {
        int i = hash(localAddress, localPort, remoteAddress, remotePort) & mask;
        Tcb tcb;
        while ((tcb = slots[i]) != null) {
            if (tcb.remotePort == remotePort && tcb.localPort == localPort && tcb.remoteAddress == remoteAddress
                    && tcb.localAddress == localAddress) {
                return tcb;
            }
            i = (i + 1) & mask;
        }
        return null;
    }

    /** Adds {@code tcb}; false if the table is full or the 4-tuple is taken. */
    boolean add(Tcb tcb) {
        if (size + 1 > slots.length / 2) {
            return false;
        }
        int i = hash(tcb.localAddress, tcb.localPort, tcb.remoteAddress, tcb.remotePort) & mask;
        Tcb other;
        while ((other = slots[i]) != null) {
            if (other.remotePort == tcb.remotePort && other.localPort == tcb.localPort
                    && other.remoteAddress == tcb.remoteAddress && other.localAddress == tcb.localAddress) {
                return false;
            }
            i = (i + 1) & mask;
        }
        slots[i] = tcb;
        size++;
        localPortUse[tcb.localPort]++;
        return true;
    }

    void remove(Tcb tcb) {
        int i = hash(tcb.localAddress, tcb.localPort, tcb.remoteAddress, tcb.remotePort) & mask;
        while (slots[i] != null && slots[i] != tcb) {
            i = (i + 1) & mask;
        }
        if (slots[i] == null) {
            return;
        }
        slots[i] = null;
        size--;
        localPortUse[tcb.localPort]--;
        // Backward-shift deletion: move later members of the cluster into the hole when their home allows.
        int hole = i;
        int j = (i + 1) & mask;
        while (slots[j] != null) {
            Tcb moving = slots[j];
            int home = hash(moving.localAddress, moving.localPort, moving.remoteAddress, moving.remotePort) & mask;
            // moving may fill the hole if its home is not in (hole, j] cyclically
            boolean homeBetween = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
            if (!homeBetween) {
                slots[hole] = moving;
                slots[j] = null;
                hole = j;
            }
            j = (j + 1) & mask;
        }
    }

    /**
     * Whether a connection (any state, TIME_WAIT included) uses {@code port} as its local port on
     * an address overlapping {@code address} (equal, or either is 0). Control path: scans the
     * table only when some connection uses the port.
     */
    boolean usesLocal(int address, int port) {
        if (localPortUse[port] == 0) {
            return false;
        }
        for (Tcb tcb : slots) {
            if (tcb != null && tcb.localPort == port && (address == 0 || tcb.localAddress == address)) {
                return true;
            }
        }
        return false;
    }

    /** Whether any connection uses {@code port} as its local port. */
    boolean usesPort(int port) {
        return localPortUse[port] != 0;
    }

    /** Visits every connection (control path and teardown). */
    void forEach(java.util.function.Consumer<Tcb> action) {
        for (Tcb tcb : slots.clone()) {
            if (tcb != null) {
                action.accept(tcb);
            }
        }
    }
}
