package dev.netstack.nic;

/**
 * One queue pair of a multi-queue device, seen as a device of its own with a single queue: what a
 * shard's lane of the stack drives. Queue 0 of this view is queue {@link #queue()} of the device.
 *
 * <p>The view does not own the device: closing it does nothing, the device is closed by whoever
 * opened it, once every lane is done with it.
 */
public final class QueueDevice implements NetDevice {

    private final NetDevice device;
    private final int queue;
    private final DeviceCapabilities capabilities;

    /**
     * @throws IllegalArgumentException if the device has no queue {@code queue}
     */
    public QueueDevice(NetDevice device, int queue) {
        if (queue < 0 || queue >= device.queueCount()) {
            throw new IllegalArgumentException(device.description() + " has queues 0 to " + (device.queueCount() - 1)
                    + ", not " + queue);
        }
        this.device = device;
        this.queue = queue;
        DeviceCapabilities all = device.capabilities();
        this.capabilities = new DeviceCapabilities(1, all.offloads(), all.maxFrameBytes());
    }

    /** The device this view is a queue of. */
    public NetDevice device() {
        return device;
    }

    /** The device queue behind this view's queue 0. */
    public int queue() {
        return queue;
    }

    @Override
    public String name() {
        return device.name();
    }

    @Override
    public String description() {
        return device.description() + " queue " + queue;
    }

    @Override
    public long macAddress() {
        return device.macAddress();
    }

    @Override
    public int mtu() {
        return device.mtu();
    }

    @Override
    public boolean isLinkUp() {
        return device.isLinkUp();
    }

    @Override
    public DeviceCapabilities capabilities() {
        return capabilities;
    }

    @Override
    public PacketPool pool(int q) {
        return device.pool(check(q));
    }

    @Override
    public int receive(int q, PacketBatch batch) {
        return device.receive(check(q), batch);
    }

    @Override
    public int transmit(int q, PacketBatch batch) {
        return device.transmit(check(q), batch);
    }

    @Override
    public int readinessFd(int q) {
        return device.readinessFd(check(q));
    }

    /** The queue of the whole device: a lane compares it with its own. */
    @Override
    public int rxQueueOf(int srcAddr, int dstAddr, int srcPort, int dstPort) {
        return device.rxQueueOf(srcAddr, dstAddr, srcPort, dstPort);
    }

    @Override
    public DeviceCounters counters(int q) {
        return device.counters(check(q));
    }

    /** Does nothing: the device belongs to whoever opened it. */
    @Override
    public void close() {
    }

    private int check(int q) {
        if (q != 0) {
            throw new IndexOutOfBoundsException("a queue view has queue 0 only, got " + q);
        }
        return queue;
    }
}
