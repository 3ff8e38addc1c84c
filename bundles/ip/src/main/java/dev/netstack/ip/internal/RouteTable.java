package dev.netstack.ip.internal;

import dev.netstack.ethernet.LinkLayer;
import dev.netstack.ethernet.NetInterface;
import dev.netstack.ip.Route;
import dev.netstack.ip.RoutingTable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * The routing table as an immutable snapshot of entries sorted longest prefix first, replaced
 * whole on every change (copy on write, under a lock only writers take). A lookup is a scan of the
 * snapshot that stops at the first match, which is the longest-prefix match: cheap for the tens
 * of routes a host has, lock-free, allocation-free.
 */
final class RouteTable implements RoutingTable {

    /** One route with its mask precomputed and its interface resolved lazily (benign race). */
    static final class Entry {
        final Route route;
        final int network;
        final int mask;
        volatile NetInterface nif;

        Entry(Route route) {
            this.route = route;
            this.mask = route.prefixLength() == 0 ? 0 : -1 << (32 - route.prefixLength());
            this.network = route.destination() & mask;
        }
    }

    private static final Entry[] EMPTY = new Entry[0];

    private final LinkLayer link;
    private volatile Entry[] snapshot = EMPTY;

    RouteTable(LinkLayer link) {
        this.link = link;
    }

    @Override
    public synchronized void add(Route route) {
        List<Entry> next = new ArrayList<>();
        for (Entry e : snapshot) {
            if (e.route.destination() != route.destination() || e.route.prefixLength() != route.prefixLength()) {
                next.add(e);
            }
        }
        next.add(new Entry(route));
        next.sort(Comparator.comparingInt((Entry e) -> e.route.prefixLength()).reversed());
        snapshot = next.toArray(EMPTY);
    }

    @Override
    public synchronized boolean remove(int destination, int prefixLength) {
        Entry[] current = snapshot;
        Entry[] next = Arrays.stream(current)
                .filter(e -> e.route.destination() != (destination & e.mask) || e.route.prefixLength() != prefixLength)
                .toArray(Entry[]::new);
        snapshot = next;
        return next.length != current.length;
    }

    /** Drops the cached interfaces, after interfaces appeared or vanished. */
    void invalidateInterfaces() {
        for (Entry e : snapshot) {
            e.nif = null;
        }
    }

    /** Data path: the longest-prefix match, or null. */
    Entry lookupEntry(int destination) {
        Entry[] entries = snapshot;
        for (int i = 0; i < entries.length; i++) {
            Entry e = entries[i];
            if (((destination ^ e.network) & e.mask) == 0) {
                return e;
            }
        }
        return null;
    }

    /**
     * Data path: the interface an entry leaves by, resolving it on first use: the named interface,
     * or for a route without one the interface of the connected route that holds its gateway.
     */
    NetInterface interfaceOf(Entry entry) {
        NetInterface nif = entry.nif;
        if (nif != null) {
            return nif;
        }
        String name = entry.route.interfaceName();
        if (name != null) {
            nif = link.interfaceByName(name);
        } else {
            Entry[] entries = snapshot;
            for (int i = 0; i < entries.length && nif == null; i++) {
                Entry e = entries[i];
                if (e.route.gateway() == 0 && e.route.interfaceName() != null
                        && ((entry.route.gateway() ^ e.network) & e.mask) == 0) {
                    nif = link.interfaceByName(e.route.interfaceName());
                }
            }
        }
        entry.nif = nif;
        return nif;
    }

    @Override
    public Route lookup(int destination) {
        Entry e = lookupEntry(destination);
        return e == null ? null : e.route;
    }

    @Override
    public List<Route> routes() {
        return Arrays.stream(snapshot).map(e -> e.route).toList();
    }
}
