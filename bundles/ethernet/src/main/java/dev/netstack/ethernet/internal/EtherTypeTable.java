package dev.netstack.ethernet.internal;

import dev.netstack.ethernet.EtherTypeHandler;
import java.util.Map;

/**
 * An immutable open-addressing table from EtherType to handler: a few probes over two arrays,
 * no boxing. Rebuilt on every bind or unbind and published through a volatile field
 * (copy-on-write), so the data path reads it without locks.
 */
final class EtherTypeTable {

    static final EtherTypeTable EMPTY = new EtherTypeTable(Map.of());

    private final int mask;
    /** EtherType + 1 in each used slot; 0 marks an empty slot. */
    private final int[] keys;
    private final EtherTypeHandler[] handlers;

    EtherTypeTable(Map<Integer, EtherTypeHandler> entries) {
        int slots = Integer.highestOneBit(Math.max(4, entries.size() * 4) - 1) << 1; // load at most 1/2
        this.mask = slots - 1;
        this.keys = new int[slots];
        this.handlers = new EtherTypeHandler[slots];
        for (Map.Entry<Integer, EtherTypeHandler> entry : entries.entrySet()) {
            int type = entry.getKey();
            int slot = hash(type) & mask;
            while (keys[slot] != 0) {
                slot = (slot + 1) & mask;
            }
            keys[slot] = type + 1;
            handlers[slot] = entry.getValue();
        }
    }

    private static int hash(int etherType) {
        return (etherType * 0x9E37_79B9) >>> 16;
    }

    /** The handler of {@code etherType}, or null. */
    EtherTypeHandler lookup(int etherType) {
        int key = etherType + 1;
        int slot = hash(etherType) & mask;
        while (true) {
            int k = keys[slot];
            if (k == key) {
                return handlers[slot];
            }
            if (k == 0) {
                return null;
            }
            slot = (slot + 1) & mask;
        }
    }
}
