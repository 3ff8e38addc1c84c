package dev.netstack.ethernet.internal;

import dev.netstack.ethernet.LinkLayer.ArpEntry;
import dev.netstack.ethernet.wire.ArpPacket;
import dev.netstack.ethernet.wire.EthernetHeader;
import dev.netstack.nic.Disposition;
import dev.netstack.nic.MacAddress;
import dev.netstack.nic.PacketBuffer;
import dev.netstack.runtime.Timer;
import dev.netstack.runtime.TimerWheel;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;

/**
 * ARP for Ethernet and IPv4: the cache, resolution with retries, and answering for our addresses.
 *
 * <p>Read first: RFC 826 ("Packet Reception" gives the merge algorithm followed here), RFC 1122
 * §2.3.2 (cache timeouts, flooding limits, queueing while resolving), RFC 5227 §2.4 and §3
 * (address conflicts, defence and announcements).
 *
 * <p><b>Memory.</b> Every entry is preallocated in a table of {@code arp.cache.size}; an entry is
 * its own {@link Timer}. Lookup is a hash of (interface, address) over chains threaded through
 * int arrays. Packets waiting for resolution sit in a fixed array of {@code arp.queue.packets}
 * slots, linked per entry. Nothing here allocates per packet.
 *
 * <p><b>States.</b> INCOMPLETE (requests sent, packets queued) → REACHABLE (for
 * {@code arp.timeout.ms} after the last confirmation) → STALE (still used; the next use sends one
 * unicast request, RFC 1122 §2.3.2.1) → freed after another timeout. STATIC entries never expire.
 * When the table is full the oldest dynamic entry is evicted.
 *
 * <p>Left out: the second announcement and the probing of RFC 5227 §2.1 before using an address;
 * a FAILED state damping repeated resolution of a dead address (it is retried on the next packet).
 *
 * <p>Confined to the shard thread.
 */
final class ArpResolver {

    private static final System.Logger LOG = System.getLogger(ArpResolver.class.getName());

    static final int FREE = 0;
    static final int INCOMPLETE = 1;
    static final int REACHABLE = 2;
    static final int STALE = 3;
    static final int STATIC = 4;
    private static final String[] STATE_NAMES = {"free", "incomplete", "reachable", "stale", "static"};

    /**
     * Packets one unresolved address may hold (RFC 1122 §2.3.2.2 asks for at least one, the latest):
     * enough for the 45 fragments of a largest datagram at MTU 1500, so that the first datagram to
     * a new neighbour is not lost to resolution.
     */
    static final int QUEUE_PER_ENTRY = 48;
    /** RFC 5227 §2.4 DEFEND_INTERVAL: at most one defence per 10 s. */
    static final long DEFEND_INTERVAL_NS = 10_000_000_000L;
    /** Conflicts are logged at most this often. */
    static final long LOG_INTERVAL_NS = 10_000_000_000L;

    private static final int NONE = -1;

    private final EthernetLayer layer;
    private final TimerWheel timers;
    private final long reachableNs;
    private final long retryNs;
    private final int requests;

    private final Entry[] entries;
    private final int[] bucketHeads;
    private final int bucketMask;
    private int freeHead;
    /** Dynamic entries, least recently confirmed first: eviction takes the head. */
    private int lruHead = NONE;
    private int lruTail = NONE;

    private final PacketBuffer[] slotPackets;
    private final int[] slotNext;
    private int freeSlot;
    private final int perEntryLimit;

    private final ArpPacket rxArp = new ArpPacket();
    private final ArpPacket txArp = new ArpPacket();
    private long lastConflictLogNs;
    private boolean conflictLogged;

    ArpResolver(EthernetLayer layer, TimerWheel timers, int cacheSize, long reachableNs, long retryNs, int requests,
            int queuePackets) {
        if (cacheSize < 1 || requests < 1 || queuePackets < 1 || reachableNs <= 0 || retryNs <= 0) {
            throw new IllegalArgumentException("ARP settings must be positive: arp.cache.size=" + cacheSize
                    + " arp.retries=" + requests + " arp.queue.packets=" + queuePackets);
        }
        this.layer = layer;
        this.timers = timers;
        this.reachableNs = reachableNs;
        this.retryNs = retryNs;
        this.requests = requests;
        this.entries = new Entry[cacheSize];
        for (int i = 0; i < cacheSize; i++) {
            entries[i] = new Entry(i);
            entries[i].chainNext = i + 1 < cacheSize ? i + 1 : NONE;
        }
        this.freeHead = 0;
        int buckets = Integer.highestOneBit(cacheSize * 2 - 1) << 1;
        this.bucketHeads = new int[buckets];
        java.util.Arrays.fill(bucketHeads, NONE);
        this.bucketMask = buckets - 1;
        this.slotPackets = new PacketBuffer[queuePackets];
        this.slotNext = new int[queuePackets];
        for (int i = 0; i < queuePackets; i++) {
            slotNext[i] = i + 1 < queuePackets ? i + 1 : NONE;
        }
        this.freeSlot = 0;
        this.perEntryLimit = Math.min(QUEUE_PER_ENTRY, queuePackets);
    }

    /** One cache entry, preallocated; also the timer of its state. */
    private final class Entry extends Timer {
        final int id;
        int chainNext = NONE;
        int lruPrevious = NONE;
        int lruNext = NONE;
        int state = FREE;
        EthernetInterface nif;
        int address;
        long mac;
        int requestsSent;
        boolean refreshSent;
        int queueHead = NONE;
        int queueTail = NONE;
        int queued;

        Entry(int id) {
            this.id = id;
        }

        @Override
        protected void onExpiry(long nowNs) {
            expired(this, nowNs);
        }
    }

    // ---------------------------------------------------------------- receive

    /** Handles an ARP packet (data at the ARP header). Takes ownership of {@code packet}. */
    Disposition receive(EthernetInterface nif, PacketBuffer packet, long nowNs) {
        ArpPacket arp = rxArp.wrap(packet.segment(), packet.offset());
        if (!arp.checkLength(packet.length()) || !arp.isEthernetIpv4()) {
            return drop(packet, EthernetStat.ARP_MALFORMED, Disposition.MALFORMED);
        }
        int operation = arp.operation();
        long senderMac = arp.senderHardwareAddress();
        int senderIp = arp.senderProtocolAddress();
        int targetIp = arp.targetProtocolAddress();
        if ((operation != ArpPacket.OPERATION_REQUEST && operation != ArpPacket.OPERATION_REPLY)
                || MacAddress.isMulticast(senderMac) || senderMac == 0) {
            // A group or zero sender MAC can never be a neighbour's address.
            return drop(packet, EthernetStat.ARP_MALFORMED, Disposition.MALFORMED);
        }
        layer.count(operation == ArpPacket.OPERATION_REQUEST ? EthernetStat.ARP_REQUESTS_IN : EthernetStat.ARP_REPLIES_IN);
        long ourMac = nif.mac();
        int ourIp = nif.ipv4Address();
        if (senderMac == ourMac) {
            packet.release(); // our own frame looped back
            return Disposition.DROPPED;
        }
        if (ourIp != 0 && senderIp == ourIp) {
            conflict(nif, senderMac, nowNs); // RFC 5227 §2.4: someone else uses our address
            packet.release();
            return Disposition.HANDLED;
        }
        // RFC 826 "Packet Reception": update the sender if known, setting the merge flag.
        boolean merged = false;
        if (senderIp != 0) {
            Entry entry = find(nif, senderIp);
            if (entry != null) {
                if (entry.state != STATIC) {
                    confirm(entry, senderMac, nowNs);
                    layer.neighborLearned(nif, senderIp, senderMac);
                }
                merged = true;
            }
        }
        if (ourIp == 0 || targetIp != ourIp) {
            packet.release();
            return merged ? Disposition.HANDLED : Disposition.NOT_FOR_US;
        }
        // RFC 826: "Am I the target protocol address? If Merge_flag is false, add the triplet."
        if (!merged && senderIp != 0) {
            Entry entry = allocate(nif, senderIp);
            if (entry != null) {
                confirm(entry, senderMac, nowNs);
                layer.neighborLearned(nif, senderIp, senderMac);
            }
        }
        if (operation == ArpPacket.OPERATION_REQUEST) {
            // RFC 826: swap the fields, put in our addresses, set the opcode to reply, send it back
            // where the request came from. The request's buffer carries the reply.
            arp.operation(ArpPacket.OPERATION_REPLY)
                    .targetHardwareAddress(senderMac).targetProtocolAddress(senderIp)
                    .senderHardwareAddress(ourMac).senderProtocolAddress(ourIp);
            packet.truncate(ArpPacket.LENGTH); // drop link padding
            layer.count(EthernetStat.ARP_REPLIES_OUT);
            layer.send(nif, senderMac, EthernetHeader.ETHER_TYPE_ARP, packet, nowNs);
            return Disposition.HANDLED;
        }
        packet.release();
        return Disposition.HANDLED;
    }

    private Disposition drop(PacketBuffer packet, EthernetStat reason, Disposition disposition) {
        layer.count(reason);
        packet.release();
        return disposition;
    }

    private void conflict(EthernetInterface nif, long senderMac, long nowNs) {
        layer.count(EthernetStat.ARP_CONFLICTS);
        if (!conflictLogged || nowNs - lastConflictLogNs - LOG_INTERVAL_NS >= 0) {
            LOG.log(Level.WARNING, () -> "Address conflict on " + nif.name() + ": "
                    + MacAddress.format(senderMac) + " also claims our IPv4 address; check the configuration of both hosts.");
            lastConflictLogNs = nowNs;
            conflictLogged = true;
        }
        // RFC 5227 §2.4 (b): defend once per DEFEND_INTERVAL with an announcement.
        if (!nif.defended || nowNs - nif.lastDefendNs - DEFEND_INTERVAL_NS >= 0) {
            nif.defended = true;
            nif.lastDefendNs = nowNs;
            announce(nif, nowNs);
        }
    }

    // ---------------------------------------------------------------- send

    /** Sends an IPv4 packet to {@code nextHop}, resolving it. Takes ownership of {@code packet}. */
    Disposition sendIpv4(EthernetInterface nif, int nextHop, PacketBuffer packet, long nowNs) {
        int ourIp = nif.ipv4Address();
        int prefix = nif.ipv4PrefixLength();
        if (nextHop == 0xFFFF_FFFF
                || (ourIp != 0 && prefix > 0 && prefix < 31 && (nextHop | (0xFFFF_FFFF >>> prefix)) == nextHop
                        && (nextHop ^ ourIp) >>> (32 - prefix) == 0)) {
            return layer.send(nif, MacAddress.BROADCAST, EthernetHeader.ETHER_TYPE_IPV4, packet, nowNs);
        }
        if ((nextHop >>> 28) == 0xE) {
            // RFC 1112 §6.4: 01-00-5E plus the low 23 bits of the group address.
            long mac = 0x0100_5E00_0000L | (nextHop & 0x7F_FFFF);
            return layer.send(nif, mac, EthernetHeader.ETHER_TYPE_IPV4, packet, nowNs);
        }
        Entry entry = find(nif, nextHop);
        if (entry == null) {
            entry = allocate(nif, nextHop);
            if (entry == null) {
                return dropQueued(packet);
            }
            entry.state = INCOMPLETE;
            entry.requestsSent = 1;
            lruAppend(entry);
            sendRequest(nif, nextHop, MacAddress.BROADCAST, nowNs);
            timers.schedule(entry, nowNs + retryNs);
            return enqueue(entry, packet);
        }
        switch (entry.state) {
            case INCOMPLETE:
                return enqueue(entry, packet);
            case STALE:
                if (!entry.refreshSent) {
                    entry.refreshSent = true; // RFC 1122 §2.3.2.1: a unicast poll revalidates it
                    sendRequest(nif, nextHop, entry.mac, nowNs);
                }
                return layer.send(nif, entry.mac, EthernetHeader.ETHER_TYPE_IPV4, packet, nowNs);
            default:
                return layer.send(nif, entry.mac, EthernetHeader.ETHER_TYPE_IPV4, packet, nowNs);
        }
    }

    private Disposition dropQueued(PacketBuffer packet) {
        layer.count(EthernetStat.ARP_QUEUE_DROPS);
        packet.release();
        return Disposition.NO_RESOURCES;
    }

    /**
     * Queues a packet on an unresolved entry. RFC 1122 §2.3.2.2: keep at least the latest packet,
     * so when the entry's share or the whole queue is used up, the entry's oldest packet goes.
     */
    private Disposition enqueue(Entry entry, PacketBuffer packet) {
        if (entry.queued >= perEntryLimit || (freeSlot == NONE && entry.queued > 0)) {
            dropOldest(entry);
        }
        if (freeSlot == NONE) {
            return dropQueued(packet);
        }
        int slot = freeSlot;
        freeSlot = slotNext[slot];
        slotPackets[slot] = packet;
        slotNext[slot] = NONE;
        if (entry.queueTail == NONE) {
            entry.queueHead = slot;
        } else {
            slotNext[entry.queueTail] = slot;
        }
        entry.queueTail = slot;
        entry.queued++;
        return Disposition.QUEUED;
    }

    private void dropOldest(Entry entry) {
        PacketBuffer oldest = dequeue(entry);
        if (oldest != null) {
            dropQueued(oldest);
        }
    }

    private PacketBuffer dequeue(Entry entry) {
        int slot = entry.queueHead;
        if (slot == NONE) {
            return null;
        }
        PacketBuffer packet = slotPackets[slot];
        slotPackets[slot] = null;
        entry.queueHead = slotNext[slot];
        if (entry.queueHead == NONE) {
            entry.queueTail = NONE;
        }
        entry.queued--;
        slotNext[slot] = freeSlot;
        freeSlot = slot;
        return packet;
    }

    private void releaseQueue(Entry entry) {
        PacketBuffer packet;
        while ((packet = dequeue(entry)) != null) {
            dropQueued(packet);
        }
    }

    // ---------------------------------------------------------------- state changes

    /** The neighbour answered (or is learned): reachable until the timeout; queued packets go out. */
    private void confirm(Entry entry, long mac, long nowNs) {
        entry.mac = mac;
        entry.state = REACHABLE;
        entry.refreshSent = false;
        lruRemove(entry);
        lruAppend(entry);
        timers.schedule(entry, nowNs + reachableNs);
        PacketBuffer packet;
        while ((packet = dequeue(entry)) != null) {
            layer.send(entry.nif, mac, EthernetHeader.ETHER_TYPE_IPV4, packet, nowNs);
        }
    }

    private void expired(Entry entry, long nowNs) {
        switch (entry.state) {
            case INCOMPLETE:
                if (entry.requestsSent < requests) {
                    entry.requestsSent++;
                    sendRequest(entry.nif, entry.address, MacAddress.BROADCAST, nowNs);
                    timers.schedule(entry, nowNs + retryNs);
                } else {
                    // RFC 1122 §2.3.2.1: give up after a bounded number of requests.
                    layer.count(EthernetStat.ARP_RESOLUTION_FAILURES);
                    free(entry);
                }
                break;
            case REACHABLE:
                entry.state = STALE;
                timers.schedule(entry, nowNs + reachableNs);
                break;
            case STALE:
                free(entry);
                break;
            default:
                break;
        }
    }

    // ---------------------------------------------------------------- table

    private int bucket(EthernetInterface nif, int address) {
        int h = (address ^ (nif.index() * 0x9E37_79B9)) * 0x85EB_CA6B;
        return (h ^ (h >>> 15)) & bucketMask;
    }

    private Entry find(EthernetInterface nif, int address) {
        for (int i = bucketHeads[bucket(nif, address)]; i != NONE; i = entries[i].chainNext) {
            Entry entry = entries[i];
            if (entry.address == address && entry.nif == nif) {
                return entry;
            }
        }
        return null;
    }

    /** A free entry keyed (nif, address), evicting the oldest dynamic entry if none is free; null if all are static. */
    private Entry allocate(EthernetInterface nif, int address) {
        if (freeHead == NONE) {
            if (lruHead == NONE) {
                layer.count(EthernetStat.ARP_CACHE_FULL);
                return null;
            }
            layer.count(EthernetStat.ARP_EVICTIONS);
            free(entries[lruHead]);
        }
        Entry entry = entries[freeHead];
        freeHead = entry.chainNext;
        entry.nif = nif;
        entry.address = address;
        entry.mac = 0;
        entry.requestsSent = 0;
        entry.refreshSent = false;
        int b = bucket(nif, address);
        entry.chainNext = bucketHeads[b];
        bucketHeads[b] = entry.id;
        return entry;
    }

    private void free(Entry entry) {
        timers.cancel(entry);
        releaseQueue(entry);
        lruRemove(entry);
        int b = bucket(entry.nif, entry.address);
        if (bucketHeads[b] == entry.id) {
            bucketHeads[b] = entry.chainNext;
        } else {
            for (int i = bucketHeads[b]; i != NONE; i = entries[i].chainNext) {
                if (entries[i].chainNext == entry.id) {
                    entries[i].chainNext = entry.chainNext;
                    break;
                }
            }
        }
        entry.state = FREE;
        entry.nif = null;
        entry.address = 0;
        entry.mac = 0;
        entry.chainNext = freeHead;
        freeHead = entry.id;
    }

    private void lruAppend(Entry entry) {
        entry.lruPrevious = lruTail;
        entry.lruNext = NONE;
        if (lruTail == NONE) {
            lruHead = entry.id;
        } else {
            entries[lruTail].lruNext = entry.id;
        }
        lruTail = entry.id;
    }

    private void lruRemove(Entry entry) {
        if (entry.lruPrevious == NONE && lruHead != entry.id) {
            return; // not in the list (static, or free)
        }
        if (entry.lruPrevious == NONE) {
            lruHead = entry.lruNext;
        } else {
            entries[entry.lruPrevious].lruNext = entry.lruNext;
        }
        if (entry.lruNext == NONE) {
            lruTail = entry.lruPrevious;
        } else {
            entries[entry.lruNext].lruPrevious = entry.lruPrevious;
        }
        entry.lruPrevious = NONE;
        entry.lruNext = NONE;
    }

    // ---------------------------------------------------------------- requests and announcements

    /** Broadcasts a request for {@code target} (or unicasts it to {@code destinationMac}). */
    private void sendRequest(EthernetInterface nif, int target, long destinationMac, long nowNs) {
        if (emit(nif, ArpPacket.OPERATION_REQUEST, 0, target, destinationMac, nowNs)) {
            layer.count(EthernetStat.ARP_REQUESTS_OUT);
        }
    }

    /**
     * Gratuitous ARP, as an RFC 5227 §3 announcement: a request with our address as both sender and
     * target, so caches that hold us update (RFC 826 merge) and nobody answers.
     */
    void announce(EthernetInterface nif, long nowNs) {
        int ourIp = nif.ipv4Address();
        if (ourIp == 0 || nif.txPort == null) {
            return;
        }
        if (emit(nif, ArpPacket.OPERATION_REQUEST, 0, ourIp, MacAddress.BROADCAST, nowNs)) {
            layer.count(EthernetStat.ARP_GRATUITOUS_OUT);
        }
    }

    private boolean emit(EthernetInterface nif, int operation, long targetMac, int targetIp, long destinationMac, long nowNs) {
        PacketBuffer packet = layer.allocate(nif);
        if (packet == null) {
            layer.count(EthernetStat.TX_NO_BUFFER);
            return false;
        }
        int at = packet.append(ArpPacket.LENGTH);
        txArp.wrap(packet.segment(), at).ethernetIpv4().operation(operation)
                .senderHardwareAddress(nif.mac()).senderProtocolAddress(nif.ipv4Address())
                .targetHardwareAddress(targetMac).targetProtocolAddress(targetIp);
        return layer.send(nif, destinationMac, EthernetHeader.ETHER_TYPE_ARP, packet, nowNs) == Disposition.HANDLED;
    }

    /** The interface's device is going: packets waiting for it are dropped (their buffers are its pool's). */
    void deviceDetached(EthernetInterface nif) {
        for (Entry entry : entries) {
            if (entry.nif == nif && entry.queued > 0) {
                releaseQueue(entry);
            }
        }
    }

    // ---------------------------------------------------------------- control path (run on the shard)

    List<ArpEntry> snapshot(long nowNs) {
        List<ArpEntry> rows = new ArrayList<>();
        for (Entry entry : entries) {
            if (entry.state != FREE) {
                long expiresInNs = entry.state == STATIC ? -1 : Math.max(0, entry.deadlineNs() - nowNs);
                rows.add(new ArpEntry(entry.nif.name(), entry.address, entry.mac, STATE_NAMES[entry.state], expiresInNs));
            }
        }
        return rows;
    }

    /** A neighbour learned elsewhere (another lane): like a reply from it; static entries stay. */
    void learn(EthernetInterface nif, int address, long mac, long nowNs) {
        Entry entry = find(nif, address);
        if (entry == null) {
            entry = allocate(nif, address);
            if (entry == null) {
                return;
            }
        } else if (entry.state == STATIC) {
            return;
        }
        confirm(entry, mac, nowNs);
    }

    /** Adds or replaces a static entry; packets waiting for it go out. False if the table is all static. */
    boolean addStatic(EthernetInterface nif, int address, long mac, long nowNs) {
        Entry entry = find(nif, address);
        if (entry == null) {
            entry = allocate(nif, address);
            if (entry == null) {
                return false;
            }
        }
        timers.cancel(entry);
        lruRemove(entry);
        entry.state = STATIC;
        entry.mac = mac;
        PacketBuffer packet;
        while ((packet = dequeue(entry)) != null) {
            layer.send(nif, mac, EthernetHeader.ETHER_TYPE_IPV4, packet, nowNs);
        }
        return true;
    }

    boolean remove(EthernetInterface nif, int address) {
        Entry entry = find(nif, address);
        if (entry == null) {
            return false;
        }
        free(entry);
        return true;
    }

    /** Packets now waiting for resolution, over all entries. */
    int queuedPackets() {
        int n = 0;
        for (Entry entry : entries) {
            n += entry.queued;
        }
        return n;
    }

    /** Releases everything: the layer is stopping. */
    void clear() {
        for (Entry entry : entries) {
            if (entry.state != FREE) {
                free(entry);
            }
        }
    }
}
