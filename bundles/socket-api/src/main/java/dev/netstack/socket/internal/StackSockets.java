package dev.netstack.socket.internal;

import dev.netstack.nic.PacketBuffer;
import dev.netstack.nic.PacketMemory;
import dev.netstack.nic.PacketPool;
import dev.netstack.runtime.Shard;
import dev.netstack.socket.DatagramSocket;
import dev.netstack.socket.SocketError;
import dev.netstack.socket.SocketException;
import dev.netstack.socket.SocketSelector;
import dev.netstack.socket.Sockets;
import dev.netstack.socket.StreamSocket;
import dev.netstack.tcp.TcpLayer;
import dev.netstack.udp.UdpLayer;
import jakarta.inject.Inject;
import java.lang.foreign.Arena;
import dev.netstack.ip.NetworkLayer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jctools.queues.MpscArrayQueue;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The {@link Sockets} service of shard 0, bound dynamically to {@link TcpLayer} and
 * {@link UdpLayer}: while one is absent, opening or using sockets of its kind fails with
 * PROTOCOL_STOPPED (sockets already open learn it from the protocol closing them).
 *
 * <p>Owns the socket layer's packet pool (zero-copy sends and stream receives). The pool is
 * confined to the shard thread; buffers the application gives back come through an MPSC queue
 * drained by one shard command, scheduled at most once at a time.
 *
 * <p>Embedded use: {@code new StackSockets(shard, tcp, udp)} (Guice builds it with that
 * constructor too). For a stack of several lanes (one per shard), {@link #lanes(List)} builds the
 * sockets of them all ({@link LaneSockets}).
 */
@Component(service = Sockets.class, configurationPid = "netstack.socket")
@Designate(ocd = SocketsConfig.class)
public final class StackSockets implements Sockets {

    private final Shard shard;
    private final int ringBytes;
    private final PacketPool pool;
    private final MpscArrayQueue<PacketBuffer> returns;
    private final AtomicBoolean returnsScheduled = new AtomicBoolean();
    private final Runnable drainReturns = this::drainReturns;
    private final ArrayList<StackSocket> waitingForBuffers = new ArrayList<>(); // shard only
    private final java.lang.foreign.MemorySegment scratch = Arena.ofAuto().allocate(UdpLayer.MAX_PAYLOAD);
    private volatile TcpLayer tcp;
    private volatile UdpLayer udp;

    /**
     * One lane of a stack: its shard, its TCP and UDP (UDP only matters on lane 0, where datagrams
     * arrive; may be null elsewhere), and its network layer, which says what flows the lane
     * receives ({@link NetworkLayer#receivesFlow}).
     */
    public record Lane(Shard shard, TcpLayer tcp, UdpLayer udp, NetworkLayer network) {
        public Lane {
            java.util.Objects.requireNonNull(shard, "shard");
            java.util.Objects.requireNonNull(network, "network");
        }
    }

    /**
     * The sockets of a stack of {@code lanes} (lane 0 first), with the default ring and pool sizes:
     * a plain {@code StackSockets} for one lane, a {@link LaneSockets} for several.
     */
    public static Sockets lanes(List<Lane> lanes) {
        return lanes(lanes, 64 * 1024, 4096);
    }

    /** As {@link #lanes(List)}, with the ring size and each lane's pool size. */
    public static Sockets lanes(List<Lane> lanes, int ringBytes, int poolBuffers) {
        if (lanes.isEmpty()) {
            throw new IllegalArgumentException("no lanes");
        }
        if (lanes.size() == 1) {
            Lane lane = lanes.getFirst();
            return new StackSockets(lane.shard(), lane.tcp(), lane.udp(), ringBytes, poolBuffers);
        }
        return new LaneSockets(lanes, ringBytes, poolBuffers);
    }

    @Activate
    public StackSockets(SocketsConfig config, @Reference(target = "(shard.id=0)") Shard shard) {
        this(shard, config.ring_bytes(), config.pool_buffers());
    }

    @Inject
    public StackSockets(Shard shard, TcpLayer tcp, UdpLayer udp) {
        this(shard, 64 * 1024, 4096);
        this.tcp = tcp;
        this.udp = udp;
    }

    /** For embedded use and tests: explicit ring size and pool size. */
    public StackSockets(Shard shard, TcpLayer tcp, UdpLayer udp, int ringBytes, int poolBuffers) {
        this(shard, ringBytes, poolBuffers);
        this.tcp = tcp;
        this.udp = udp;
    }

    private StackSockets(Shard shard, int ringBytes, int poolBuffers) {
        if (ringBytes < 1024 || poolBuffers < 16) {
            throw new IllegalArgumentException("netstack.socket: ring.bytes must be at least 1024 and pool.buffers "
                    + "at least 16");
        }
        this.shard = shard;
        this.ringBytes = ringBytes;
        int size = PacketPool.DEFAULT_BUFFER_SIZE;
        this.pool = PacketPool.create("sockets", PacketMemory.offHeap(Arena.ofAuto(), (long) poolBuffers * size),
                poolBuffers, size, PacketPool.DEFAULT_HEADROOM);
        this.returns = new MpscArrayQueue<>(Math.max(poolBuffers, 1024) * 2);
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    void setTcp(TcpLayer layer) {
        this.tcp = layer;
    }

    void unsetTcp(TcpLayer layer) {
        if (tcp == layer) {
            tcp = null;
        }
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    void setUdp(UdpLayer layer) {
        this.udp = layer;
    }

    void unsetUdp(UdpLayer layer) {
        if (udp == layer) {
            udp = null;
        }
    }

    @Override
    public StreamSocket openStream() {
        tcp();
        return new TcpStreamSocket(this);
    }

    @Override
    public DatagramSocket openDatagram() {
        udp();
        return new UdpDatagramSocket(this);
    }

    @Override
    public SocketSelector openSelector() {
        return new StackSelector();
    }

    @Override
    public Shard shard() {
        return shard;
    }

    @Override
    public TcpLayer tcp() {
        TcpLayer layer = tcp;
        if (layer == null) {
            throw new SocketException(SocketError.PROTOCOL_STOPPED, "no TCP module is running");
        }
        return layer;
    }

    @Override
    public UdpLayer udp() {
        UdpLayer layer = udp;
        if (layer == null) {
            throw new SocketException(SocketError.PROTOCOL_STOPPED, "no UDP module is running");
        }
        return layer;
    }

    /** A datagram-sized scratch segment. Shard thread only. */
    java.lang.foreign.MemorySegment scratch() {
        return scratch;
    }

    int ringBytes() {
        return ringBytes;
    }

    /** The socket layer's pool. Shard thread only. */
    PacketPool pool() {
        return pool;
    }

    /** Buffers of the pool in use (shard thread, or after the shard stopped): for leak checks. */
    public int poolInUse() {
        return pool.inUse();
    }

    /** Any thread: releases {@code buffer} on the shard thread. Allocation-free. */
    void returnBuffer(PacketBuffer buffer) {
        if (shard.inShard()) {
            buffer.release();
            wakeBufferWaiters();
            return;
        }
        while (!returns.offer(buffer)) {
            Thread.onSpinWait();
        }
        if (returnsScheduled.compareAndSet(false, true)) {
            while (!shard.execute(drainReturns)) {
                java.util.concurrent.locks.LockSupport.parkNanos(20_000);
            }
        }
    }

    private void drainReturns() {
        returnsScheduled.set(false);
        PacketBuffer b;
        while ((b = returns.poll()) != null) {
            b.release();
        }
        wakeBufferWaiters();
    }

    /** Shard thread: {@code socket} ran out of pool buffers; pump it when some come back. */
    void waitForBuffers(StackSocket socket) {
        if (!waitingForBuffers.contains(socket)) {
            waitingForBuffers.add(socket);
        }
    }

    private void wakeBufferWaiters() {
        for (int i = waitingForBuffers.size() - 1; i >= 0; i--) {
            StackSocket s = waitingForBuffers.remove(i);
            s.pump();
        }
    }
}
