package dev.netstack.ethernet.internal;

import dev.netstack.nic.NetDevice;
import dev.netstack.nic.PacketBatch;
import dev.netstack.nic.PacketBuffer;
import dev.netstack.nic.PacketPool;
import dev.netstack.runtime.PollTask;

/**
 * One queue of one device, polled by its shard: receives a batch and pushes each frame up, and
 * transmits the frames the turn produced as one batch. Shard thread only.
 *
 * <p>Ownership: frames enqueued for transmit belong to the port until the device takes them; the
 * ones it refuses at {@link #flush} are released and counted ({@code tx-ring-full}), never kept
 * into the next turn, so a stalled device cannot pin the pool.
 */
final class DevicePort implements PollTask {

    private final EthernetLayer layer;
    private final EthernetInterface nif;
    private final NetDevice device;
    private final int queue;
    private final PacketBatch rx = new PacketBatch();
    private final PacketBatch tx = new PacketBatch();
    /** Queue 0 watches the link: a link coming up is announced (RFC 5227 §3). */
    private boolean linkUp;

    DevicePort(EthernetLayer layer, EthernetInterface nif, NetDevice device, int queue) {
        this.layer = layer;
        this.nif = nif;
        this.device = device;
        this.queue = queue;
        this.linkUp = device.isLinkUp();
    }

    PacketPool pool() {
        return device.pool(queue);
    }

    @Override
    public int poll(long nowNs) {
        if (queue == 0) {
            boolean up = device.isLinkUp();
            if (up && !linkUp) {
                layer.linkCameUp(nif, nowNs);
            }
            linkUp = up;
        }
        int received;
        try {
            received = device.receive(queue, rx);
        } catch (RuntimeException e) {
            layer.deviceFailed(device, e, nowNs);
            received = 0;
        }
        int size = rx.size();
        for (int i = 0; i < size; i++) {
            PacketBuffer frame = rx.get(i);
            frame.setQueue(queue);
            layer.receive(nif, frame, nowNs);
        }
        rx.clear();
        return received;
    }

    /** Appends a frame to this turn's batch, transmitting early if the batch fills. Takes ownership. */
    boolean enqueue(PacketBuffer frame) {
        if (tx.isFull()) {
            transmit();
        }
        if (!tx.add(frame)) {
            frame.release();
            layer.count(EthernetStat.TX_RING_FULL);
            return false;
        }
        if (tx.isFull()) {
            transmit();
        }
        return true;
    }

    private int transmit() {
        if (tx.isEmpty()) {
            return 0;
        }
        int sent;
        try {
            sent = device.transmit(queue, tx);
        } catch (RuntimeException e) {
            layer.deviceFailed(device, e, 0);
            sent = 0;
        }
        tx.removeFirst(sent);
        layer.add(EthernetStat.TX_FRAMES, sent);
        return sent;
    }

    @Override
    public int flush(long nowNs) {
        int sent = transmit();
        if (!tx.isEmpty()) {
            layer.add(EthernetStat.TX_RING_FULL, tx.size());
            tx.releaseAll();
        }
        return sent;
    }

    /** Shard thread, when the device goes: drops what was not sent. */
    void close() {
        layer.add(EthernetStat.TX_NO_DEVICE, tx.size());
        tx.releaseAll();
    }

    @Override
    public int readinessFd() {
        return device.readinessFd(queue);
    }

    @Override
    public String toString() {
        return "DevicePort[" + nif.name() + " " + device.description() + " queue " + queue + "]";
    }
}
