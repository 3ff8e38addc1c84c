package dev.netstack.test;

import dev.netstack.nic.DeviceCapabilities;
import dev.netstack.nic.DeviceCounters;
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
        FrameRing aToB = new FrameRing(builder.capacity, builder.mtu + 14);
        FrameRing bToA = new FrameRing(builder.capacity, builder.mtu + 14);
        this.a = new End("a", builder.nameA, builder.macA, builder, aToB, bToA);
        this.b = new End("b", builder.nameB, builder.macB, builder, bToA, aToB);
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
        return a.out.size() + b.out.size();
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

        public MemoryLink build() {
            return new MemoryLink(this);
        }
    }

    /** One end of the link: a one-queue device. Queue 0 is driven by one thread at a time. */
    public final class End implements NetDevice {
        private final String label;
        private final String name;
        private final long mac;
        private final int mtu;
        private final PacketPool pool;
        private final FrameRing out;
        private final FrameRing in;
        private final DeviceCounters counters = new DeviceCounters();
        private final DeviceCapabilities capabilities;
        private volatile boolean closed;

        private End(String label, String name, long mac, Builder builder, FrameRing out, FrameRing in) {
            this.label = label;
            this.name = name;
            this.mac = mac;
            this.mtu = builder.mtu;
            this.out = out;
            this.in = in;
            int bufferSize = Integer.highestOneBit(Math.max(2048, builder.mtu + 14 + PacketPool.DEFAULT_HEADROOM) - 1) << 1;
            this.pool = PacketPool.create("memory-" + label, PacketMemory.offHeap(Arena.ofAuto(),
                    (long) builder.buffers * bufferSize), builder.buffers, bufferSize, PacketPool.DEFAULT_HEADROOM);
            this.capabilities = new DeviceCapabilities(1, 0, builder.mtu + 14);
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
            return pool;
        }

        private static void checkQueue(int queue) {
            if (queue != 0) {
                throw new IndexOutOfBoundsException("a memory link end has one queue, not " + queue);
            }
        }

        @Override
        public int receive(int queue, PacketBatch batch) {
            checkQueue(queue);
            int n = 0;
            while (!batch.isFull() && !in.isEmpty()) {
                PacketBuffer buffer = pool.allocate();
                if (buffer == null) {
                    break; // the frame waits in the ring, as in a NIC without buffers
                }
                int length = in.peekLength();
                int at = buffer.append(length);
                in.take(buffer.segment(), at);
                batch.add(buffer);
                counters.rxPackets++;
                counters.rxBytes += length;
                n++;
            }
            return n;
        }

        @Override
        public int transmit(int queue, PacketBatch batch) {
            checkQueue(queue);
            int n = 0;
            while (n < batch.size()) {
                PacketBuffer frame = batch.get(n);
                if (!up || closed) {
                    counters.txDropped++;
                } else if (frame.length() > mtu + 14) {
                    counters.txErrors++;
                } else if (out.isFull()) {
                    break;
                } else {
                    out.put(frame.segment(), frame.offset(), frame.length());
                    counters.txPackets++;
                    counters.txBytes += frame.length();
                }
                frame.release();
                n++;
            }
            return n;
        }

        @Override
        public DeviceCounters counters(int queue) {
            checkQueue(queue);
            return counters;
        }

        /** Marks the end closed: it reports the link down and drops what it is given. */
        @Override
        public void close() {
            closed = true;
        }

        @Override
        public String toString() {
            return description() + " " + MacAddress.format(mac) + " " + pool;
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
