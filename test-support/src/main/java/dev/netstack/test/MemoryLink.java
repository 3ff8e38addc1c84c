package dev.netstack.test;

import dev.netstack.nic.DeviceCapabilities;
import dev.netstack.nic.DeviceCounters;
import dev.netstack.nic.FlowHash;
import dev.netstack.nic.MacAddress;
import dev.netstack.nic.NetDevice;
import dev.netstack.nic.PacketBatch;
import dev.netstack.nic.PacketBuffer;
import dev.netstack.nic.PacketMemory;
import dev.netstack.nic.PacketPool;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Two {@link NetDevice}s joined by a simulated cable, for tests of whole stacks without a kernel:
 *
 * <pre>
 *   stack A ── a() ──transmit──► [ring a→b] ──receive──► b() ── stack B
 *              a() ◄──receive─── [ring b→a] ◄─transmit── b()
 * </pre>
 *
 * <p>Each end has its own pool. {@code transmit} copies a frame into the ring and releases the
 * sender's buffer at once; {@code receive} copies it into a buffer of the receiver's pool. So each
 * end touches only its own pool, and the two ends may be driven by different threads (each ring
 * is single-producer, single-consumer) or by one simulation thread. The rings hold
 * {@code capacity} frames; when one is full, {@code transmit} takes no more (the caller keeps
 * them), like a device whose ring is full. Nothing allocates per frame.
 *
 * <p>With {@link Builder#queues(int) several queues} each end is a multi-queue device that steers
 * like the stack's software hash: a frame sent on any queue arrives on queue
 * {@link FlowHash#queueOfFrame} of the other end (TCP flows spread, everything else on queue 0), and
 * {@link NetDevice#rxQueueOf} says where. Each queue has its own pool and counters, and every
 * (sending queue, receiving queue) pair its own ring, so each queue may be driven by its own thread.
 *
 * <p>Frames longer than MTU + 14 bytes are dropped and counted as {@code txErrors}; frames sent
 * while the link is down are dropped and counted as {@code txDropped}.
 *
 * <p>Memory comes from automatic arenas: buffers stay valid as long as anything references them.
 */
public final class MemoryLink {

    private final End a;
    private final End b;
    private volatile boolean up = true;

    private MemoryLink(Builder builder) {
        FrameRing[][] aToB = rings(builder);
        FrameRing[][] bToA = rings(builder);
        this.a = new End("a", builder.nameA, builder.macA, builder, aToB, bToA);
        this.b = new End("b", builder.nameB, builder.macB, builder, bToA, aToB);
    }

    /** One ring per (sending queue, receiving queue). */
    private static FrameRing[][] rings(Builder builder) {
        FrameRing[][] rings = new FrameRing[builder.queues][builder.queues];
        for (FrameRing[] row : rings) {
            for (int j = 0; j < row.length; j++) {
                row[j] = new FrameRing(builder.capacity, builder.mtu + 14);
            }
        }
        return rings;
    }

    /** A link with the defaults of {@link Builder}. */
    public static MemoryLink create() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The first end. */
    public End a() {
        return a;
    }

    /** The second end. */
    public End b() {
        return b;
    }

    /** Plugs or unplugs the cable: while down, both ends report the link down and drop what they send. */
    public void setUp(boolean up) {
        this.up = up;
    }

    public boolean isUp() {
        return up;
    }

    /** Frames sent but not yet received, both directions. Racy if ends run on other threads. */
    public int inFlight() {
        int frames = 0;
        for (FrameRing[][] direction : java.util.List.of(a.out, b.out)) {
            for (FrameRing[] row : direction) {
                for (FrameRing ring : row) {
                    frames += ring.size();
                }
            }
        }
        return frames;
    }

    /** Options of a link. Defaults: MACs 02:00:00:00:00:01 and :02, names eth0, MTU 1500, 1024 buffers, 256 frames in flight. */
    public static final class Builder {
        private long macA = MacAddress.parse("02:00:00:00:00:01");
        private long macB = MacAddress.parse("02:00:00:00:00:02");
        private String nameA = "eth0";
        private String nameB = "eth0";
        private int mtu = 1500;
        private int buffers = 1024;
        private int capacity = 256;
        private int queues = 1;

        private Builder() {
        }

        public Builder macA(long mac) {
            this.macA = mac;
            return this;
        }

        public Builder macB(long mac) {
            this.macB = mac;
            return this;
        }

        /** Interface names the two ends serve ({@link NetDevice#name()}). */
        public Builder names(String a, String b) {
            this.nameA = a;
            this.nameB = b;
            return this;
        }

        public Builder mtu(int mtu) {
            if (mtu < 68 || mtu > 65_535 - 14) {
                throw new IllegalArgumentException("MTU must be from 68 to 65521, got " + mtu);
            }
            this.mtu = mtu;
            return this;
        }

        /** Buffers in each end's pool. */
        public Builder buffers(int buffers) {
            this.buffers = buffers;
            return this;
        }

        /** Frames each direction holds before transmit refuses more; rounded up to a power of two. */
        public Builder capacity(int frames) {
            if (frames < 1) {
                throw new IllegalArgumentException("capacity must be at least one frame, got " + frames);
            }
            this.capacity = frames;
            return this;
        }

        /** Queue pairs of each end (default 1); with more, TCP flows spread as {@link FlowHash} says. */
        public Builder queues(int queues) {
            if (queues < 1 || queues > 64) {
                throw new IllegalArgumentException("queues must be from 1 to 64, got " + queues);
            }
            this.queues = queues;
            return this;
        }

        public MemoryLink build() {
            return new MemoryLink(this);
        }
    }

    /** One end of the link: a device of {@link Builder#queues} queues, each driven by one thread at a time. */
    public final class End implements NetDevice {
        private final String label;
        private final String name;
        private final long mac;
        private final int mtu;
        private final int queues;
        private final PacketPool[] pools;
        /** out[sending queue][receiving queue of the peer]. */
        private final FrameRing[][] out;
        /** in[sending queue of the peer][receiving queue]. */
        private final FrameRing[][] in;
        private final DeviceCounters[] counters;
        /**
         * Per receiving queue, at {@code queue * STRIDE}: the peer queue whose ring is read first
         * next time (fairness). Spaced a cache line pair apart: each queue's is written by its own
         * lane's thread on every receive, and neighbours would make the threads fight over one line.
         */
        private final int[] nextRing;
        private static final int STRIDE = 32;
        private final DeviceCapabilities capabilities;
        private volatile boolean closed;

        private End(String label, String name, long mac, Builder builder, FrameRing[][] out, FrameRing[][] in) {
            this.label = label;
            this.name = name;
            this.mac = mac;
            this.mtu = builder.mtu;
            this.queues = builder.queues;
            this.out = out;
            this.in = in;
            int bufferSize = Integer.highestOneBit(Math.max(2048, builder.mtu + 14 + PacketPool.DEFAULT_HEADROOM) - 1) << 1;
            this.pools = new PacketPool[queues];
            this.counters = new DeviceCounters[queues];
            for (int q = 0; q < queues; q++) {
                pools[q] = PacketPool.create("memory-" + label + (queues > 1 ? "-" + q : ""), PacketMemory.offHeap(
                        Arena.ofAuto(), (long) builder.buffers * bufferSize), builder.buffers, bufferSize,
                        PacketPool.DEFAULT_HEADROOM);
                counters[q] = new DeviceCounters();
            }
            this.nextRing = new int[queues * STRIDE];
            this.capabilities = new DeviceCapabilities(queues, queues > 1 ? DeviceCapabilities.OFFLOAD_RSS : 0,
                    builder.mtu + 14);
        }

        /** The other end. */
        public End peer() {
            return this == a ? b : a;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public String description() {
            return "memory:" + label;
        }

        @Override
        public long macAddress() {
            return mac;
        }

        @Override
        public int mtu() {
            return mtu;
        }

        @Override
        public boolean isLinkUp() {
            return up && !closed;
        }

        @Override
        public DeviceCapabilities capabilities() {
            return capabilities;
        }

        @Override
        public PacketPool pool(int queue) {
            checkQueue(queue);
            return pools[queue];
        }

        private void checkQueue(int queue) {
            if (queue < 0 || queue >= queues) {
                throw new IndexOutOfBoundsException("this memory link end has queues 0 to " + (queues - 1) + ", not " + queue);
            }
        }

        @Override
        public int rxQueueOf(int srcAddr, int dstAddr, int srcPort, int dstPort) {
            return FlowHash.queueOf(srcAddr, dstAddr, srcPort, dstPort, queues);
        }

        @Override
        public int receive(int queue, PacketBatch batch) {
            checkQueue(queue);
            PacketPool pool = pools[queue];
            DeviceCounters c = counters[queue];
            int n = 0;
            int first = nextRing[queue * STRIDE];
            for (int k = 0; k < queues && !batch.isFull(); k++) {
                FrameRing ring = in[(first + k) % queues][queue];
                while (!batch.isFull() && !ring.isEmpty()) {
                    PacketBuffer buffer = pool.allocate();
                    if (buffer == null) {
                        return n; // the frame waits in the ring, as in a NIC without buffers
                    }
                    int length = ring.peekLength();
                    int at = buffer.append(length);
                    ring.take(buffer.segment(), at);
                    batch.add(buffer);
                    c.rxPackets++;
                    c.rxBytes += length;
                    n++;
                }
            }
            if (queues > 1) {
                nextRing[queue * STRIDE] = (first + 1) % queues;
            }
            return n;
        }

        @Override
        public int transmit(int queue, PacketBatch batch) {
            checkQueue(queue);
            DeviceCounters c = counters[queue];
            FrameRing[] rings = out[queue];
            int n = 0;
            while (n < batch.size()) {
                PacketBuffer frame = batch.get(n);
                if (!up || closed) {
                    c.txDropped++;
                } else if (frame.length() > mtu + 14) {
                    c.txErrors++;
                } else {
                    FrameRing ring = rings[FlowHash.queueOfFrame(frame.segment(), frame.offset(), frame.length(), queues)];
                    if (ring.isFull()) {
                        break;
                    }
                    ring.put(frame.segment(), frame.offset(), frame.length());
                    c.txPackets++;
                    c.txBytes += frame.length();
                }
                frame.release();
                n++;
            }
            return n;
        }

        @Override
        public DeviceCounters counters(int queue) {
            checkQueue(queue);
            return counters[queue];
        }

        /** Marks the end closed: it reports the link down and drops what it is given. */
        @Override
        public void close() {
            closed = true;
        }

        @Override
        public String toString() {
            return description() + " " + MacAddress.format(mac) + " " + java.util.Arrays.toString(pools);
        }
    }

    /**
     * A single-producer, single-consumer ring of frames in off-heap slots. The producer publishes
     * with a release store of {@code tail}, the consumer frees with a release store of {@code head}.
     */
    private static final class FrameRing {
        private final MemorySegment slots;
        private final int[] lengths;
        private final int slotBytes;
        private final int mask;
        private final AtomicLong head = new AtomicLong();
        private final AtomicLong tail = new AtomicLong();

        FrameRing(int capacity, int slotBytes) {
            int size = capacity <= 1 ? 1 : Integer.highestOneBit(capacity - 1) << 1;
            this.mask = size - 1;
            this.slotBytes = slotBytes;
            this.lengths = new int[size];
            this.slots = Arena.ofAuto().allocate((long) size * slotBytes, 64);
        }

        boolean isEmpty() {
            return head.get() == tail.getAcquire();
        }

        boolean isFull() {
            return tail.get() - head.getAcquire() > mask;
        }

        int size() {
            return (int) (tail.getAcquire() - head.getAcquire());
        }

        void put(MemorySegment from, long offset, int length) {
            long t = tail.get();
            int slot = (int) (t & mask);
            MemorySegment.copy(from, offset, slots, (long) slot * slotBytes, length);
            lengths[slot] = length;
            tail.setRelease(t + 1);
        }

        int peekLength() {
            return lengths[(int) (head.get() & mask)];
        }

        void take(MemorySegment to, long offset) {
            long h = head.get();
            int slot = (int) (h & mask);
            MemorySegment.copy(slots, (long) slot * slotBytes, to, offset, lengths[slot]);
            head.setRelease(h + 1);
        }
    }
}
