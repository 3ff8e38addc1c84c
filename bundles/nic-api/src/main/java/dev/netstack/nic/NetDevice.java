package dev.netstack.nic;

/**
 * A network device as the stack sees it: one or more RX/TX queue pairs driven by batch calls,
 * never blocking and never allocating.
 *
 * <p>Each queue pair is owned by one shard thread; calls for queue {@code q} come only from that
 * thread. Control calls ({@link #close()}, the getters) may come from any thread.
 *
 * <p>Backends register a {@code NetDevice} as an OSGi service with the property
 * {@value #NAME_PROPERTY} naming the interface it serves (for example {@code eth0}); the layer
 * above binds it by that name, so replacing the service replaces the device under the interface.
 */
public interface NetDevice extends AutoCloseable {

    /** Service property: the name of the stack interface this device serves. */
    String NAME_PROPERTY = "nic.name";

    /** Interface name this device serves, for example {@code eth0}. */
    String name();

    /** A short description for logs and the shell: backend and device, e.g. {@code tap:ns0}. */
    String description();

    /** The device's MAC address, as 48 bits in the low end of a long (see {@link MacAddress}). */
    long macAddress();

    /** Largest layer 3 packet the device sends or receives, without the Ethernet header. */
    int mtu();

    /** Whether the link is up now. Cheap; may be polled every turn. */
    boolean isLinkUp();

    DeviceCapabilities capabilities();

    /** Number of RX/TX queue pairs, numbered from 0. */
    default int queueCount() {
        return capabilities().queues();
    }

    /**
     * The pool of queue {@code queue}: receive buffers come from it, and senders on this queue take
     * their transmit buffers from it (for DMA devices only its memory is reachable by the device).
     */
    PacketPool pool(int queue);

    /**
     * Receives up to {@code batch.remaining()} frames from queue {@code queue}, appending them to
     * {@code batch}. Each frame's data starts at its Ethernet header, without the FCS.
     *
     * <p><b>Ownership:</b> the caller owns every buffer appended and must hand it on or release it.
     *
     * @return the number of frames appended, 0 if none is waiting
     */
    int receive(int queue, PacketBatch batch);

    /**
     * Queues frames from the front of {@code batch} for transmission on queue {@code queue}.
     *
     * <p><b>Ownership:</b> the device takes ownership of the first {@code n} buffers, where
     * {@code n} is the return value, and releases them once sent; the caller keeps the rest (the
     * queue is full: retry later or drop). The batch itself is left as it was; call
     * {@link PacketBatch#removeFirst(int)} with the result.
     *
     * @return the number of frames taken, from the front of the batch
     */
    int transmit(int queue, PacketBatch batch);

    /**
     * A file descriptor that polls readable when queue {@code queue} has frames to receive, for
     * idle strategies that sleep in {@code poll(2)}; -1 if the device has none (poll-mode only).
     */
    default int readinessFd(int queue) {
        return -1;
    }

    /**
     * The receive queue on which this device delivers the TCP segments of an IPv4 flow, so that a
     * shard opening a connection can pick a local port whose replies come back to its own queue;
     * -1 if the device cannot say (it has one queue, or it steers flows by a rule of its own).
     *
     * <p>Devices with several queues steer every frame that is not an unfragmented IPv4 TCP segment
     * (ARP, ICMP, UDP, fragments) to queue 0. The answer does not depend on the direction of the
     * flow: swapping source and destination gives the same queue. Any thread; allocates nothing.
     *
     * @param srcAddr source IPv4 address, big-endian
     * @param dstAddr destination IPv4 address, big-endian
     * @param srcPort TCP source port
     * @param dstPort TCP destination port
     */
    default int rxQueueOf(int srcAddr, int dstAddr, int srcPort, int dstPort) {
        return queueCount() == 1 ? 0 : -1;
    }

    /** Counters of queue {@code queue}, written by its shard, readable (racily) from any thread. */
    DeviceCounters counters(int queue);

    /**
     * Stops the device and frees its resources. Buffers still held by the stack stay valid until
     * released only if the backend says so; PCI backends reset the device first.
     */
    @Override
    void close();
}
