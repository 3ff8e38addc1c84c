package dev.netstack.nic.virtio.internal;

import dev.netstack.nic.PacketMemory;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * The control virtqueue of a virtio-net device (virtio 1.1 §5.1.6.5), used on the control path
 * only, one command at a time. Read §5.1.6.5 (command layout) and §5.1.6.5.5 (multiqueue) first.
 *
 * <p>A command is a chain of two descriptors: the device reads {@code class}, {@code command} and
 * the command's data from the first, and writes the one-byte ack into the second:
 *
 * <pre>
 *  desc 0 (read):  | class u8 | command u8 | data ... |   --next-->   desc 1 (write): | ack u8 |
 * </pre>
 *
 * <p>The ring lies at {@code ringOffset} like a {@link Virtqueue}'s; the command bytes follow it.
 * Commands: VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET (§5.1.6.5.5) and, with VIRTIO_NET_F_RSS,
 * VIRTIO_NET_CTRL_MQ_RSS_CONFIG (virtio 1.2 §5.1.6.5.7.1, see {@link RssConfig}).
 * Not thread-safe; the caller (device setup) owns it.
 */
public final class ControlQueue {

    /** §5.1.6.5.5: class VIRTIO_NET_CTRL_MQ. */
    public static final int CLASS_MQ = 4;
    /** §5.1.6.5.5: VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, data: le16 virtqueue_pairs. */
    public static final int MQ_VQ_PAIRS_SET = 0;
    /** §5.1.6.5: VIRTIO_NET_OK and VIRTIO_NET_ERR. */
    public static final int ACK_OK = 0;
    public static final int ACK_ERR = 1;
    /** What {@link #poll()} returns while the device has not answered. */
    public static final int PENDING = -1;

    /** Bytes of data one command carries here (after class and command): enough for RSS with 128 entries. */
    public static final int MAX_DATA_BYTES = 1022;

    private static final int DESC_F_NEXT = 1;
    private static final int ACK_UNSET = 0xff;
    /** The ack byte follows the command buffer: class, command, data. */
    private static final int ACK_AT = 2 + MAX_DATA_BYTES;

    private final int queueIndex;
    private final int size;
    private final MemorySegment ring;
    private final PacketMemory memory;
    private final long descOffset;
    private final long availOffset;
    private final long usedOffset;
    private final long commandOffset;
    private final Notifier notifier;
    private final MemorySegment data;
    private int availIdx;
    private int lastUsedIdx;
    private boolean inFlight;

    /**
     * A control queue of {@code size} entries at {@code ringOffset} in {@code memory}, which must
     * hold {@link #bytes(int)} bytes there.
     */
    public ControlQueue(int queueIndex, int size, PacketMemory memory, long ringOffset, Notifier notifier) {
        if (size < 2 || Integer.bitCount(size) != 1) {
            throw new IllegalArgumentException("control queue size must be a power of two of at least 2, got " + size);
        }
        if (ringOffset % Virtqueue.ALIGN != 0 || ringOffset + bytes(size) > memory.segment().byteSize()) {
            throw new IllegalArgumentException("control queue of " + bytes(size) + " bytes at " + ringOffset
                    + " must be 4096-aligned within " + memory.segment().byteSize() + " bytes");
        }
        this.queueIndex = queueIndex;
        this.size = size;
        this.memory = memory;
        this.ring = memory.segment();
        this.descOffset = ringOffset;
        this.availOffset = ringOffset + 16L * size;
        this.usedOffset = ringOffset + Virtqueue.usedRingOffset(size);
        this.commandOffset = ringOffset + Virtqueue.ringBytes(size);
        this.notifier = notifier;
        this.data = ring.asSlice(commandOffset + 2, MAX_DATA_BYTES);
        ring.asSlice(ringOffset, bytes(size)).fill((byte) 0);
        ring.set(Virtqueue.U16, availOffset, (short) Virtqueue.AVAIL_F_NO_INTERRUPT); // §2.6.7: we poll
    }

    /** Bytes of memory the queue needs: its ring and the command buffer after it. */
    public static long bytes(int size) {
        return Virtqueue.ringBytes(size) + ACK_AT + 8;
    }

    public int queueIndex() {
        return queueIndex;
    }

    public int size() {
        return size;
    }

    public long descriptorAddress() {
        return memory.ioAddress(descOffset);
    }

    public long availAddress() {
        return memory.ioAddress(availOffset);
    }

    public long usedAddress() {
        return memory.ioAddress(usedOffset);
    }

    /** Where the data of the next command goes, {@link #MAX_DATA_BYTES} long. */
    public MemorySegment data() {
        return data;
    }

    /** Queues VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET (§5.1.6.5.5) and notifies the device. */
    public void submitQueuePairs(int pairs) {
        if (pairs < 1 || pairs > 0x8000) {
            throw new IllegalArgumentException("virtqueue_pairs must be 1 to 32768, got " + pairs);
        }
        checkIdle();
        data.set(Virtqueue.U16, 0, (short) pairs);
        submit(CLASS_MQ, MQ_VQ_PAIRS_SET, 2);
    }

    /**
     * Queues VIRTIO_NET_CTRL_MQ_RSS_CONFIG (virtio 1.2 §5.1.6.5.7.1) and notifies the device. It
     * replaces VQ_PAIRS_SET: its max_tx_vq and table say how many pairs are in use.
     */
    public void submitRss(RssConfig config) {
        if (config.bytes() > MAX_DATA_BYTES) {
            throw new IllegalArgumentException(config + " needs " + config.bytes() + " bytes, more than the "
                    + MAX_DATA_BYTES + " a command carries here");
        }
        checkIdle();
        submit(CLASS_MQ, RssConfig.MQ_RSS_CONFIG, config.writeTo(data, 0));
    }

    /** The data buffer belongs to the device while a command is in flight. */
    private void checkIdle() {
        if (inFlight) {
            throw new IllegalStateException("a control command is still in flight");
        }
    }

    /**
     * Queues the command {@code commandClass}/{@code command} whose data the caller has written
     * into the first {@code dataBytes} of {@link #data()}; one command at a time.
     */
    void submit(int commandClass, int command, int dataBytes) {
        checkIdle();
        long cmd = commandOffset;
        long ack = commandOffset + ACK_AT;
        ring.set(ValueLayout.JAVA_BYTE, cmd, (byte) commandClass);
        ring.set(ValueLayout.JAVA_BYTE, cmd + 1, (byte) command);
        ring.set(ValueLayout.JAVA_BYTE, ack, (byte) ACK_UNSET);
        // §2.6.5: descriptor 0 readable and chained to 1, descriptor 1 written by the device
        ring.set(Virtqueue.U64, descOffset, memory.ioAddress(cmd));
        ring.set(Virtqueue.U32, descOffset + 8, 2 + dataBytes);
        ring.set(Virtqueue.U16, descOffset + 12, (short) DESC_F_NEXT);
        ring.set(Virtqueue.U16, descOffset + 14, (short) 1);
        ring.set(Virtqueue.U64, descOffset + 16, memory.ioAddress(ack));
        ring.set(Virtqueue.U32, descOffset + 24, 1);
        ring.set(Virtqueue.U16, descOffset + 28, (short) Virtqueue.DESC_F_WRITE);
        ring.set(Virtqueue.U16, descOffset + 30, (short) 0);
        ring.set(Virtqueue.U16, availOffset + 4 + 2L * (availIdx & (size - 1)), (short) 0);
        availIdx = (availIdx + 1) & 0xffff;
        VarHandle.releaseFence(); // descriptors and entry before the index (§2.6.13.3)
        ring.set(Virtqueue.U16, availOffset + 2, (short) availIdx);
        VarHandle.fullFence();
        inFlight = true;
        notifier.notifyDevice(queueIndex);
    }

    /** The ack of the command in flight once the device has used it, else {@link #PENDING}. */
    public int poll() {
        if (!inFlight) {
            throw new IllegalStateException("no control command in flight");
        }
        VarHandle.fullFence();
        int usedIdx = ring.get(Virtqueue.U16, usedOffset + 2) & 0xffff;
        if (usedIdx == lastUsedIdx) {
            return PENDING;
        }
        VarHandle.acquireFence();
        lastUsedIdx = usedIdx;
        inFlight = false;
        return ring.get(ValueLayout.JAVA_BYTE, commandOffset + ACK_AT) & 0xff;
    }

    /**
     * Submits VQ_PAIRS_SET and waits up to {@code timeoutNs} for the device's ack.
     *
     * @return {@link #ACK_OK}, {@link #ACK_ERR} (or another byte the device wrote), or
     *         {@link #PENDING} if it did not answer in time
     */
    public int setQueuePairs(int pairs, long timeoutNs) {
        submitQueuePairs(pairs);
        return await(timeoutNs);
    }

    /**
     * Submits RSS_CONFIG and waits up to {@code timeoutNs} for the device's ack.
     *
     * @return as {@link #setQueuePairs}
     */
    public int setRss(RssConfig config, long timeoutNs) {
        submitRss(config);
        return await(timeoutNs);
    }

    private int await(long timeoutNs) {
        long deadlineNs = System.nanoTime() + timeoutNs;
        int ack;
        while ((ack = poll()) == PENDING && System.nanoTime() - deadlineNs < 0) {
            Thread.onSpinWait();
        }
        return ack;
    }
}
