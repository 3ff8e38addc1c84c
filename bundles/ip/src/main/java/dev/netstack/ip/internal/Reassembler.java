package dev.netstack.ip.internal;

import dev.netstack.ip.wire.IcmpHeader;
import dev.netstack.ip.wire.Ipv4Header;
import dev.netstack.nic.Disposition;
import dev.netstack.nic.PacketBuffer;
import dev.netstack.nic.PacketPool;
import dev.netstack.runtime.Counters;
import dev.netstack.runtime.Timer;
import dev.netstack.runtime.TimerWheel;
import java.lang.foreign.MemorySegment;

/**
 * IPv4 reassembly (RFC 791 §3.2 "An Example Reassembly Procedure", RFC 1122 §3.3.2, RFC 815).
 *
 * <p>Read first: RFC 791 §3.2, RFC 1122 §3.3.2 (timeout, "MUST be able to reassemble 576"),
 * RFC 792 (time exceeded code 1), RFC 5722 (overlaps, for IPv6, whose policy is adopted here).
 *
 * <p><b>Buffers.</b> Device buffers hold ~2 KiB, but a datagram may be 65535 bytes and is
 * delivered in one contiguous buffer. So each datagram under reassembly owns one buffer of a
 * separate pool of large buffers created at start ({@code reassembly.memory.bytes} / 64 KiB of
 * them). Fragment data is copied to its final place as it arrives; fragment 0's header is copied
 * in front of the data:
 *
 * <pre>
 *  slot: 0 ...... headroom ..... BASE-ihl .. BASE ................................ BASE+total
 *        |  room for replies   |  header   |      data, fragment by fragment        |
 * </pre>
 *
 * <p><b>Bookkeeping.</b> Per datagram three bitmaps over the 8192 8-byte units of the offset
 * field: units covered, units where a fragment starts, units where one ends. No allocation per
 * fragment. A datagram is complete when its last fragment (MF=0) fixed the total length, fragment
 * 0 arrived, and the bytes received add up to the total (overlaps are refused, so that means every
 * byte is there).
 *
 * <p><b>Overlap policy.</b> An exact duplicate of a fragment already received (same offset, same
 * length) is dropped and counted ({@code reasm-duplicates}); reassembly goes on. Any other
 * overlap, and any disagreement about the total length (two different last fragments, data past
 * the last fragment's end) drops the whole datagram and counts {@code reasm-overlaps} (or
 * {@code reasm-fails}): overlapping fragments are the tool of IDS evasion and of "teardrop"
 * attacks, and RFC 5722 takes the same line for IPv6. Later fragments of a dropped datagram start
 * a new reassembly that times out.
 *
 * <p><b>Limits.</b> A fragment whose offset plus length would end past 65535 bytes of datagram is
 * malformed and dropped (counted {@code hdr-fragment-past-max}). A non-last fragment whose data
 * is not a multiple of 8 bytes is malformed ({@code hdr-bad-fragment}, RFC 791 §3.2). When no
 * large buffer is free, the oldest datagram under reassembly is evicted
 * ({@code reasm-evictions}). After {@code reassembly.timeout.ms} a datagram is dropped
 * ({@code reasm-timeouts}) and, if fragment 0 had arrived, an ICMP time exceeded code 1 is sent
 * (RFC 792; RFC 1122 §3.3.2). Reassembled datagrams held by a transport keep their buffer until
 * released; if all are held, fragments are dropped ({@code reasm-no-buffers}).
 *
 * <p>Confined to the shard thread.
 */
final class Reassembler {

    /** 8-byte units in a datagram's offset space, and longs in a bitmap over them. */
    private static final int UNITS = 8192;
    private static final int WORDS = UNITS / 64;

    /** Where data starts in a large buffer: the pool's headroom plus room for the longest header. */
    private final int base;

    private final Ipv4Layer layer;
    private final PacketPool pool;
    private final Counters counters;
    private final TimerWheel timers;
    private final long timeoutNs;
    private final Slot[] slots;
    private final Ipv4Header header = new Ipv4Header();
    private long order;

    /** Why the last {@link #accept} returned null. */
    Disposition lastDisposition = Disposition.QUEUED;

    Reassembler(Ipv4Layer layer, PacketPool pool, Counters counters, TimerWheel timers, long timeoutNs) {
        this.layer = layer;
        this.pool = pool;
        this.counters = counters;
        this.timers = timers;
        this.timeoutNs = timeoutNs;
        this.base = pool.headroom() + Ipv4Header.MAX_LENGTH;
        if (pool.bufferSize() < base + Ipv4Header.MAX_TOTAL_LENGTH) {
            throw new IllegalArgumentException("reassembly buffers of " + pool.bufferSize() + " bytes are too small");
        }
        this.slots = new Slot[pool.capacity()];
        for (int i = 0; i < slots.length; i++) {
            slots[i] = new Slot();
        }
    }

    /** Number of datagrams under reassembly. */
    int active() {
        int n = 0;
        for (Slot s : slots) {
            if (s.buffer != null) {
                n++;
            }
        }
        return n;
    }

    /**
     * Takes one fragment (data at its IP header, already validated, length trimmed to the total
     * length). <b>Ownership:</b> takes {@code fragment}.
     *
     * @return the whole datagram in a large buffer (data at its IP header, fragment fields cleared,
     *     checksum recomputed; the caller owns it), or null with {@link #lastDisposition} set
     */
    PacketBuffer accept(PacketBuffer fragment, long nowNs) {
        MemorySegment seg = fragment.segment();
        Ipv4Header h = header.wrap(seg, fragment.offset());
        int headerLength = h.headerLength();
        int dataLength = h.totalLength() - headerLength;
        int fragmentOffset = h.fragmentOffsetBytes();
        boolean more = h.moreFragments();
        int end = fragmentOffset + dataLength;
        if (headerLength + end > Ipv4Header.MAX_TOTAL_LENGTH) {
            counters.increment(IpCounter.IN_HDR_ERRORS);
            counters.increment(IpCounter.HDR_FRAGMENT_PAST_MAX);
            return drop(fragment, Disposition.MALFORMED);
        }
        if (more && (dataLength == 0 || (dataLength & 7) != 0)) {
            counters.increment(IpCounter.IN_HDR_ERRORS);
            counters.increment(IpCounter.HDR_BAD_FRAGMENT);
            return drop(fragment, Disposition.MALFORMED);
        }
        counters.increment(IpCounter.REASM_REQDS);
        int source = h.source();
        int destination = h.destination();
        int identification = h.identification();
        int protocol = h.protocol();
        Slot slot = find(source, destination, identification, protocol);
        if (slot == null) {
            slot = start(source, destination, identification, protocol, nowNs);
            if (slot == null) {
                counters.increment(IpCounter.REASM_NO_BUFFERS);
                counters.increment(IpCounter.REASM_FAILS);
                return drop(fragment, Disposition.NO_RESOURCES);
            }
        }
        // Total length: fixed by the last fragment; every fragment must agree with it.
        if (!more) {
            if ((slot.totalLength >= 0 && slot.totalLength != end) || slot.highestEnd > end) {
                return fail(slot, fragment, false);
            }
        } else if (slot.totalLength >= 0 && end > slot.totalLength) {
            return fail(slot, fragment, false);
        }
        int firstUnit = fragmentOffset >>> 3;
        int endUnit = (end + 7) >>> 3;
        if (endUnit > firstUnit && anySet(slot.covered, firstUnit, endUnit)) {
            if (isExactDuplicate(slot, firstUnit, endUnit)) {
                counters.increment(IpCounter.REASM_DUPLICATES);
                return drop(fragment, Disposition.DROPPED);
            }
            return fail(slot, fragment, true);
        }
        PacketBuffer buffer = slot.buffer;
        MemorySegment.copy(seg, fragment.offset() + headerLength, buffer.segment(), base + fragmentOffset, dataLength);
        if (fragmentOffset == 0) {
            MemorySegment.copy(seg, fragment.offset(), buffer.segment(), base - headerLength, headerLength);
            slot.headerLength = headerLength;
        }
        if (endUnit > firstUnit) {
            setRange(slot.covered, firstUnit, endUnit);
            set(slot.starts, firstUnit);
            set(slot.ends, endUnit - 1);
        }
        if (!more) {
            slot.totalLength = end;
        }
        slot.highestEnd = Math.max(slot.highestEnd, end);
        slot.receivedBytes += dataLength;
        slot.interfaceIndex = fragment.interfaceIndex();
        fragment.release();
        if (slot.totalLength >= 0 && slot.headerLength > 0 && slot.receivedBytes == slot.totalLength) {
            return complete(slot);
        }
        lastDisposition = Disposition.QUEUED;
        return null;
    }

    private PacketBuffer complete(Slot slot) {
        PacketBuffer buffer = slot.buffer;
        int headerLength = slot.headerLength;
        int start = base - headerLength;
        buffer.setData(start, headerLength + slot.totalLength);
        buffer.setNetworkOffset(start);
        buffer.setInterfaceIndex(slot.interfaceIndex);
        header.wrap(buffer.segment(), start)
                .setTotalLength(headerLength + slot.totalLength)
                .setFlagsFragment(0)
                .fillChecksum();
        slot.buffer = null; // the caller owns it now
        clear(slot);
        counters.increment(IpCounter.REASM_OKS);
        return buffer;
    }

    private PacketBuffer drop(PacketBuffer fragment, Disposition disposition) {
        fragment.release();
        lastDisposition = disposition;
        return null;
    }

    private PacketBuffer fail(Slot slot, PacketBuffer fragment, boolean overlap) {
        counters.increment(overlap ? IpCounter.REASM_OVERLAPS : IpCounter.REASM_FAILS);
        if (overlap) {
            counters.increment(IpCounter.REASM_FAILS);
        }
        discard(slot);
        return drop(fragment, Disposition.DROPPED);
    }

    private Slot find(int source, int destination, int identification, int protocol) {
        for (Slot s : slots) {
            if (s.buffer != null && s.identification == identification && s.source == source
                    && s.destination == destination && s.protocol == protocol) {
                return s;
            }
        }
        return null;
    }

    private Slot start(int source, int destination, int identification, int protocol, long nowNs) {
        PacketBuffer buffer = pool.allocate();
        if (buffer == null) {
            Slot oldest = null;
            for (Slot s : slots) {
                if (s.buffer != null && (oldest == null || s.order < oldest.order)) {
                    oldest = s;
                }
            }
            if (oldest == null) {
                return null; // every large buffer is held by a delivered datagram
            }
            counters.increment(IpCounter.REASM_EVICTIONS);
            counters.increment(IpCounter.REASM_FAILS);
            discard(oldest);
            buffer = pool.allocate();
            if (buffer == null) {
                return null;
            }
        }
        Slot slot = null;
        for (Slot s : slots) {
            if (s.buffer == null) {
                slot = s;
                break;
            }
        }
        if (slot == null) { // cannot happen: there are as many slots as buffers
            buffer.release();
            return null;
        }
        slot.buffer = buffer;
        slot.source = source;
        slot.destination = destination;
        slot.identification = identification;
        slot.protocol = protocol;
        slot.order = order++;
        timers.schedule(slot.timer, nowNs + timeoutNs);
        return slot;
    }

    private void discard(Slot slot) {
        PacketBuffer buffer = slot.buffer;
        slot.buffer = null;
        clear(slot);
        if (buffer != null) {
            buffer.release();
        }
    }

    private void clear(Slot slot) {
        timers.cancel(slot.timer);
        slot.totalLength = -1;
        slot.highestEnd = 0;
        slot.receivedBytes = 0;
        slot.headerLength = 0;
        java.util.Arrays.fill(slot.covered, 0L);
        java.util.Arrays.fill(slot.starts, 0L);
        java.util.Arrays.fill(slot.ends, 0L);
    }

    /** Drops every datagram under reassembly (deactivation). */
    void clearAll() {
        for (Slot s : slots) {
            if (s.buffer != null) {
                discard(s);
            }
        }
    }

    private void expire(Slot slot, long nowNs) {
        if (slot.buffer == null) {
            return;
        }
        counters.increment(IpCounter.REASM_TIMEOUTS);
        counters.increment(IpCounter.REASM_FAILS);
        if (slot.headerLength > 0) {
            // RFC 792, RFC 1122 §3.3.2: time exceeded, code 1, only if fragment 0 has arrived; quote
            // its header and first 8 data bytes (a non-last fragment carries at least 8).
            PacketBuffer buffer = slot.buffer;
            int start = base - slot.headerLength;
            buffer.setData(start, slot.headerLength + 8);
            buffer.setNetworkOffset(start);
            buffer.setInterfaceIndex(slot.interfaceIndex);
            layer.sendIcmpError(IcmpHeader.TYPE_TIME_EXCEEDED, IcmpHeader.CODE_REASSEMBLY_TIME_EXCEEDED, buffer, nowNs);
        }
        discard(slot);
    }

    // Bitmaps over 8-byte units.

    private static void set(long[] bits, int unit) {
        bits[unit >>> 6] |= 1L << unit;
    }

    private static boolean get(long[] bits, int unit) {
        return (bits[unit >>> 6] & (1L << unit)) != 0;
    }

    private static void setRange(long[] bits, int from, int to) {
        for (int u = from; u < to; ) {
            if ((u & 63) == 0 && to - u >= 64) {
                bits[u >>> 6] = -1L;
                u += 64;
            } else {
                bits[u >>> 6] |= 1L << u;
                u++;
            }
        }
    }

    private static boolean anySet(long[] bits, int from, int to) {
        for (int u = from; u < to; ) {
            if ((u & 63) == 0 && to - u >= 64) {
                if (bits[u >>> 6] != 0) {
                    return true;
                }
                u += 64;
            } else {
                if ((bits[u >>> 6] & (1L << u)) != 0) {
                    return true;
                }
                u++;
            }
        }
        return false;
    }

    /** A fragment received before covers exactly [from, to): it starts at from and ends at to - 1. */
    private static boolean isExactDuplicate(Slot slot, int from, int to) {
        if (!get(slot.starts, from) || !get(slot.ends, to - 1)) {
            return false;
        }
        for (int u = from; u < to; u++) {
            if (!get(slot.covered, u) || (u > from && get(slot.starts, u))) {
                return false;
            }
        }
        return true;
    }

    /** One datagram under reassembly; free while {@code buffer} is null. */
    private final class Slot {
        final long[] covered = new long[WORDS];
        final long[] starts = new long[WORDS];
        final long[] ends = new long[WORDS];
        final Timer timer = new Timer() {
            @Override
            protected void onExpiry(long nowNs) {
                expire(Slot.this, nowNs);
            }
        };
        PacketBuffer buffer;
        int source;
        int destination;
        int identification;
        int protocol;
        int interfaceIndex;
        int headerLength;
        int totalLength = -1;
        int highestEnd;
        int receivedBytes;
        long order;
    }
}
