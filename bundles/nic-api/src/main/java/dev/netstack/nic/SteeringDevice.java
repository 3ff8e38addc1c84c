package dev.netstack.nic;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Software flow steering: a device with one queue (virtio-net without multiqueue, a one-queue TAP)
 * presented as a device with {@code queues} queues, so that {@code queues} shards ("lanes") can
 * each drive a queue of their own. Frames are steered by {@link FlowHash}, as a multi-queue device
 * would: every unfragmented IPv4 TCP segment to the queue of its flow, everything else to queue 0.
 *
 * <pre>
 *                          thread of lane 0                        thread of lane j (j ≥ 1)
 *  inner.receive ──► queueOfFrame ──► q = 0: returned by receive(0)
 *                                 └─► q = j: copied into an empty ──► filled[j] ──► receive(j)
 *                                           buffer of lane j  ◄────── supply[j] ◄── pool(j), topped up
 *  inner.transmit ◄── copy into an inner buffer ◄────────────────── tx[j] ◄────── transmit(j)
 *                     and give lane j's back   ──────────────────► returns[j] ──► released by lane j
 * </pre>
 *
 * <p><b>Threads.</b> Queue {@code q} is driven by one thread, as for every device; only the thread
 * of queue 0 touches the inner device and its pool, and only the thread of queue {@code j} touches
 * {@link #pool(int) pool(j)}. Buffers cross between them only over single-producer,
 * single-consumer rings ({@link BufferRing}, release/acquire indices, no locks), and each goes back
 * to its own thread to be released. Nothing allocates per frame.
 *
 * <p><b>Receive.</b> {@code receive(0, batch)} receives from the inner device into {@code batch},
 * keeps the frames of queue 0 there and copies each other frame into an empty buffer that its lane
 * supplied from its own pool, then releases the inner buffer at once. {@code receive(j, batch)}
 * first tops up its supply of empty buffers (up to {@link Settings#ringFrames()}, at most half its
 * pool, so the lane keeps buffers for its own sends), then drains its filled frames. When lane
 * {@code j} has no empty buffer left (it fell behind, or the stack holds its pool), the frame is
 * dropped, never waited for: lane 0 counts it, and lane {@code j}'s
 * {@link DeviceCounters#rxDropped} shows it from its next receive on. Frames larger than a lane
 * buffer (coalesced by a TSO-capable inner device) go into buffers of a second, large pool per
 * lane, supplied the same way.
 *
 * <p><b>Transmit.</b> {@code transmit(j, batch)} hands the frames to lane 0 over lane {@code j}'s
 * transmit ring and returns how many it took: when the ring is full it takes fewer and the caller
 * keeps the rest, as with a full device ring. The buffers stay lane {@code j}'s: lane 0 copies each
 * into a buffer of the inner pool (or of a large pool of its own for segmentation-offload frames),
 * with its offload requests (checksum start and offset, segment size, layer offsets, flags), and
 * passes it back on a return ring; lane {@code j} releases it at its next call. Lane 0 moves these
 * frames during its own {@code receive(0, ...)} and {@code transmit(0, ...)} calls, in ring order,
 * so each flow's frames leave in the order they were sent. Frames the inner device does not take
 * at once wait, in order, for lane 0's next call. {@link DeviceCounters#txPackets} of lane
 * {@code j} counts frames handed to lane 0.
 *
 * <p><b>Idling.</b> Lanes 1 to n-1 have no readiness descriptor ({@link #readinessFd} is -1): they
 * poll, idling by their strategy (spin, yield, park). Lane 0 relays other lanes' traffic only from
 * inside its {@code receive(0, ...)} call, which the event loop makes every turn; two things keep it
 * from sleeping while it relays:
 * <ul>
 * <li>{@link #relayedFrames()} reports the frames it moved for other lanes, which a poll task on
 *     lane 0's shard adds to the turn's work so the idle strategy does not back off under load;
 * <li>{@link #setTransmitWakeup} gives lane {@code j} a way to end lane 0's sleep when it hands
 *     frames to an empty transmit ring (shard 0's idle strategy wake-up, say). Without it, a lane's
 *     frames may wait for lane 0's longest sleep (1 ms with the default back-off) when lane 0 has
 *     nothing else to do.
 * </ul>
 *
 * <p><b>Close.</b> {@link #close()} comes after every lane stopped calling the device, as for every
 * device. It releases every buffer the wrapper holds (empty supplies, frames in the rings, frames
 * waiting for the inner device), each back to its pool, then closes the inner device. Lane pools are
 * GC-managed memory: buffers the stack still holds stay valid until released.
 */
public final class SteeringDevice extends DecoratedDevice {

    /** Room for one 802.1Q tag beyond the device's largest frame. */
    private static final int VLAN_TAG = 4;

    /**
     * Sizes of what the wrapper creates.
     *
     * @param laneBuffers buffers in the pool of each lane 1 to n-1 (each of the inner pool's size
     *        and headroom)
     * @param largeBuffers buffers for frames longer than a pool buffer (segmentation offload), in a
     *        pool per lane for receive and one of lane 0 for transmit; used only when the inner
     *        device advertises {@link DeviceCapabilities#OFFLOAD_TSO}
     * @param ringFrames entries of each ring between lane 0 and a lane (rounded up to a power of two)
     */
    public record Settings(int laneBuffers, int largeBuffers, int ringFrames) {

        public static final int DEFAULT_LARGE_BUFFERS = 16;
        public static final int DEFAULT_RING_FRAMES = 256;

        public Settings {
            if (laneBuffers < 2) {
                throw new IllegalArgumentException("a lane needs at least 2 buffers, got " + laneBuffers);
            }
            if (largeBuffers < 1) {
                throw new IllegalArgumentException("large buffers must be at least 1, got " + largeBuffers);
            }
            if (ringFrames < 1 || ringFrames > 1 << 20) {
                throw new IllegalArgumentException("ring frames must be from 1 to 2^20, got " + ringFrames);
            }
        }

        /** As many buffers per lane as the inner pool has, {@value #DEFAULT_LARGE_BUFFERS} large, rings of {@value #DEFAULT_RING_FRAMES}. */
        public static Settings defaults(NetDevice inner) {
            return new Settings(inner.pool(0).capacity(), DEFAULT_LARGE_BUFFERS, DEFAULT_RING_FRAMES);
        }
    }

    private final int queues;
    private final DeviceCapabilities capabilities;
    private final Lane[] lanes;
    private final PacketPool innerPool;
    /** Largest frame that fits an inner pool buffer after its headroom. */
    private final int innerRoom;
    /** Lane 0's buffers for transmit frames longer than {@link #innerRoom}; null without TSO. */
    private final PacketPool txLargePool;
    private final int txLargeRoom;
    /** Largest frame a lane may hand over. */
    private final int maxTxFrame;
    private final DeviceCounters counters0 = new DeviceCounters();
    /** Per lane: frames lane 0 dropped for it; written by lane 0 (opaque), copied by the lane. */
    private final AtomicLongArray rxDrops;

    // Lane 0's state.
    /** Copies of other lanes' frames the inner device has not taken yet, in order. */
    private final PacketBatch txPending = new PacketBatch();
    /** Lengths of a transmit(0) batch, for the counters (the device may release the buffers). */
    private int[] txLengths = new int[PacketBatch.DEFAULT_CAPACITY];
    private int nextLane = 1;
    private int relayed;

    private volatile Runnable transmitWakeup;
    private volatile boolean closed;

    /** The rings and pools of one lane 1 to n-1. */
    private static final class Lane {
        final int queue;
        final PacketPool pool;
        final int room;
        final PacketPool largePool;
        final int largeRoom;
        final DeviceCounters counters = new DeviceCounters();
        /** Empty buffers, lane → lane 0. */
        final BufferRing supply;
        final BufferRing largeSupply;
        /** Received frames, lane 0 → lane. */
        final BufferRing filled;
        /** Frames to send, lane → lane 0. */
        final BufferRing tx;
        /** Sent frames to release, lane 0 → lane. */
        final BufferRing returns;
        final int supplyTarget;
        final int largeTarget;

        // The lane's thread only.
        /** Buffers of {@link #pool} in supply or filled (or being filled). */
        int supplied;
        int largeSupplied;
        /** Frames in tx or returns: never more than a ring holds, so returns never overflows. */
        int txOutstanding;

        Lane(int queue, PacketPool pool, PacketPool largePool, int ringFrames) {
            this.queue = queue;
            this.pool = pool;
            this.room = pool.bufferSize() - pool.headroom();
            this.largePool = largePool;
            this.largeRoom = largePool == null ? 0 : largePool.bufferSize() - largePool.headroom();
            this.supplyTarget = Math.max(1, Math.min(ringFrames, pool.capacity() / 2));
            this.largeTarget = largePool == null ? 0 : largePool.capacity();
            this.supply = new BufferRing(supplyTarget);
            this.largeSupply = largePool == null ? null : new BufferRing(largeTarget);
            // holds every buffer the lane supplied, so a frame that found an empty buffer always fits
            this.filled = new BufferRing(supplyTarget + largeTarget);
            this.tx = new BufferRing(ringFrames);
            this.returns = new BufferRing(ringFrames);
        }
    }

    /** A wrapper with {@link Settings#defaults}. */
    public SteeringDevice(NetDevice inner, int queues) {
        this(inner, queues, Settings.defaults(inner));
    }

    /**
     * @param inner a device with one queue; the wrapper owns it from now on and closes it in
     *        {@link #close()}
     * @param queues the queues to present, at least 1
     * @throws IllegalArgumentException if {@code inner} has more than one queue (use
     *         {@link QueueDevice} for a multi-queue device) or {@code queues} is below 1
     */
    public SteeringDevice(NetDevice inner, int queues, Settings settings) {
        super(inner);
        if (inner.queueCount() != 1) {
            throw new IllegalArgumentException(inner.description() + " has " + inner.queueCount()
                    + " queues; software steering is for one-queue devices");
        }
        if (queues < 1) {
            throw new IllegalArgumentException("queues must be at least 1, got " + queues);
        }
        this.queues = queues;
        DeviceCapabilities caps = inner.capabilities();
        this.capabilities = new DeviceCapabilities(queues, caps.offloads() | DeviceCapabilities.OFFLOAD_RSS,
                caps.maxFrameBytes());
        this.innerPool = inner.pool(0);
        int bufferSize = innerPool.bufferSize();
        int headroom = innerPool.headroom();
        this.innerRoom = bufferSize - headroom;
        int largeFrame = caps.maxSegmentedFrameBytes() + VLAN_TAG;
        boolean large = caps.has(DeviceCapabilities.OFFLOAD_TSO) && largeFrame > innerRoom;
        int largeSize = (headroom + largeFrame + 63) & ~63;
        String prefix = "steer:" + inner.description() + "/";
        this.txLargePool = large ? offHeapPool(prefix + "0-large", settings.largeBuffers(), largeSize, headroom) : null;
        this.txLargeRoom = large ? largeSize - headroom : 0;
        this.maxTxFrame = Math.max(innerRoom, txLargeRoom);
        this.lanes = new Lane[queues];
        for (int j = 1; j < queues; j++) {
            PacketPool pool = offHeapPool(prefix + j, settings.laneBuffers(), bufferSize, headroom);
            PacketPool largePool = large ? offHeapPool(prefix + j + "-large", settings.largeBuffers(), largeSize, headroom)
                    : null;
            lanes[j] = new Lane(j, pool, largePool, settings.ringFrames());
        }
        this.rxDrops = new AtomicLongArray(queues);
    }

    private static PacketPool offHeapPool(String name, int count, int size, int headroom) {
        return PacketPool.create(name, PacketMemory.offHeap(Arena.ofAuto(), (long) count * size), count, size, headroom);
    }

    @Override
    public String description() {
        return inner.description() + " steered over " + queues + " queues";
    }

    @Override
    public DeviceCapabilities capabilities() {
        return capabilities;
    }

    /** Queue 0: the inner device's pool. Queue j: lane j's pool, which the wrapper created. */
    @Override
    public PacketPool pool(int queue) {
        return queue == 0 ? innerPool : lane(queue).pool;
    }

    /** Queue 0: the inner device's descriptor. Other queues: -1, they poll (see the class comment). */
    @Override
    public int readinessFd(int queue) {
        if (queue == 0) {
            return inner.readinessFd(0);
        }
        lane(queue);
        return -1;
    }

    @Override
    public int rxQueueOf(int srcAddr, int dstAddr, int srcPort, int dstPort) {
        return FlowHash.queueOf(srcAddr, dstAddr, srcPort, dstPort, queues);
    }

    /**
     * Counters of one lane: frames delivered to it and handed over by it. Lane {@code j}'s
     * {@code rxDropped} counts frames lane 0 dropped for want of an empty buffer of lane {@code j},
     * as of lane {@code j}'s last receive. The inner device's own counters: {@code inner().counters(0)}.
     */
    @Override
    public DeviceCounters counters(int queue) {
        return queue == 0 ? counters0 : lane(queue).counters;
    }

    /**
     * Sets what a lane runs when it hands frames to an empty transmit ring, to end lane 0's idle
     * sleep (for example shard 0's idle strategy {@code wakeup}). It runs on lane threads, at most
     * once per {@link #transmit} call: it must be cheap and must not allocate. Null for none.
     */
    public void setTransmitWakeup(Runnable wakeup) {
        this.transmitWakeup = wakeup;
    }

    /**
     * Lane 0's thread: frames moved for other lanes (received for them or sent for them) since the
     * last call. Lane 0's shard adds this to its turn's work, so that it does not idle while relaying.
     */
    public int relayedFrames() {
        int n = relayed;
        relayed = 0;
        return n;
    }

    @Override
    public int receive(int queue, PacketBatch batch) {
        if (closed) {
            return 0;
        }
        return queue == 0 ? receiveLane0(batch) : receiveLane(lane(queue), batch);
    }

    @Override
    public int transmit(int queue, PacketBatch batch) {
        if (closed) {
            return 0;
        }
        return queue == 0 ? transmitLane0(batch) : transmitLane(lane(queue), batch);
    }

    // ---- lane 0 ----

    private int receiveLane0(PacketBatch batch) {
        serviceTransmitRings();
        int start = batch.size();
        int n = inner.receive(0, batch);
        int kept = start;
        for (int i = start; i < start + n; i++) {
            PacketBuffer frame = batch.get(i);
            int q = FlowHash.queueOfFrame(frame.segment(), frame.offset(), frame.length(), queues);
            if (q == 0) {
                batch.set(kept++, frame);
                counters0.rxPackets++;
                counters0.rxBytes += frame.length();
            } else {
                handOver(lanes[q], frame);
                frame.release();
                relayed++;
            }
        }
        batch.truncate(kept);
        return kept - start;
    }

    /** Copies {@code frame} into an empty buffer lane supplied and queues it; drops it if there is none. */
    private void handOver(Lane lane, PacketBuffer frame) {
        int length = frame.length();
        BufferRing supply;
        if (length <= lane.room) {
            supply = lane.supply;
        } else if (length <= lane.largeRoom) {
            supply = lane.largeSupply;
        } else {
            drop(lane.queue); // longer than the inner device's largest frame: cannot happen with a sane device
            return;
        }
        if (!lane.filled.hasRoom()) {
            drop(lane.queue);
            return;
        }
        PacketBuffer copy = supply.poll();
        if (copy == null) {
            drop(lane.queue);
            return;
        }
        copyFrame(frame, copy);
        copy.setQueue(lane.queue);
        lane.filled.offer(copy);
    }

    private void drop(int queue) {
        rxDrops.setOpaque(queue, rxDrops.getPlain(queue) + 1);
    }

    private int transmitLane0(PacketBatch batch) {
        int size = batch.size();
        if (txLengths.length < size) {
            txLengths = new int[batch.capacity()]; // once per larger batch, not per frame
        }
        for (int i = 0; i < size; i++) {
            txLengths[i] = batch.get(i).length();
        }
        int n = inner.transmit(0, batch);
        for (int i = 0; i < n; i++) {
            counters0.txPackets++;
            counters0.txBytes += txLengths[i];
        }
        serviceTransmitRings();
        return n;
    }

    /**
     * Lane 0: sends what waits for the inner device, then moves frames from the lanes' transmit
     * rings, round robin, until they are empty, the inner device is full or its pool has no buffer,
     * or a round of every ring's capacity has been moved (so that a flood cannot starve receive).
     */
    private void serviceTransmitRings() {
        int budget = 0;
        for (int j = 1; j < queues; j++) {
            budget += lanes[j].tx.capacity();
        }
        while (true) {
            if (!txPending.isEmpty()) {
                int n = inner.transmit(0, txPending);
                txPending.removeFirst(n);
                if (!txPending.isEmpty()) {
                    return; // the inner device is full: the rest waits, in order, for the next call
                }
            }
            if (budget <= 0) {
                return;
            }
            int moved = fillPending();
            if (moved == 0) {
                return;
            }
            budget -= moved;
            relayed += moved;
        }
    }

    /** Copies frames from the lanes' transmit rings into {@link #txPending}; returns how many. */
    private int fillPending() {
        int moved = 0;
        int j = nextLane;
        nextLane = j + 1 == queues ? 1 : j + 1;
        for (int k = 1; k < queues && !txPending.isFull(); k++) {
            Lane lane = lanes[j];
            PacketBuffer frame;
            while (!txPending.isFull() && (frame = lane.tx.peek()) != null) {
                int length = frame.length();
                PacketBuffer copy;
                if (length <= innerRoom) {
                    copy = innerPool.allocate();
                } else if (length <= txLargeRoom) {
                    copy = txLargePool.allocate();
                } else {
                    lane.tx.poll(); // lanes refuse such frames: cannot happen; never stall the ring on one
                    lane.returns.offer(frame);
                    counters0.txDropped++;
                    continue;
                }
                if (copy == null) {
                    return moved; // no buffer for the copy until the inner device frees some
                }
                copyFrame(frame, copy);
                copy.setQueue(0);
                lane.tx.poll();
                lane.returns.offer(frame); // cannot fail: frames in tx and returns never exceed its capacity
                txPending.add(copy);
                moved++;
            }
            j = j + 1 == queues ? 1 : j + 1;
        }
        return moved;
    }

    // ---- lanes 1 to n-1 ----

    private int receiveLane(Lane lane, PacketBatch batch) {
        releaseReturns(lane);
        topUp(lane);
        lane.counters.rxDropped = rxDrops.getOpaque(lane.queue);
        int n = 0;
        PacketBuffer frame;
        while (batch.remaining() > 0 && (frame = lane.filled.poll()) != null) {
            if (frame.pool() == lane.pool) {
                lane.supplied--;
            } else {
                lane.largeSupplied--;
            }
            batch.add(frame);
            lane.counters.rxPackets++;
            lane.counters.rxBytes += frame.length();
            n++;
        }
        return n;
    }

    /** Gives lane 0 empty buffers until the lane's share is out there or its pool runs dry. */
    private static void topUp(Lane lane) {
        while (lane.supplied < lane.supplyTarget && lane.supply.hasRoom()) {
            PacketBuffer empty = lane.pool.allocate();
            if (empty == null) {
                break;
            }
            lane.supply.offer(empty);
            lane.supplied++;
        }
        while (lane.largeSupplied < lane.largeTarget && lane.largeSupply.hasRoom()) {
            PacketBuffer empty = lane.largePool.allocate();
            if (empty == null) {
                break;
            }
            lane.largeSupply.offer(empty);
            lane.largeSupplied++;
        }
    }

    private static void releaseReturns(Lane lane) {
        PacketBuffer sent;
        while ((sent = lane.returns.poll()) != null) {
            sent.release();
            lane.txOutstanding--;
        }
    }

    private int transmitLane(Lane lane, PacketBatch batch) {
        releaseReturns(lane);
        boolean wasIdle = lane.tx.size() == 0;
        int size = batch.size();
        int capacity = lane.tx.capacity();
        int taken = 0;
        while (taken < size) {
            PacketBuffer frame = batch.get(taken);
            int length = frame.length();
            if (length > maxTxFrame) {
                frame.release(); // larger than anything the inner device takes
                lane.counters.txDropped++;
                taken++;
                continue;
            }
            if (lane.txOutstanding >= capacity || !lane.tx.offer(frame)) {
                break; // the ring is full: the caller keeps the rest
            }
            lane.txOutstanding++;
            lane.counters.txPackets++;
            lane.counters.txBytes += length;
            taken++;
        }
        if (taken > 0 && wasIdle) {
            Runnable wakeup = transmitWakeup;
            if (wakeup != null) {
                wakeup.run();
            }
        }
        return taken;
    }

    /**
     * Copies the frame of {@code from} into {@code to} after {@code to}'s headroom, with its flags,
     * interface, offload requests and layer offsets (moved with the data). The caller checked that
     * it fits.
     */
    private static void copyFrame(PacketBuffer from, PacketBuffer to) {
        int length = from.length();
        int at = to.pool().headroom();
        MemorySegment.copy(from.segment(), from.offset(), to.segment(), at, length);
        to.setData(at, length);
        to.copyOffloadFrom(from); // checksum start and offset are relative to the data: unchanged
        int shift = at - from.offset();
        if (shift != 0) {
            if (from.linkOffset() >= 0) {
                to.setLinkOffset(from.linkOffset() + shift);
            }
            if (from.networkOffset() >= 0) {
                to.setNetworkOffset(from.networkOffset() + shift);
            }
            if (from.transportOffset() >= 0) {
                to.setTransportOffset(from.transportOffset() + shift);
            }
        }
        to.setFlags(from.flags()).setInterfaceIndex(from.interfaceIndex());
    }

    private Lane lane(int queue) {
        if (queue <= 0 || queue >= queues) {
            throw new IndexOutOfBoundsException(description() + " has queues 0 to " + (queues - 1) + ", not " + queue);
        }
        return lanes[queue];
    }

    /**
     * Releases every buffer the wrapper holds, each to its own pool, and closes the inner device.
     * Call it after every lane stopped calling the device (the lanes' threads ended or were
     * joined), so that their pools are no longer in use on them. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        txPending.releaseAll();
        for (int j = 1; j < queues; j++) {
            Lane lane = lanes[j];
            releaseAll(lane.supply);
            releaseAll(lane.largeSupply);
            releaseAll(lane.filled);
            releaseAll(lane.tx);
            releaseAll(lane.returns);
            lane.supplied = 0;
            lane.largeSupplied = 0;
            lane.txOutstanding = 0;
            lane.counters.rxDropped = rxDrops.get(j);
        }
        inner.close();
    }

    private static void releaseAll(BufferRing ring) {
        if (ring == null) {
            return;
        }
        PacketBuffer buffer;
        while ((buffer = ring.poll()) != null) {
            buffer.release();
        }
    }

    @Override
    public String toString() {
        return description();
    }
}
