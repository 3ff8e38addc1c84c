package dev.netstack.nic;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.function.LongSupplier;

/**
 * A {@link NetDevice} that wraps another and damages the traffic through it as a {@link FaultPlan}
 * says: loss, duplication, reordering, bit flips, constant delay and a token-bucket rate limit.
 * The kernel of the test machines has no netem; this is the project's replacement, usable in
 * simulation and, from configuration, in front of a real device.
 *
 * <pre>
 *   receive:  inner.receive ──► [rate] [drop] [corrupt] [duplicate] [reorder] ──► delay ring ──► caller
 *   transmit: caller ─────────► [rate] [drop] [corrupt] [duplicate] [reorder] ──► delay ring ──► inner.transmit
 * </pre>
 *
 * <p><b>Determinism.</b> Each queue and direction has its own random generator derived from the
 * plan's seed, so the same seed and the same frames give the same faults.
 *
 * <p><b>Time.</b> Delay and rate need the time; the wrapper reads {@code clockNs} (a monotonic
 * nanosecond clock, e.g. a shard's {@code NanoClock::nanoTime} or a test's virtual clock) once per
 * {@link #receive} or {@link #transmit} call.
 *
 * <p><b>Held frames.</b> Frames held for delay or reordering are owned by the wrapper. Delayed
 * transmit frames go out on a later {@code transmit} or {@code receive} call on the same queue
 * (a shard receives every turn, so they leave within a turn of their time). A frame held back for
 * reordering leaves after the next frame in its direction. {@link #close()} releases every held
 * frame: none leaks.
 *
 * <p><b>Threads.</b> As for every device: queue {@code q} (both directions) is driven by one
 * shard thread; the per-queue {@link FaultCounters} are written by it and readable racily from any
 * thread. {@link #close()} must come after the shards stopped using the device.
 *
 * <p>A delayed frame becomes ready without the device's readiness fd turning readable; idle
 * strategies bound their sleep by timers only, so a delayed frame may wait one sleep longer.
 */
public final class FaultInjectingDevice extends DecoratedDevice {

    /** Frames one direction of one queue may hold (delay ring), a power of two. */
    public static final int HOLD_CAPACITY = 4096;
    private static final int SCRATCH = 32;

    private final FaultPlan plan;
    private final LongSupplier clockNs;
    private final Lane[] rx;
    private final Lane[] tx;
    private final PacketBatch[] rxScratch;
    private final PacketBatch[] txScratch;
    private volatile boolean closed;

    /**
     * @param inner the device to wrap; this wrapper owns it from now on and closes it in {@link #close()}
     * @param plan what to do to the frames
     * @param clockNs monotonic nanoseconds, read on the shard thread
     */
    public FaultInjectingDevice(NetDevice inner, FaultPlan plan, LongSupplier clockNs) {
        super(inner);
        this.plan = plan;
        this.clockNs = clockNs;
        int queues = inner.queueCount();
        this.rx = new Lane[queues];
        this.tx = new Lane[queues];
        this.rxScratch = new PacketBatch[queues];
        this.txScratch = new PacketBatch[queues];
        long now = clockNs.getAsLong();
        // the largest frame that passes: with TSO a 64 KiB segment, which the rate's burst must hold
        int maxFrameBits = Math.max(inner.capabilities().maxSegmentedFrameBytes(), 1518) * 8;
        for (int q = 0; q < queues; q++) {
            rx[q] = plan.direction().includesRx() ? new Lane(plan, mix(plan.seed(), 2L * q), now, maxFrameBits) : null;
            tx[q] = plan.direction().includesTx() ? new Lane(plan, mix(plan.seed(), 2L * q + 1), now, maxFrameBits) : null;
            rxScratch[q] = new PacketBatch(SCRATCH);
            txScratch[q] = new PacketBatch(SCRATCH);
        }
    }

    private static long mix(long seed, long lane) {
        long z = seed + (lane + 1) * 0x9E37_79B9_7F4A_7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58_476D_1CE4_E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D0_49BB_1331_11EBL;
        return z ^ (z >>> 31);
    }

    /** The wrapped device. */
    public FaultPlan plan() {
        return plan;
    }

    /** What the wrapper did to frames received on {@code queue}; all zero if rx is not faulted. */
    public FaultCounters rxFaults(int queue) {
        return rx[queue] == null ? FaultCounters.EMPTY : rx[queue].counters;
    }

    /** What the wrapper did to frames transmitted on {@code queue}; all zero if tx is not faulted. */
    public FaultCounters txFaults(int queue) {
        return tx[queue] == null ? FaultCounters.EMPTY : tx[queue].counters;
    }

    /** Frames held (delayed or held back for reordering) on {@code queue}, both directions. Shard thread. */
    public int held(int queue) {
        return (rx[queue] == null ? 0 : rx[queue].held()) + (tx[queue] == null ? 0 : tx[queue].held());
    }

    @Override
    public String description() {
        return "faults(" + inner.description() + ")";
    }

    @Override
    public int receive(int queue, PacketBatch batch) {
        Lane lane = rx[queue];
        Lane out = tx[queue];
        if (lane == null && out == null) {
            return inner.receive(queue, batch);
        }
        long nowNs = clockNs.getAsLong();
        if (out != null && out.count > 0) {
            flushTx(queue, out, nowNs);
        }
        if (lane == null) {
            return inner.receive(queue, batch);
        }
        PacketBatch scratch = rxScratch[queue];
        // Each frame taken may become two (duplicate) plus a released reorder frame.
        if (lane.free() >= 2 * scratch.capacity() + 1) {
            int n = inner.receive(queue, scratch);
            for (int i = 0; i < n; i++) {
                lane.accept(scratch.get(i), nowNs);
            }
            scratch.clear();
        }
        int before = batch.size();
        lane.drain(batch, nowNs);
        return batch.size() - before;
    }

    @Override
    public int transmit(int queue, PacketBatch batch) {
        Lane lane = tx[queue];
        if (lane == null) {
            return inner.transmit(queue, batch);
        }
        long nowNs = clockNs.getAsLong();
        int take = Math.min(batch.size(), (lane.free() - 1) / 2);
        for (int i = 0; i < take; i++) {
            lane.accept(batch.get(i), nowNs);
        }
        flushTx(queue, lane, nowNs);
        return Math.max(take, 0);
    }

    private void flushTx(int queue, Lane lane, long nowNs) {
        PacketBatch scratch = txScratch[queue];
        while (lane.ready(nowNs)) {
            int filled = lane.peekReady(scratch, nowNs);
            int sent = inner.transmit(queue, scratch);
            scratch.clear();
            lane.pop(sent);
            if (sent < filled) {
                return;
            }
        }
    }

    /** Releases every held frame, then closes the wrapped device. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (int q = 0; q < rx.length; q++) {
            if (rx[q] != null) {
                rx[q].releaseAll();
            }
            if (tx[q] != null) {
                tx[q].releaseAll();
            }
        }
        inner.close();
    }

    @Override
    public String toString() {
        return description() + " " + plan;
    }

    /**
     * What the wrapper did in one direction of one queue. Written by the shard thread with plain
     * stores, readable (racily) from any thread.
     */
    public static final class FaultCounters {
        static final FaultCounters EMPTY = new FaultCounters();

        /** Frames seen. */
        public long frames;
        /** Frames lost on purpose. */
        public long dropped;
        /** Frames delivered twice. */
        public long duplicated;
        /** Duplicates not made because the pool was empty. */
        public long duplicateFailed;
        /** Frames held back and delivered after their successor. */
        public long reordered;
        /** Frames with a flipped bit. */
        public long corrupted;
        /** Frames dropped by the rate limit. */
        public long rateLimited;
        /** Frames dropped because the delay ring was full. */
        public long overflowed;

        @Override
        public String toString() {
            return "frames " + frames + " dropped " + dropped + " duplicated " + duplicated + " (failed "
                    + duplicateFailed + ") reordered " + reordered + " corrupted " + corrupted + " rate-limited "
                    + rateLimited + " overflowed " + overflowed;
        }
    }

    /** One direction of one queue: random choices, the reorder slot, the delay ring, the token bucket. */
    private static final class Lane {
        private static final int MASK = HOLD_CAPACITY - 1;

        final FaultCounters counters = new FaultCounters();
        private final SplittableRandom random;
        private final double drop;
        private final double duplicate;
        private final double reorder;
        private final double corrupt;
        private final long delayNs;
        private final double bitsPerNs;
        private final double burstBits;
        private final PacketBuffer[] ring = new PacketBuffer[HOLD_CAPACITY];
        private final long[] releaseNs = new long[HOLD_CAPACITY];
        private int head;
        int count;
        private PacketBuffer heldBack;
        private double tokensBits;
        private long refillNs;

        Lane(FaultPlan plan, long seed, long nowNs, int maxFrameBits) {
            this.random = new SplittableRandom(seed);
            this.drop = plan.drop();
            this.duplicate = plan.duplicate();
            this.reorder = plan.reorder();
            this.corrupt = plan.corrupt();
            this.delayNs = plan.delayNs();
            this.bitsPerNs = plan.rateBitsPerSecond() / 1e9;
            // Burst: 10 ms at the rate, at least two full frames.
            this.burstBits = Math.max(plan.rateBitsPerSecond() / 100.0, 2.0 * maxFrameBits);
            this.tokensBits = burstBits;
            this.refillNs = nowNs;
        }

        int free() {
            return HOLD_CAPACITY - count;
        }

        int held() {
            return count + (heldBack == null ? 0 : 1);
        }

        /** Takes ownership of {@code frame}. */
        void accept(PacketBuffer frame, long nowNs) {
            counters.frames++;
            if (bitsPerNs > 0) {
                tokensBits = Math.min(burstBits, tokensBits + (nowNs - refillNs) * bitsPerNs);
                refillNs = nowNs;
                long bits = (long) frame.length() * 8;
                if (tokensBits < bits) {
                    counters.rateLimited++;
                    frame.release();
                    return;
                }
                tokensBits -= bits;
            }
            if (drop > 0 && random.nextDouble() < drop) {
                counters.dropped++;
                frame.release();
                return;
            }
            if (corrupt > 0 && random.nextDouble() < corrupt && frame.length() > 0) {
                int bit = random.nextInt(frame.length() * 8);
                MemorySegment s = frame.segment();
                long at = frame.offset() + (bit >>> 3);
                s.set(ValueLayout.JAVA_BYTE, at, (byte) (s.get(ValueLayout.JAVA_BYTE, at) ^ (1 << (bit & 7))));
                counters.corrupted++;
                // Offloads: corruption models the wire, so a checksum a device verified no longer
                // holds; and a frame whose checksum a device would still complete (partial,
                // segmented) would carry the corruption under a good checksum: it is dropped, as the
                // receiver's check would drop it.
                if (frame.hasFlag(PacketBuffer.FLAG_CHECKSUM_PARTIAL | PacketBuffer.FLAG_SEGMENTED)) {
                    frame.release();
                    return;
                }
                frame.setFlags(frame.flags() & ~PacketBuffer.FLAG_CHECKSUM_VERIFIED);
            }
            PacketBuffer copy = null;
            if (duplicate > 0 && random.nextDouble() < duplicate) {
                copy = copyOf(frame);
                if (copy == null) {
                    counters.duplicateFailed++;
                } else {
                    counters.duplicated++;
                }
            }
            long due = nowNs + delayNs;
            if (reorder > 0 && heldBack == null && random.nextDouble() < reorder) {
                heldBack = frame;
                counters.reordered++;
                if (copy != null) {
                    push(copy, due);
                }
                return;
            }
            push(frame, due);
            if (copy != null) {
                push(copy, due);
            }
            if (heldBack != null) {
                PacketBuffer late = heldBack;
                heldBack = null;
                push(late, due);
            }
        }

        private static PacketBuffer copyOf(PacketBuffer frame) {
            PacketBuffer copy = frame.pool().allocate();
            if (copy == null) {
                return null;
            }
            copy.setData(frame.offset(), frame.length());
            MemorySegment.copy(frame.segment(), frame.offset(), copy.segment(), frame.offset(), frame.length());
            copy.setFlags(frame.flags()).setQueue(frame.queue()).setInterfaceIndex(frame.interfaceIndex());
            copy.copyOffloadFrom(frame);
            return copy;
        }

        private void push(PacketBuffer frame, long dueNs) {
            if (count == HOLD_CAPACITY) {
                counters.overflowed++;
                frame.release();
                return;
            }
            int at = (head + count) & MASK;
            ring[at] = frame;
            releaseNs[at] = dueNs;
            count++;
        }

        boolean ready(long nowNs) {
            return count > 0 && releaseNs[head] - nowNs <= 0;
        }

        /** Moves due frames into {@code batch}, handing over ownership. */
        void drain(PacketBatch batch, long nowNs) {
            while (ready(nowNs) && !batch.isFull()) {
                batch.add(ring[head]);
                ring[head] = null;
                head = (head + 1) & MASK;
                count--;
            }
        }

        /** Copies due frames into {@code batch} without giving them up; returns how many. */
        int peekReady(PacketBatch batch, long nowNs) {
            int n = 0;
            while (n < count && !batch.isFull()) {
                int at = (head + n) & MASK;
                if (releaseNs[at] - nowNs > 0) {
                    break;
                }
                batch.add(ring[at]);
                n++;
            }
            return n;
        }

        /** Forgets the first {@code n} frames, which the device took. */
        void pop(int n) {
            for (int i = 0; i < n; i++) {
                ring[head] = null;
                head = (head + 1) & MASK;
            }
            count -= n;
        }

        void releaseAll() {
            while (count > 0) {
                ring[head].release();
                ring[head] = null;
                head = (head + 1) & MASK;
                count--;
            }
            if (heldBack != null) {
                heldBack.release();
                heldBack = null;
            }
        }
    }
}
