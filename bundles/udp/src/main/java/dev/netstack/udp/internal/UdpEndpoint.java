package dev.netstack.udp.internal;

import dev.netstack.ip.wire.Ipv4Address;
import dev.netstack.nic.PacketBuffer;
import dev.netstack.udp.UdpDatagram;
import dev.netstack.udp.UdpError;
import dev.netstack.udp.UdpHandler;
import dev.netstack.udp.UdpSocket;
import java.lang.foreign.MemorySegment;

/**
 * One UDP socket: its binding, its peer, its options and its receive queue, a ring of buffers
 * with the metadata of each datagram in parallel arrays (so queueing allocates nothing). Linked
 * into the {@link UdpProtocol}'s table of its port through {@link #nextOnPort}.
 *
 * <pre>
 *  ring:  [ head ... head+count )   modulo ring.length (= the datagram limit)
 * </pre>
 *
 * Shard thread only; the protocol checks the thread on every operation that changes state.
 */
final class UdpEndpoint implements UdpSocket {

    /** Queues are never longer than this, whatever the configuration asks. */
    static final int MAX_QUEUE_DATAGRAMS = 65_536;

    final UdpProtocol protocol;
    final UdpHandler handler;

    int localAddress;
    int localPort;
    /** The address given to bind (connect may narrow {@link #localAddress}; disconnect restores it). */
    int boundAddress;
    int remoteAddress;
    int remotePort;
    boolean reuseAddress;
    boolean broadcast;
    boolean open = true;
    boolean wantsWritable;
    UdpEndpoint nextOnPort;
    UdpEndpoint nextBlocked;
    UdpError pendingError;
    long drops;

    private PacketBuffer[] ring;
    private int[] sources;
    private int[] sourcePorts;
    private int[] destinations;
    private int[] interfaces;
    private int head;
    private int count;
    private int queuedBytes;
    private int limitDatagrams;
    private int limitBytes;

    UdpEndpoint(UdpProtocol protocol, UdpHandler handler, int limitDatagrams, int limitBytes) {
        this.protocol = protocol;
        this.handler = handler;
        this.ring = new PacketBuffer[0];
        resize(limitDatagrams);
        this.limitDatagrams = limitDatagrams;
        this.limitBytes = limitBytes;
    }

    private void resize(int capacity) {
        PacketBuffer[] nextRing = new PacketBuffer[capacity];
        int[] nextSources = new int[capacity];
        int[] nextPorts = new int[capacity];
        int[] nextDestinations = new int[capacity];
        int[] nextInterfaces = new int[capacity];
        for (int i = 0; i < count; i++) {
            int at = (head + i) % ring.length;
            nextRing[i] = ring[at];
            nextSources[i] = sources[at];
            nextPorts[i] = sourcePorts[at];
            nextDestinations[i] = destinations[at];
            nextInterfaces[i] = interfaces[at];
        }
        ring = nextRing;
        sources = nextSources;
        sourcePorts = nextPorts;
        destinations = nextDestinations;
        interfaces = nextInterfaces;
        head = 0;
    }

    // ---------------------------------------------------------------- queue (called by the protocol)

    /** Whether a buffer of {@code capacity} bytes fits under both limits. */
    boolean hasRoom(int bufferCapacity) {
        return count < limitDatagrams && queuedBytes + bufferCapacity <= limitBytes;
    }

    /** Queues {@code payload} (data = the UDP payload). Takes ownership; the caller checked {@link #hasRoom}. */
    void enqueue(PacketBuffer payload, int source, int sourcePort, int destination) {
        int at = (head + count) % ring.length;
        ring[at] = payload;
        sources[at] = source;
        sourcePorts[at] = sourcePort;
        destinations[at] = destination;
        interfaces[at] = payload.interfaceIndex();
        count++;
        queuedBytes += payload.capacity();
    }

    /** Releases every queued buffer. */
    void clearQueue() {
        while (count > 0) {
            take().release();
        }
    }

    private PacketBuffer take() {
        PacketBuffer b = ring[head];
        ring[head] = null;
        head = (head + 1) % ring.length;
        count--;
        queuedBytes -= b.capacity();
        return b;
    }

    private void describe(UdpDatagram from) {
        if (from != null) {
            from.set(sources[head], sourcePorts[head], destinations[head], ring[head].length(), interfaces[head]);
        }
    }

    // ---------------------------------------------------------------- UdpSocket

    @Override
    public UdpError bind(int address, int port) {
        return protocol.bind(this, address, port);
    }

    @Override
    public UdpError connect(int address, int port) {
        return protocol.connect(this, address, port);
    }

    @Override
    public UdpError disconnect() {
        return protocol.disconnect(this);
    }

    @Override
    public UdpError sendTo(int address, int port, MemorySegment data, long offset, int length) {
        return protocol.sendCopy(this, address, port, data, offset, length);
    }

    @Override
    public UdpError send(MemorySegment data, long offset, int length) {
        if (remotePort == 0) {
            return open ? UdpError.DESTINATION_ADDRESS_REQUIRED : UdpError.SOCKET_CLOSED;
        }
        return protocol.sendCopy(this, remoteAddress, remotePort, data, offset, length);
    }

    @Override
    public UdpError sendTo(int address, int port, PacketBuffer payload) {
        return protocol.sendBuffer(this, address, port, payload);
    }

    @Override
    public UdpError send(PacketBuffer payload) {
        if (remotePort == 0) {
            payload.release();
            return open ? UdpError.DESTINATION_ADDRESS_REQUIRED : UdpError.SOCKET_CLOSED;
        }
        return protocol.sendBuffer(this, remoteAddress, remotePort, payload);
    }

    @Override
    public int headroom() {
        return protocol.sendHeadroom();
    }

    @Override
    public PacketBuffer allocate(int address, int payloadBytes) {
        protocol.checkThread();
        return open ? protocol.allocate(address, payloadBytes) : null;
    }

    @Override
    public PacketBuffer receive(UdpDatagram from) {
        protocol.checkThread();
        if (count == 0) {
            return null;
        }
        describe(from);
        return take();
    }

    @Override
    public PacketBuffer peek(UdpDatagram from) {
        protocol.checkThread();
        if (count == 0) {
            return null;
        }
        describe(from);
        return ring[head];
    }

    @Override
    public boolean drop() {
        protocol.checkThread();
        if (count == 0) {
            return false;
        }
        take().release();
        return true;
    }

    @Override
    public int receive(MemorySegment into, long offset, int capacity, UdpDatagram from) {
        protocol.checkThread();
        if (count == 0) {
            return -1;
        }
        describe(from);
        PacketBuffer b = take();
        int n = Math.min(Math.max(0, capacity), b.length());
        MemorySegment.copy(b.segment(), b.offset(), into, offset, n);
        b.release();
        return n;
    }

    @Override
    public UdpError takeError() {
        UdpError error = pendingError;
        pendingError = null;
        return error;
    }

    @Override
    public void setReuseAddress(boolean reuse) {
        this.reuseAddress = reuse;
    }

    @Override
    public boolean reuseAddress() {
        return reuseAddress;
    }

    @Override
    public void setBroadcast(boolean broadcast) {
        this.broadcast = broadcast;
    }

    @Override
    public boolean broadcast() {
        return broadcast;
    }

    @Override
    public void setReceiveQueueLimits(int datagrams, int bytes) {
        protocol.checkThread();
        if (datagrams < 1 || bytes < 1) {
            throw new IllegalArgumentException("receive queue limits must be at least 1 datagram and 1 byte, got "
                    + datagrams + " and " + bytes);
        }
        int limit = Math.min(datagrams, MAX_QUEUE_DATAGRAMS);
        int capacity = Math.max(limit, count); // datagrams already queued stay
        if (capacity != ring.length) {
            resize(capacity);
        }
        this.limitDatagrams = limit;
        this.limitBytes = bytes;
    }

    @Override
    public int receiveQueueLimitDatagrams() {
        return limitDatagrams;
    }

    @Override
    public int receiveQueueLimitBytes() {
        return limitBytes;
    }

    @Override
    public int queuedDatagrams() {
        return count;
    }

    @Override
    public int queuedBytes() {
        return queuedBytes;
    }

    @Override
    public long drops() {
        return drops;
    }

    @Override
    public int localAddress() {
        return localAddress;
    }

    @Override
    public int localPort() {
        return localPort;
    }

    @Override
    public int remoteAddress() {
        return remoteAddress;
    }

    @Override
    public int remotePort() {
        return remotePort;
    }

    @Override
    public boolean isBound() {
        return localPort != 0;
    }

    @Override
    public boolean isConnected() {
        return remotePort != 0;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public void close() {
        protocol.close(this);
    }

    @Override
    public String toString() {
        return "UdpSocket[" + Ipv4Address.format(localAddress) + ":" + localPort
                + (remotePort != 0 ? " -> " + Ipv4Address.format(remoteAddress) + ":" + remotePort : "")
                + (open ? "" : " closed") + " queued=" + count + "]";
    }
}
